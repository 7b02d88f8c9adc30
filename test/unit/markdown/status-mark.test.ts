import { strict as assert } from 'node:assert';
import { parseTracker, splitStatusMark, type Story, type TrackerModel } from '../../../src/providers/markdown/tracker';
import { setStoryStatus } from '../../../src/providers/markdown/edit';
import { StaleEditError } from '../../../src/providers/markdown/errors';
import { changedLines, fixture, rawLines } from './helpers';

const storyOf = (m: TrackerModel, id: string): Story => {
  const s = m.sections.flatMap((x) => x.tables.flatMap((t) => t.stories)).find((x) => x.id === id);
  assert.ok(s, `story ${id}`);
  return s;
};

describe('status recorded as a mark after the story ID (a table without a Status column)', () => {
  const bytes = fixture('tracker-phase1.md');
  const model = parseTracker(bytes, 't.md');

  it('changes exactly one cell of one line, and reads back as the status with the ID unchanged', () => {
    const st = storyOf(model, '1.1.2');
    const out = setStoryStatus(bytes, st.locator, 'done', 'mark');
    assert.deepEqual(changedLines(bytes, out), [st.locator.line - 1], 'one line');
    const before = rawLines(bytes)[st.locator.line - 1].toString();
    const after = rawLines(out)[st.locator.line - 1].toString();
    assert.equal(after.split('|').length, before.split('|').length, 'no cell added');
    assert.deepEqual(after.split('|').slice(2), before.split('|').slice(2), 'only the ID cell changed');
    assert.match(after, /^\| 1\.1\.2 ✅ *\|/);
    const m2 = parseTracker(out, 't.md');
    const again = storyOf(m2, '1.1.2');
    assert.equal(again.status, 'done');
    assert.equal(m2.sections.find((s) => s.epicId === '1.1')!.tables[0].statusColumn, -1, 'still no Status column');
  });

  it('moves between statuses and back to todo, leaving the original bytes', () => {
    const st = storyOf(model, '1.1.3');
    const doing = setStoryStatus(bytes, st.locator, 'in-progress', 'mark');
    assert.equal(storyOf(parseTracker(doing, 't.md'), '1.1.3').status, 'in-progress');
    const done = setStoryStatus(doing, storyOf(parseTracker(doing, 't.md'), '1.1.3').locator, 'done', 'mark');
    assert.match(rawLines(done)[st.locator.line - 1].toString(), /^\| 1\.1\.3 ✅/);
    const todo = setStoryStatus(done, storyOf(parseTracker(done, 't.md'), '1.1.3').locator, 'todo', 'mark');
    assert.equal(storyOf(parseTracker(todo, 't.md'), '1.1.3').status, 'todo');
    assert.deepEqual(changedLines(bytes, todo).length <= 1, true);
  });

  it('a table with a Status column ignores the choice and edits its Status cell', () => {
    const st = storyOf(model, '1.2.5');
    const out = setStoryStatus(bytes, st.locator, 'done', 'mark');
    assert.ok(out.equals(setStoryStatus(bytes, st.locator, 'done', 'column')));
  });

  it('refuses a stale locator instead of marking another row', () => {
    const st = storyOf(model, '1.1.2');
    assert.throws(() => setStoryStatus(bytes, { ...st.locator, hash: 'nope' }, 'done', 'mark'), StaleEditError);
  });

  it('splitStatusMark reads only a trailing mark', () => {
    assert.deepEqual(splitStatusMark('3.2.1 ✅'), { text: '3.2.1', status: 'done' });
    assert.deepEqual(splitStatusMark('3.2.1 🔄 '), { text: '3.2.1', status: 'in-progress' });
    assert.deepEqual(splitStatusMark('✅ 3.2.1'), { text: '✅ 3.2.1', status: 'todo' });
    assert.deepEqual(splitStatusMark(''), { text: '', status: 'todo' });
  });
});
