// Money is a decimal string in yuan ("1500.00", the API's `Money`), kept as integer fen on the server. The
// dashboard never turns it into a float: it is checked, normalised and formatted as text.

const MONEY = /^(-?)(\d{1,13})(?:\.(\d{1,2}))?$/;

/** "1500" → "1500.00", "1500.5" → "1500.50"; null for anything that is not an amount in yuan with at most fen. */
export function normaliseYuan(input: string): string | null {
  const match = MONEY.exec(input.trim().replace(/[,，\s]/g, ''));
  if (!match) return null;
  const [, sign, whole, fraction = ''] = match;
  const yuan = whole.replace(/^0+(?=\d)/, '');
  const amount = `${yuan}.${fraction.padEnd(2, '0')}`;
  return sign && /[1-9]/.test(amount) ? `-${amount}` : amount;
}

/** "1234567.8" → "1,234,567.80" (grouped, two decimals), for display; the input as it is when it is no amount. */
export function formatYuan(value: string): string {
  const normal = normaliseYuan(value);
  if (normal === null) return value;
  const negative = normal.startsWith('-');
  const [whole, fraction] = (negative ? normal.slice(1) : normal).split('.');
  return `${negative ? '-' : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}
