// The messages the extension localizes: every `vscode.l10n.t('…')` in src/ and every `t('…')` in
// webview-ui/ (the page's l10n.ts). scripts/l10n.mjs writes them to l10n/bundle.l10n.json, the
// English bundle translators copy to bundle.l10n.<lang>.json; a unit test keeps it up to date.
'use strict';
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const LITERAL = String.raw`('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")`;
const HOST_CALL = new RegExp(String.raw`\bl10n\.t\(\s*` + LITERAL, 'g');
const PAGE_CALL = new RegExp(String.raw`(?<![\w.$])t\(\s*` + LITERAL, 'g');

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The text of a JS string literal (the escapes our sources use). */
function unquote(lit) {
  return lit.slice(1, -1).replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_, e) => {
    if (e[0] === 'u') return String.fromCodePoint(parseInt(e.replace(/[u{}]/g, ''), 16));
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    return { n: '\n', t: '\t', r: '\r', 0: '\0' }[e] ?? e;
  });
}

/** Sorted unique messages of the extension (src/) and its webview pages (webview-ui/). */
function l10nMessages(root) {
  const found = new Set();
  for (const [dir, re] of [['src', HOST_CALL], ['webview-ui', PAGE_CALL]]) {
    for (const f of files(join(root, dir))) {
      for (const m of readFileSync(f, 'utf8').matchAll(re)) found.add(unquote(m[1]));
    }
  }
  return [...found].sort();
}

/** The English bundle: message -> message (VS Code's l10n bundle format). */
function l10nBundle(root) {
  return Object.fromEntries(l10nMessages(root).map((m) => [m, m]));
}

module.exports = { l10nMessages, l10nBundle };
