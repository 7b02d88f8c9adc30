import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configureL10n, t } from '../../../webview-ui/l10n';

const { l10nBundle } = require('../../../scripts/lib/l10n-strings.cjs') as { l10nBundle(root: string): Record<string, string> };
const root = join(__dirname, '../../..');

describe('localization bundle (l10n/) and the pages\' t()', () => {
  it('l10n/bundle.l10n.json holds exactly the messages of the code (run `node scripts/l10n.mjs`)', () => {
    const onDisk = JSON.parse(readFileSync(join(root, 'l10n/bundle.l10n.json'), 'utf8'));
    const fromCode = l10nBundle(root);
    assert.ok(Object.keys(fromCode).length > 400, 'the extractor found too few messages: it is broken');
    assert.deepEqual(Object.keys(onDisk).filter((k) => !(k in fromCode)), [], 'messages no longer in the code');
    assert.deepEqual(Object.keys(fromCode).filter((k) => !(k in onDisk)), [], 'messages missing from the bundle');
  });

  it('collects the pages\' messages too (webview-ui t() calls)', () => {
    const b = l10nBundle(root);
    for (const m of ['Search all entries', 'Hide done', 'Dismiss', '{0}/{1} items checked']) assert.ok(m in b, m);
  });

  it('package.json points VS Code at the bundle folder', () => {
    assert.equal(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).l10n, './l10n');
  });

  it('the page translates with the bundle the host embeds, and formats arguments', () => {
    assert.equal(t('{0} of {1}', 2, 'x'), '2 of x', 'English with arguments before any bundle');
    assert.equal(configureL10n(JSON.stringify({ 'Hide done': 'Erledigte ausblenden', 'Line {0}': 'Zeile {0}' })), true);
    assert.equal(t('Hide done'), 'Erledigte ausblenden');
    assert.equal(t('Line {0}', 7), 'Zeile 7');
    assert.equal(t('Not translated {0}', 1), 'Not translated 1', 'a message missing from the bundle stays English');
  });

  it('ignores a missing or malformed bundle (English stays)', () => {
    for (const bad of [undefined, '', '{', '[]', '"x"', JSON.stringify({ a: 1 })]) assert.equal(configureL10n(bad), false, String(bad));
  });

  it('leaves no literal English in the pages outside t()', () => {
    // Text children of h(...), titles, labels, placeholders and button captions are what users read.
    const suspicious = [
      /\b(title|'aria-label'|placeholder|description|heading):\s*['`][^'`]*[A-Za-z]{2,}/,
      /\bh\('[a-z0-9-]+',\s*\{[^{}]*\},\s*(icon\([^)]*\),\s*)?['`]\s*[A-Za-z]{2,}/,
      /\b(button|noticeBar)\([^)]*?['`][A-Z][a-z]+ [a-z]/,
    ];
    const found: string[] = [];
    for (const f of readdirSync(join(root, 'webview-ui')).filter((n) => n.endsWith('.ts') && n !== 'l10n.ts')) {
      readFileSync(join(root, 'webview-ui', f), 'utf8').split('\n').forEach((line, i) => {
        const code = line.replace(/\bt\('(?:[^'\\]|\\.)*'/g, "t(''");
        if (suspicious.some((re) => re.test(code))) found.push(`${f}:${i + 1}: ${line.trim().slice(0, 100)}`);
      });
    }
    assert.deepEqual(found, []);
  });
});
