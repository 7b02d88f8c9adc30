import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { parseLog, pathspecs, summarise, TrackerHistoryReader } from '../../../src/providers/markdown/history';
import { parseTracker } from '../../../src/providers/markdown/tracker';
import { TempRepo } from '../../harness/git-repo';

const GLOBS = ['**/LEARNING_TRACKER.md', '**/Phase*.md'];

function tracker(statuses: Record<string, string>, epic = '0.1'): string {
  const rows = Object.entries(statuses).map(([id, st]) => `| ${id} | Story ${id} | ${st} |`);
  return [`# Tracker`, '', `### Epic ${epic}: Things`, '', '| # | Story | Status |', '| - | ----- | ------ |', ...rows, ''].join('\n');
}

describe('dashboard: tracker history from git', function () {
  this.timeout(20_000);
  let repo: TempRepo;
  beforeEach(() => { repo = new TempRepo(); });
  afterEach(() => repo.dispose());

  it('gives the status of every story at each commit, oldest first', async () => {
    repo.write('Phase0.md', tracker({ '0.1.1': '', '0.1.2': '' }));
    const c1 = repo.commit('start');
    repo.write('notes.md', 'unrelated');
    repo.commit('not a tracker change');
    repo.write('Phase0.md', tracker({ '0.1.1': '🔄 In progress', '0.1.2': '' }));
    repo.commit('working');
    repo.write('Phase0.md', tracker({ '0.1.1': '✅ Done', '0.1.2': 'Done', '0.1.3': '' }));
    const c4 = repo.commit('done');
    const h = await new TrackerHistoryReader(GLOBS).read(repo.dir);
    assert.ok(h.available);
    assert.equal(h.points.length, 3, 'only commits touching tracker files');
    assert.equal(h.points[0].commit, c1);
    assert.equal(h.points[2].commit, c4);
    assert.deepEqual(h.points.map((p) => [p.overall.done, p.overall.inProgress, p.overall.total]), [[0, 0, 2], [0, 1, 2], [2, 0, 3]]);
    assert.deepEqual(h.points[1].statuses, { '0.1.1': 'in-progress', '0.1.2': 'todo' });
    assert.deepEqual(h.points[2].epics['0.1'], { done: 2, inProgress: 0, total: 3 });
    assert.equal(h.epicTitles['0.1'], 'Epic 0.1: Things');
    assert.equal(h.points[2].subject, 'done');
    assert.match(h.points[0].date, /^2025-05-01T/);
  });

  it('is incremental: a second read reuses every known commit and parses only new blobs', async () => {
    repo.write('Phase0.md', tracker({ '0.1.1': '' }));
    repo.commit('a');
    repo.write('Phase0.md', tracker({ '0.1.1': 'Done' }));
    repo.commit('b');
    const reader = new TrackerHistoryReader(GLOBS);
    const first = await reader.read(repo.dir);
    assert.ok(first.available);
    assert.deepEqual([first.stats.blobsParsed, first.stats.pointsReused], [2, 0]);
    const again = await reader.read(repo.dir);
    assert.ok(again.available);
    assert.deepEqual([again.stats.blobsParsed, again.stats.pointsReused], [0, 2]);
    assert.deepEqual(again.points, first.points);
    repo.write('Phase0.md', tracker({ '0.1.1': 'Done', '0.1.2': '' }));
    repo.commit('c');
    const third = await reader.read(repo.dir);
    assert.ok(third.available);
    assert.deepEqual([third.stats.blobsParsed, third.stats.pointsReused, third.points.length], [1, 2, 3]);
  });

  it('follows a renamed tracker file and drops a deleted one', async () => {
    repo.write('Phase0.md', tracker({ '0.1.1': 'Done' }));
    repo.write('Phase1.md', tracker({ '1.1.1': '' }, '1.1'));
    repo.commit('two files');
    repo.git('mv', 'Phase0.md', 'LEARNING_TRACKER.md');
    repo.commit('rename');
    repo.git('rm', '-q', 'Phase1.md');
    repo.commit('delete');
    // Renamed to a name the globs do not match: it stops being a tracker file.
    repo.write('Phase2.md', tracker({ '2.1.1': '' }, '2.1'));
    repo.commit('another');
    repo.git('mv', 'Phase2.md', 'archive.md');
    repo.commit('archived');
    const h = await new TrackerHistoryReader(GLOBS).read(repo.dir);
    assert.ok(h.available);
    assert.deepEqual(h.points.map((p) => p.files), [
      ['Phase0.md', 'Phase1.md'], ['LEARNING_TRACKER.md', 'Phase1.md'], ['LEARNING_TRACKER.md'], ['LEARNING_TRACKER.md', 'Phase2.md'], ['LEARNING_TRACKER.md'],
    ]);
    assert.deepEqual(h.points[1].statuses, { '0.1.1': 'done', '1.1.1': 'todo' }, 'the renamed file keeps its stories');
    assert.deepEqual(h.points[2].statuses, { '0.1.1': 'done' });
    assert.deepEqual(h.points[4].overall, { done: 1, inProgress: 0, total: 1 });
  });

  it('counts a merge commit as one change against the first parent', async () => {
    repo.write('Phase0.md', tracker({ '0.1.1': '', '0.1.2': '' }));
    repo.commit('base');
    repo.git('checkout', '-q', '-b', 'side');
    repo.write('Phase0.md', tracker({ '0.1.1': 'Done', '0.1.2': '' }));
    repo.commit('side work');
    repo.git('checkout', '-q', 'main');
    repo.write('other.md', 'x');
    repo.commit('main work');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    const h = await new TrackerHistoryReader(GLOBS).read(repo.dir);
    assert.ok(h.available);
    assert.deepEqual(h.points.map((p) => [p.subject, p.overall.done]), [['base', 0], ['merge side', 1]]);
  });

  it('says why there is no history: not a repository, no commits, no git', async () => {
    const plain = mkdtempSync(path.join(tmpdir(), 'homelab-nogit-'));
    try {
      const h = await new TrackerHistoryReader(GLOBS).read(plain);
      assert.equal(h.available, false);
      assert.ok(!h.available && /not a git repository/.test(h.reason));
    } finally { rmSync(plain, { recursive: true, force: true }); }
    const empty = await new TrackerHistoryReader(GLOBS).read(repo.dir);
    assert.ok(!empty.available && /no commits/.test(empty.reason));
    const noGit = await new TrackerHistoryReader(GLOBS, '/nonexistent/git').read(repo.dir);
    assert.ok(!noGit.available && /git is not installed/.test(noGit.reason));
  });

  it('an unparseable tracker version counts no stories instead of failing', async () => {
    repo.write('Phase0.md', tracker({ '0.1.1': 'Done' }));
    repo.commit('ok');
    repo.write('Phase0.md', '| broken | table\n| no separator |\n\u0000\xff');
    repo.commit('broken');
    const h = await new TrackerHistoryReader(GLOBS).read(repo.dir);
    assert.ok(h.available);
    assert.deepEqual(h.points.map((p) => p.overall.total), [1, 0]);
  });

  it('parses raw log lines and quoted paths; turns globs into pathspecs', () => {
    const sha = 'a'.repeat(40);
    const log = `\x1e${sha}\x1f2025-01-01T00:00:00Z\x1fmsg\n\n:100644 100644 ${'1'.repeat(40)} ${'2'.repeat(40)} R090\told.md\t"d\\303\\251j\\303\\240.md"\n:000000 100644 ${'0'.repeat(40)} ${'3'.repeat(40)} A\tnew.md\n`;
    const [c] = parseLog(log);
    assert.equal(c.commit, sha);
    assert.deepEqual(c.changes[0], { status: 'R', blob: '2'.repeat(40), from: 'old.md', path: 'déjà.md' });
    assert.deepEqual(c.changes[1], { status: 'A', blob: '3'.repeat(40), path: 'new.md' });
    assert.deepEqual(parseLog('garbage\x1enot-a-sha\x1f\x1f'), []);
    assert.deepEqual(pathspecs(['**/Phase*.md', './x.md']), [':(glob,icase)**/Phase*.md', ':(glob,icase)x.md']);
  });

  it('reads the same story statuses as the tracker panel does, on every tracker fixture', () => {
    const dir = path.resolve(__dirname, '../../fixtures/markdown');
    const files = [...readdirSync(dir).filter((f) => f.endsWith('.md')).map((f) => path.join(dir, f)), path.join(dir, 'context/Phase0-learning-tracker.md')];
    for (const f of files) {
      const bytes = readFileSync(f);
      const model = parseTracker(bytes, f);
      const expected = model.sections.flatMap((s) => s.tables.flatMap((t) => t.stories.map((st) => [st.id.trim() || st.text.replace(/\s+/g, ' ').trim(), s.epicId ?? s.title, st.status])))
        .filter(([k]) => k !== '');
      assert.deepEqual(summarise(bytes).stories.map((s) => [s.key, s.epic, s.status]), expected, f);
    }
  });
});
