import { strict as assert } from 'node:assert';
import { columnRole, parseStatus, parseTracker, TrackerModel } from '../../../src/providers/markdown/tracker';
import { lineHash, splitLines } from '../../../src/providers/markdown/lines';
import { fixture, invalidUtf8Tracker } from './helpers';

// The fixture's mojibake: UTF-8 bytes shown as MacRoman (what a Mac editor did to the user's file).
function macRoman(byte: number): string {
  return byte < 0x80 ? String.fromCharCode(byte) : new TextDecoder('macintosh').decode(Uint8Array.of(byte));
}

function epic(m: TrackerModel, id: string) {
  const s = m.sections.find((x) => x.epicId === id);
  assert.ok(s, `epic ${id} missing; have ${m.sections.map((x) => x.title).join(' / ')}`);
  return s;
}

describe('tracker parsing', () => {
  const phase1 = parseTracker(fixture('tracker-phase1.md'), 'tracker-phase1.md');

  it('recognises columns by header text, ignoring bold, emoji and case', () => {
    assert.equal(columnRole('**User Story**'), 'story');
    assert.equal(columnRole('#'), 'id');
    assert.equal(columnRole(' ID '), 'id');
    assert.equal(columnRole('**Primary Tools**'), 'tools');
    assert.equal(columnRole('Tools'), 'tools');
    assert.equal(columnRole('🎯 Target Outcome'), 'outcome');
    assert.equal(columnRole('üìä **STATUS**'), 'status');
    assert.equal(columnRole('Goal'), 'goal');
    assert.equal(columnRole('Notes'), undefined);
    assert.equal(columnRole('Statuses and more'), undefined);
  });

  it('reads status variants', () => {
    const cases: Array<[string, string]> = [
      ['Done', 'done'], ['✅', 'done'], ['✅ Done', 'done'], ['**Complete**', 'done'], ['‚úÖ Done', 'done'], ['âœ…', 'done'],
      ['In progress', 'in-progress'], ['in-progress', 'in-progress'], ['🔄', 'in-progress'], ['🔄 In progress', 'in-progress'], ['WIP', 'in-progress'],
      ['Todo', 'todo'], ['', 'todo'], ['   ', 'todo'], ['Not done', 'todo'], ['maybe later', 'todo'],
    ];
    for (const [text, want] of cases) assert.equal(parseStatus(text), want, JSON.stringify(text));
  });

  it('reads an epic table without a Status column (the Phase 0 shape)', () => {
    const e = epic(phase1, '1.1');
    assert.equal(e.kind, 'epic');
    assert.equal(e.tables.length, 1);
    const t = e.tables[0];
    assert.equal(t.statusColumn, -1);
    assert.deepEqual(t.columns.map((c) => c.role), ['id', 'story', 'goal', 'tools', 'outcome']);
    assert.deepEqual(t.stories.map((s) => s.id), ['1.1.1', '1.1.2', '1.1.3']);
    assert.equal(t.stories[1].text, 'DNS split horizon ' + Buffer.from('🆕').toString('latin1').replace(/[\s\S]/g, (c) => macRoman(c.charCodeAt(0))));
    assert.equal(t.stories[0].tools, 'OPNsense, managed sw');
    assert.equal(t.stories[0].outcome, 'Lab hosts only reach the internet');
    assert.ok(t.stories.every((s) => s.status === 'todo'));
    assert.deepEqual(e.progress, { storiesDone: 0, storiesInProgress: 0, storiesTotal: 3, itemsChecked: 0, itemsTotal: 0, percent: 0 });
  });

  it('reads a Status column with mixed spellings and counts progress', () => {
    const e = epic(phase1, '1.2');
    const t = e.tables[0];
    assert.equal(t.statusColumn, 4);
    assert.deepEqual(t.stories.map((s) => s.status), ['done', 'done', 'in-progress', 'in-progress', 'todo', 'todo', 'done']);
    assert.equal(e.progress.storiesDone, 3);
    assert.equal(e.progress.storiesInProgress, 2);
    assert.equal(e.progress.percent, Math.round((3 * 100) / 7));
  });

  it('reports duplicate story IDs as a warning but still shows both stories', () => {
    const dup = phase1.issues.filter((i) => i.code === 'duplicate-story-id');
    assert.equal(dup.length, 1);
    assert.equal(dup[0].severity, 'warning');
    assert.match(dup[0].message, /1\.2\.2/);
    assert.equal(epic(phase1, '1.2').tables[0].stories.filter((s) => s.id === '1.2.2').length, 2);
  });

  it('reads tables without outer pipes, ragged rows (warned) and escaped pipes', () => {
    const e = epic(phase1, '1.3');
    assert.equal(e.tables.length, 2);
    assert.deepEqual(e.tables[0].stories.map((s) => s.text), ['Try Cilium', 'Only two cells', 'Too many cells']);
    assert.equal(e.tables[0].stories[1].tools, '', 'missing cell reads empty');
    assert.deepEqual(e.tables[0].stories[2].cells, ['Too many cells', 'a', 'b'], 'extra cells ignored');
    const ragged = phase1.issues.filter((i) => i.code === 'ragged-row').map((i) => i.line);
    assert.deepEqual(ragged, [e.tables[0].stories[1].locator.line, e.tables[0].stories[2].locator.line]);
    assert.equal(e.tables[1].stories[0].text, 'Write runbook | checklist');
  });

  it('reads nested checklists with all markers, and ignores code blocks', () => {
    const s = phase1.sections.find((x) => /Start Here/.test(x.title))!;
    assert.equal(s.kind, 'section');
    assert.deepEqual(s.checklist.map((i) => [i.checked, i.depth]), [
      [true, 0], [false, 0], [true, 1], [false, 1], [false, 2], [true, 0], [false, 0], [true, 0],
    ]);
    assert.equal(s.checklist[2].parentLine, s.checklist[1].locator.line);
    assert.equal(s.checklist[4].parentLine, s.checklist[3].locator.line);
    assert.equal(s.checklist[0].text, 'Flash the Proxmox installer to USB');
    assert.ok(!phase1.sections.some((x) => x.tables.some((t) => t.stories.some((st) => st.id === '9.9.9'))), 'table inside code fence was read');
    assert.ok(!s.checklist.some((i) => /fake/.test(i.text)), 'checklist inside code fence was read');
  });

  it('sums overall progress over all sections', () => {
    const p = phase1.progress;
    const sum = (k: 'storiesDone' | 'storiesTotal' | 'itemsChecked' | 'itemsTotal') => phase1.sections.reduce((n, s) => n + s.progress[k], 0);
    assert.equal(p.storiesTotal, sum('storiesTotal'));
    assert.equal(p.itemsTotal, 8);
    assert.equal(p.itemsChecked, 4);
    assert.equal(p.storiesTotal, 14);
    assert.equal(p.percent, Math.round(((p.storiesDone + p.itemsChecked) * 100) / (p.storiesTotal + p.itemsTotal)));
  });

  it('gives every item a locator whose hash is the line content (no line ending)', () => {
    const bytes = fixture('tracker-crlf.md');
    const m = parseTracker(bytes, 'tracker-crlf.md');
    const lines = splitLines(bytes);
    let n = 0;
    for (const s of m.sections) {
      for (const t of s.tables) for (const st of t.stories) { assert.equal(st.locator.hash, lineHash(lines[st.locator.line - 1].content)); n++; }
      for (const it of s.checklist) { assert.equal(it.locator.hash, lineHash(lines[it.locator.line - 1].content)); n++; }
    }
    assert.equal(n, 5);
    assert.ok(!lines[6].content.includes('\r'));
    assert.equal(m.sections[0].tables[0].stories[0].status, 'done');
  });

  it('marks goal sections (headings with Goal / under Success Metrics)', () => {
    const m = parseTracker(fixture('learning-goals.md'), 'learning-goals.md');
    assert.deepEqual(m.sections.map((s) => [s.title, s.kind]), [['Technical Mastery', 'goals'], ['Practical Experience', 'goals']]);
    assert.deepEqual(m.progress, { storiesDone: 0, storiesInProgress: 0, storiesTotal: 0, itemsChecked: 2, itemsTotal: 5, percent: 40 });
    assert.equal(m.title, 'Learning Goals & Outcomes');
  });

  it('reports a table without separator row (error) and a separator of the wrong width', () => {
    const m = parseTracker(fixture('broken-table.md'), 'broken-table.md');
    const errs = m.issues.filter((i) => i.severity === 'error');
    assert.deepEqual(errs.map((i) => [i.code, i.line, i.endLine]), [['table-missing-separator', 5, 7], ['table-separator-mismatch', 17, 19]]);
    assert.deepEqual(m.sections.flatMap((s) => s.tables.flatMap((t) => t.stories.map((x) => x.id))), ['9.2.1']);
    assert.equal(m.progress.itemsTotal, 1);
  });

  it('parses an empty file to an empty model', () => {
    const m = parseTracker(fixture('empty.md'), 'empty.md');
    assert.deepEqual(m.sections, []);
    assert.deepEqual(m.issues, []);
    assert.equal(m.lineCount, 0);
    assert.equal(m.progress.percent, 0);
  });

  it('survives invalid UTF-8 and reads the rows around it', () => {
    const m = parseTracker(invalidUtf8Tracker(), 'bad.md');
    const t = m.sections[0].tables[0];
    assert.deepEqual(t.stories.map((s) => s.status), ['done', 'todo', 'in-progress']);
    assert.match(t.stories[0].text, /^Caf\uFFFD bytes in cell$/);
    assert.equal(m.sections[0].checklist.length, 3);
    assert.deepEqual(m.sections[0].checklist.map((i) => i.checked), [false, true, false]);
  });

  it('warns about an unterminated code fence instead of failing', () => {
    const m = parseTracker(Buffer.from('# T\n\n- [ ] before\n\n```\n- [ ] inside\n'), 't.md');
    assert.equal(m.progress.itemsTotal, 1);
    assert.equal(m.issues[0].code, 'unterminated-fence');
  });
});
