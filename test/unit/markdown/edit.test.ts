import { strict as assert } from 'node:assert';
import { parseTracker, Story, TrackerModel } from '../../../src/providers/markdown/tracker';
import { insertCell, locateStory, setCell, setStoryStatus, toggleChecklist } from '../../../src/providers/markdown/edit';
import { StaleEditError, UnparseableRegionError } from '../../../src/providers/markdown/errors';
import { allFixtures, changedLines, fixture, invalidUtf8Tracker, mixedEol, rawLines, userFiles } from './helpers';

function stories(m: TrackerModel): Story[] {
  return m.sections.flatMap((s) => s.tables.flatMap((t) => t.stories));
}
function story(m: TrackerModel, id: string): Story {
  const s = stories(m).find((x) => x.id === id);
  assert.ok(s, `story ${id}`);
  return s;
}
function items(m: TrackerModel) {
  return m.sections.flatMap((s) => s.checklist);
}

describe('lossless edits', () => {
  const bytes = fixture('tracker-phase1.md');
  const model = parseTracker(bytes, 't.md');

  it('sets a status cell and changes only that line, keeping the cell width', () => {
    const st = story(model, '1.2.5');
    const out = setStoryStatus(bytes, st.locator, 'done');
    assert.deepEqual(changedLines(bytes, out), [st.locator.line - 1]);
    const line = rawLines(out)[st.locator.line - 1].toString();
    // The table spells done as "‚úÖ Done" on its first done row: reused, not a new spelling.
    assert.ok(line.endsWith(`| ${story(model, '1.2.1').statusText} |\n`), line);
    assert.equal(story(parseTracker(out, 't.md'), '1.2.5').status, 'done');
  });

  it('keeps the padding of a padded status cell', () => {
    const crlf = fixture('tracker-crlf.md');
    const m = parseTracker(crlf, 'c.md');
    const st = story(m, '2.1.2');
    const out = setStoryStatus(crlf, st.locator, 'in-progress');
    assert.deepEqual(changedLines(crlf, out), [st.locator.line - 1]);
    assert.equal(rawLines(out)[st.locator.line - 1].toString(), '| 2.1.2 | LVM instead of ZFS      | 🔄 In progress |\r\n');
    const back = setStoryStatus(out, story(parseTracker(out, 'c.md'), '2.1.2').locator, 'todo');
    assert.match(rawLines(back)[st.locator.line - 1].toString(), /^\| 2\.1\.2 \| LVM instead of ZFS {6}\| Todo {10}\|\r\n$/, 'width of the cell kept');
    assert.ok(!out.subarray(out.length - 2).equals(Buffer.from('\r\n')), 'no final newline must stay absent');
  });

  it('adds a Status column on first use, touching only that table, without re-padding', () => {
    const st = story(model, '1.1.2');
    const table = model.sections.find((s) => s.epicId === '1.1')!.tables[0];
    const out = setStoryStatus(bytes, st.locator, 'in-progress');
    const changed = changedLines(bytes, out);
    const tableLines = Array.from({ length: table.endLine - table.line + 1 }, (_, i) => table.line - 1 + i);
    assert.deepEqual(changed, tableLines);
    const before = rawLines(bytes);
    const after = rawLines(out);
    for (const i of tableLines) {
      const old = before[i].toString('latin1').replace(/\n$/, '');
      assert.ok(after[i].toString('latin1').startsWith(old), `line ${i + 1}: old cells must be kept as they were`);
    }
    assert.match(after[table.line - 1].toString(), /\| \*\*Status\*\* \|\n$/);
    assert.match(after[table.line].toString(), /\| --- \|\n$/);
    const m2 = parseTracker(out, 't.md');
    const t2 = m2.sections.find((s) => s.epicId === '1.1')!.tables[0];
    assert.equal(t2.statusColumn, 5);
    assert.deepEqual(t2.stories.map((s) => s.status), ['todo', 'in-progress', 'todo']);
    assert.deepEqual(t2.stories.map((s) => s.statusText), ['', 'In progress', '']);
    assert.equal(m2.issues.filter((i) => i.code === 'ragged-row').length, model.issues.filter((i) => i.code === 'ragged-row').length);
  });

  it('does not add a column when setting todo on a table without Status (nothing to record)', () => {
    const st = story(model, '1.1.1');
    assert.ok(setStoryStatus(bytes, st.locator, 'todo').equals(bytes));
  });

  it('adds a Status column to a table without outer pipes and fills a short ragged row', () => {
    const e = model.sections.find((s) => s.epicId === '1.3')!;
    const short = e.tables[0].stories[1];
    const out = setStoryStatus(bytes, short.locator, 'done');
    const after = rawLines(out);
    assert.equal(after[e.tables[0].line - 1].toString(), 'Story | Goal | Tools | Status\n');
    assert.equal(after[e.tables[0].line].toString(), '--- | --- | --- | ---\n');
    assert.equal(after[short.locator.line - 1].toString(), 'Only two cells | short |  | Done\n');
    const t2 = parseTracker(out, 't.md').sections.find((s) => s.epicId === '1.3')!.tables[0];
    assert.deepEqual(t2.stories.map((s) => s.status), ['todo', 'done', 'todo']);
    assert.equal(t2.stories[2].cells.length, 4);
  });

  it('toggles checkboxes (- * 1. and nested) changing one byte of one line', () => {
    for (const it of items(model)) {
      const out = toggleChecklist(bytes, it.locator, !it.checked);
      assert.deepEqual(changedLines(bytes, out), [it.locator.line - 1]);
      assert.equal(out.length, bytes.length);
      let diff = 0;
      for (let i = 0; i < out.length; i++) if (out[i] !== bytes[i]) diff++;
      assert.equal(diff, 1);
      const again = items(parseTracker(out, 't.md')).find((x) => x.locator.line === it.locator.line)!;
      assert.equal(again.checked, !it.checked);
    }
  });

  it('keeps CRLF, mixed endings, invalid bytes and the missing final newline', () => {
    for (const doc of [fixture('tracker-crlf.md'), invalidUtf8Tracker(), mixedEol(bytes)]) {
      const m = parseTracker(doc, 'x.md');
      for (const st of stories(m)) {
        const out = setStoryStatus(doc, st.locator, st.status === 'done' ? 'in-progress' : 'done');
        const changed = changedLines(doc, out);
        assert.ok(changed.includes(st.locator.line - 1));
        const tbl = m.sections.flatMap((s) => s.tables).find((t) => t.stories.includes(st))!;
        for (const c of changed) assert.ok(c >= tbl.line - 1 && c < tbl.endLine, `line ${c + 1} outside the table changed`);
        const a = rawLines(doc);
        const b = rawLines(out);
        for (const c of changed) assert.equal(b[c].subarray(-2).equals(Buffer.from('\r\n')), a[c].subarray(-2).equals(Buffer.from('\r\n')), 'line ending changed');
      }
      for (const it of items(m)) {
        const out = toggleChecklist(doc, it.locator, !it.checked);
        assert.deepEqual(changedLines(doc, out), [it.locator.line - 1]);
      }
    }
  });

  it('keeps invalid bytes inside the edited row itself', () => {
    const doc = invalidUtf8Tracker();
    const st = stories(parseTracker(doc, 'b.md'))[1];
    const out = setStoryStatus(doc, st.locator, 'done');
    const line = rawLines(out)[st.locator.line - 1];
    assert.ok(line.includes(Buffer.from([0xc0, 0xaf])), 'overlong bytes lost');
    assert.ok(line.includes(Buffer.from(' Done ')));
  });

  it('refuses a stale locator (line text changed) with StaleEditError', () => {
    const st = story(model, '1.2.3');
    const edited = Buffer.from(bytes.toString('latin1').replace('| 1.2.3 | Off-site backup', '| 1.2.3 | Off-site backups'), 'latin1');
    assert.throws(() => setStoryStatus(edited, st.locator, 'done'), StaleEditError);
    const it = items(model)[1];
    const checked = toggleChecklist(bytes, it.locator, true);
    assert.throws(() => toggleChecklist(checked, it.locator, false), StaleEditError, 'toggling from a state that is gone');
    assert.throws(() => setStoryStatus(bytes, { ...st.locator, hash: '0000000000000000' }, 'done'), StaleEditError);
    assert.throws(() => setStoryStatus(bytes, { ...st.locator, line: 99999, hash: 'ffff' }, 'done'), StaleEditError);
    assert.throws(() => toggleChecklist(bytes, st.locator, true), StaleEditError, 'a story locator is not a checklist item');
  });

  it('follows a line that moved when it is unique, refuses when ambiguous', () => {
    const st = story(model, '1.2.3');
    const moved = Buffer.concat([Buffer.from('Intro line added above\n\n'), bytes]);
    const out = setStoryStatus(moved, st.locator, 'done');
    assert.deepEqual(changedLines(moved, out), [st.locator.line + 1]);
    const dupItem = Buffer.from('# T\n\n- [ ] same\n- [ ] same\n');
    const it = items(parseTracker(dupItem, 'd.md'))[0];
    const shifted = Buffer.from('# T\n\nnew\n- [ ] same\n- [ ] same\n');
    assert.throws(() => toggleChecklist(shifted, it.locator, true), StaleEditError);
  });

  it('refuses edits into a region it could not parse and never rewrites it', () => {
    const broken = fixture('broken-table.md');
    const lines = rawLines(broken);
    const { lineHash } = require('../../../src/providers/markdown/lines') as typeof import('../../../src/providers/markdown/lines');
    const loc = { file: 'b.md', line: 6, hash: lineHash(lines[5].subarray(0, -1)) };
    assert.throws(() => setStoryStatus(broken, loc, 'done'), (e: unknown) => e instanceof UnparseableRegionError && /line|separator/i.test(e.message) && e.issue.line === 5);
    const mism = { file: 'b.md', line: 19, hash: lineHash(lines[18].subarray(0, -1)) };
    assert.throws(() => setStoryStatus(broken, mism, 'done'), UnparseableRegionError);
    // Edits elsewhere in the same file still work and leave the broken lines alone.
    const m = parseTracker(broken, 'b.md');
    const out = setStoryStatus(broken, story(m, '9.2.1').locator, 'done');
    assert.deepEqual(changedLines(broken, out), [12]);
  });

  it('the fast story lookup agrees with the full parse on every story of every fixture', () => {
    let n = 0;
    for (const f of [...allFixtures(), ...userFiles()]) {
      for (const st of stories(parseTracker(f.bytes, f.name))) {
        const fast = locateStory(f.bytes, st.locator).target;
        const full = locateStory(f.bytes, st.locator, { fast: false }).target;
        assert.deepEqual([fast.table.line, fast.table.endLine, fast.table.statusColumn, fast.table.columns], [full.table.line, full.table.endLine, full.table.statusColumn, full.table.columns], `${f.name}:${st.locator.line}`);
        assert.deepEqual(fast.story, full.story);
        assert.deepEqual(fast.table.stories.map((x) => x.statusText), full.table.stories.map((x) => x.statusText));
        n++;
      }
    }
    assert.ok(n >= 25, `only ${n} stories checked`);
  });

  it('edits a table that follows a paragraph line holding a pipe (fast path declines, full parse decides)', () => {
    const doc = Buffer.from('### Epic 7.1: X\nsee a | b here\n| # | Story |\n| - | - |\n| 7.1.1 | s |\n');
    const st = stories(parseTracker(doc, 'p.md'))[0];
    assert.equal(st.id, '7.1.1');
    const out = setStoryStatus(doc, st.locator, 'done');
    assert.equal(out.toString(), '### Epic 7.1: X\nsee a | b here\n| # | Story | Status |\n| - | - | --- |\n| 7.1.1 | s | Done |\n');
  });

  it('cell helpers: set and insert at byte level', () => {
    assert.equal(setCell(Buffer.from('| a | b |'), 1, 'x').toString(), '| a | x |');
    assert.equal(setCell(Buffer.from('| a |     |'), 1, 'x').toString(), '| a | x   |');
    assert.equal(setCell(Buffer.from('|a|b|'), 1, 'x').toString(), '|a|x|');
    assert.equal(setCell(Buffer.from('| a |'), 2, 'x').toString(), '| a |  | x |');
    assert.equal(setCell(Buffer.from('| a | b |'), 1, 'p|q').toString(), '| a | p\\|q |');
    assert.equal(insertCell(Buffer.from('|a|b|'), 2, 'S').toString(), '|a|b|S|');
    assert.equal(insertCell(Buffer.from('| a | b | extra |'), 2, 'S').toString(), '| a | b | S | extra |');
    assert.equal(insertCell(Buffer.from('| a |'), 3, 'S').toString(), '| a |', 'short rows are left alone');
    assert.equal(insertCell(Buffer.from('| a | b |  '), 2, '').toString(), '| a | b |  |  ');
  });
});
