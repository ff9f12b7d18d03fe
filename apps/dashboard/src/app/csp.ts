// The page's CSP admits style elements that carry this response's nonce (the gateway's policy). antd's CSS-in-JS
// is given the nonce (ConfigProvider csp), but a few of its helpers add a style element of their own without one
// (the scrollbar measurement of scrolling tables). Style elements this app's own code creates and inserts get
// the nonce here; style markup injected into the page through HTML is parsed, not inserted by these calls, and
// stays refused.

/** The CSP nonce the gateway put in this page, if it did (the dev server does not). */
export function cspNonce(): string | undefined {
  const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;
  return nonce && nonce !== '__CSP_NONCE__' ? nonce : undefined;
}

export function nonceOwnStyleElements(nonce: string | undefined): void {
  if (!nonce) return;
  const give = (node: Node) => {
    if (node instanceof HTMLStyleElement && !node.nonce) node.nonce = nonce;
  };
  const { appendChild, insertBefore } = Node.prototype;
  Node.prototype.appendChild = function <T extends Node>(this: Node, node: T): T {
    give(node);
    return appendChild.call(this, node) as T;
  };
  Node.prototype.insertBefore = function <T extends Node>(this: Node, node: T, child: Node | null): T {
    give(node);
    return insertBefore.call(this, node, child) as T;
  };
}
