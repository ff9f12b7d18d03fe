// Every domain's messages, merged into one catalogue per language. zh-CN is the source: its keys are the
// MessageKey type, and each domain's en-US part must have exactly the same keys (the type checker says which
// is missing). A domain adds its `messages.ts` (`zhCN` and `enUS`) to the two lists below.
import * as app from '../app/messages';
import * as auth from '../auth/messages';
import * as shared from '../shared/messages';
import * as membership from '../membership/messages';
import * as structure from '../membership/structure/messages';
import * as administration from '../administration/messages';

export const zhCN = {
  ...app.zhCN,
  ...auth.zhCN,
  ...shared.zhCN,
  ...membership.zhCN,
  ...structure.zhCN,
  ...administration.zhCN,
};
export type MessageKey = keyof typeof zhCN;
export const enUS: Record<MessageKey, string> = {
  ...app.enUS,
  ...auth.enUS,
  ...shared.enUS,
  ...membership.enUS,
  ...structure.enUS,
  ...administration.enUS,
};

export const LOCALES = ['zh-CN', 'en-US'] as const;
export type Locale = (typeof LOCALES)[number];
export const CATALOGUES: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, 'en-US': enUS };

/** A message with its `{name}` placeholders filled in. */
export function format(template: string, params?: Record<string, string | number>): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    params[name] === undefined ? whole : String(params[name]),
  );
}
