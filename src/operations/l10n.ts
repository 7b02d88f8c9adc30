// The catalog runs in the extension host and in the standalone MCP server (plain Node): its texts
// go through this `l10n.t`, which the extension points at vscode.l10n.t (scripts/l10n.mjs collects
// the messages like any other) and which formats `{0}` placeholders in English elsewhere.
type Arg = string | number | boolean;
type Translate = (message: string, ...args: Arg[]) => string;

const english: Translate = (m, ...a) => m.replace(/\{(\d+)\}/g, (s, i: string) => (Number(i) < a.length ? String(a[Number(i)]) : s));
let translate: Translate = english;

export const l10n = { t: (message: string, ...args: Arg[]): string => translate(message, ...args) };

/** Called once by the extension with vscode.l10n.t. */
export function useTranslator(t: Translate): void {
  translate = t;
}
