import { strict as assert } from 'node:assert';
import { entryFileName, linkEntryFromReadme, newEntry } from '../../../src/providers/markdown/template';
import { parseEntry, parseJournalReadme } from '../../../src/providers/markdown/journal';
import { rawLines, fixture } from './helpers';

/** Asserts `after` is `before` with exactly the lines at `at` inserted (every old line kept byte for byte). */
function assertOnlyInserted(before: Buffer, after: Buffer): Buffer[] {
  const a = rawLines(before);
  const b = rawLines(after);
  // Longest common prefix and suffix; the old last line may only gain a line ending.
  let p = 0;
  while (p < a.length && p < b.length && a[p].equals(b[p])) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s].equals(b[b.length - 1 - s])) s++;
  const removed = a.slice(p, a.length - s);
  assert.ok(removed.length === 0 || (removed.length === 1 && p === a.length - 1 && b[p].subarray(0, removed[0].length).equals(removed[0])),
    `old lines changed: ${removed.map((x) => JSON.stringify(x.toString())).join(', ')}`);
  return b.slice(p, b.length - s);
}

describe('retrospective template and README link', () => {
  it('produces an entry shaped like a phase retrospective', () => {
    const md = newEntry({ date: '2025-07-01', title: 'Kubernetes on NixOS', phase: 3 });
    for (const h of ['# Kubernetes on NixOS', '## What We Built', '## Problem-Solving Journey', '**Problem**: ', '**Root Cause**: ', '**Solution**: ',
      '## Key Learning Moments', '**Estimated**: ', '**Actual**: ', "## What's Next"]) assert.ok(md.includes(h), h);
    const e = parseEntry(Buffer.from(md), 'x.md');
    assert.deepEqual([e.date, e.dateSource, e.title], ['2025-07-01', 'content', 'Kubernetes on NixOS']);
    assert.match(md, /\*\*Phase\*\*: 3/);
    assert.ok(md.endsWith('\n'));
    assert.ok(!newEntry({ date: new Date(Date.UTC(2025, 6, 1)), title: 'x' }).includes('**Phase**'));
  });

  it('rejects bad dates and empty titles; names files by date', () => {
    assert.throws(() => newEntry({ date: '2025-02-30', title: 'x' }), RangeError);
    assert.throws(() => newEntry({ date: 'yesterday', title: 'x' }), RangeError);
    assert.throws(() => newEntry({ date: '2025-01-01', title: ' \n ' }), RangeError);
    assert.throws(() => newEntry({ date: new Date('nope'), title: 'x' }), RangeError);
    assert.equal(entryFileName({ date: '2025-07-01', title: 'Kubernetes on NixOS: Día 1!' }), '2025-07-01-kubernetes-on-nixos-dia-1.md');
    assert.equal(newEntry({ date: '2025-07-01', title: 'a\nb' }).split('\n')[0], '# a b');
  });

  it('creates a Journal entries section before the closing footer, changing nothing else', () => {
    const readme = fixture('journal/README.md');
    const out = linkEntryFromReadme(readme, '2025-07-01-kubernetes.md', 'Kubernetes [day 1]');
    const added = assertOnlyInserted(readme, out).map((l) => l.toString());
    assert.deepEqual(added, ['## Journal entries\n', '\n', '- [Kubernetes \\[day 1\\]](./2025-07-01-kubernetes.md)\n', '\n']);
    assert.ok(out.subarray(-1)[0] !== 0x0a, 'no final newline stays absent');
    const r = parseJournalReadme(out, 'README.md');
    assert.deepEqual(r.entryLinks.map((l) => l.href), ['./2025-07-01-kubernetes.md']);
    assert.equal(r.phases.length, 3);
    // A second link goes under the first; the same link twice is a no-op.
    const out2 = linkEntryFromReadme(out, 'sub dir/2025-07-02 notes.md', 'Notes');
    assert.deepEqual(assertOnlyInserted(out, out2).map((l) => l.toString()), ['- [Notes](<./sub dir/2025-07-02 notes.md>)\n']);
    assert.ok(linkEntryFromReadme(out2, './2025-07-01-kubernetes.md', 'again').equals(out2));
  });

  it('appends the section at the end of a README without footer, keeping CRLF and no final newline', () => {
    const readme = Buffer.from('# J\r\n\r\n### Phase 1: A\r\n**Status**: Done');
    const out = linkEntryFromReadme(readme, 'e.md', 'E');
    assert.equal(out.toString(), '# J\r\n\r\n### Phase 1: A\r\n**Status**: Done\r\n\r\n## Journal entries\r\n\r\n- [E](./e.md)');
  });

  it('adds to an existing section and works on the user README when present', () => {
    const readme = Buffer.from('# J\n\n## Journal Entries\n\n- [Old](./old.md)\n\n## Other\n\ntext\n');
    const out = linkEntryFromReadme(readme, 'new.md', 'New');
    assert.equal(out.toString(), '# J\n\n## Journal Entries\n\n- [Old](./old.md)\n- [New](./new.md)\n\n## Other\n\ntext\n');
    const empty = linkEntryFromReadme(Buffer.from('# J\n## Journal entries\n## Next\n'), 'n.md', 'N');
    assert.equal(empty.toString(), '# J\n## Journal entries\n\n- [N](./n.md)\n\n## Next\n');
    const fs = require('node:fs') as typeof import('node:fs');
    if (fs.existsSync('/work/shared/context/journal-readme.md')) {
      const user = fs.readFileSync('/work/shared/context/journal-readme.md');
      const added = assertOnlyInserted(user, linkEntryFromReadme(user, 'phase-2-retrospective.md', 'Phase 2 Complete'));
      assert.equal(added.length, 4);
    }
  });
});
