// Webview strings: `t('Open {0}', name)`. Minimal stand-in (English, {n} placeholders); the
// wiring branch replaces it with @vscode/l10n and the bundle the host passes to the page.
export function t(message: string, ...args: Array<string | number | boolean>): string {
  return message.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m));
}
