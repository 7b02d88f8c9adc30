// The page's strings: `t('Edit')`, `t('{0} entries', n)`, as vscode.l10n.t on the host side. The host
// embeds the bundle of the UI language (vscode.l10n.bundle; none for English) in #app's data-l10n
// attribute (src/views/webview.ts), read once when the page loads. Messages are collected into
// l10n/bundle.l10n.json by scripts/l10n.mjs.
import * as l10n from '@vscode/l10n';

/** Configures the translations from the embedded JSON; an absent or malformed bundle leaves English. */
export function configureL10n(json: string | undefined): boolean {
  if (!json) return false;
  let contents: unknown;
  try {
    contents = JSON.parse(json);
  } catch {
    return false;
  }
  if (!contents || typeof contents !== 'object' || Array.isArray(contents)) return false;
  if (!Object.values(contents).every((v) => typeof v === 'string' || (typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string'))) return false;
  l10n.config({ contents: contents as Record<string, string> });
  return true;
}

// Without DOM types here, so the unit tests (plain Node) can load this module.
const page = (globalThis as { document?: { getElementById(id: string): { getAttribute(name: string): string | null } | null } }).document;
if (page) configureL10n(page.getElementById('app')?.getAttribute('data-l10n') ?? undefined);

/** A localized message; `{0}`, `{1}` … are replaced by `args`. */
export function t(message: string, ...args: Array<string | number | boolean>): string {
  return l10n.t(message, ...args);
}
