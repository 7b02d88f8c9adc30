import { strict as assert } from 'node:assert';
import { joinLines, splitLines } from '../../../src/providers/markdown/lines';
import { parseTracker } from '../../../src/providers/markdown/tracker';
import { parseEntry, parseJournalReadme } from '../../../src/providers/markdown/journal';
import { setStoryStatus, toggleChecklist } from '../../../src/providers/markdown/edit';
import { allFixtures, userFiles } from './helpers';

describe('markdown round trip', () => {
  const files = [...allFixtures(), ...userFiles()];

  it('has the fixture shapes the brief asks for', () => {
    const names = files.map((f) => f.name);
    for (const n of ['tracker-phase1.md', 'tracker-crlf.md', 'empty.md', 'broken-table.md', 'generated/invalid-utf8.md']) assert.ok(names.includes(n), n);
    assert.ok(files.find((f) => f.name === 'tracker-crlf.md')!.bytes.includes('\r\n'), 'CRLF fixture lost its CRLFs (git normalisation?)');
    assert.ok(files.some((f) => f.bytes.length > 0 && f.bytes[f.bytes.length - 1] !== 0x0a), 'a fixture without final newline');
    const bad = files.find((f) => f.name === 'generated/invalid-utf8.md')!.bytes;
    assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bad), 'generated file must really be invalid UTF-8');
  });

  for (const f of files) {
    it(`parse then serialise gives identical bytes: ${f.name}`, () => {
      const back = joinLines(splitLines(f.bytes));
      assert.ok(back.equals(f.bytes), 'bytes differ after split/join');
      // Reading must not throw on any of them, and must not mutate the input.
      const copy = Buffer.from(f.bytes);
      parseTracker(f.bytes, f.name);
      parseJournalReadme(f.bytes, f.name);
      parseEntry(f.bytes, f.name, 0);
      assert.ok(copy.equals(f.bytes));
    });

    it(`no-op edits give identical bytes: ${f.name}`, () => {
      const model = parseTracker(f.bytes, f.name);
      for (const s of model.sections) {
        for (const t of s.tables) for (const st of t.stories) {
          if (t.statusColumn >= 0 || st.status === 'todo') assert.ok(setStoryStatus(f.bytes, st.locator, st.status).equals(f.bytes), `story line ${st.locator.line}`);
        }
        for (const it of s.checklist) assert.ok(toggleChecklist(f.bytes, it.locator, it.checked).equals(f.bytes), `item line ${it.locator.line}`);
      }
    });
  }

  it('split/join handles edge shapes exactly', () => {
    for (const s of ['', '\n', '\r\n', 'a', 'a\r', 'a\r\r\n', '\n\n\n', 'x\ny', 'x\r\ny\n', '\r', 'a\rb\n']) {
      const b = Buffer.from(s, 'latin1');
      assert.ok(joinLines(splitLines(b)).equals(b), JSON.stringify(s));
    }
  });
});
