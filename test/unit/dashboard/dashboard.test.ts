import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { activityWeeks, buildDashboard, readActivity, storyRefs, weekOf, type SourceFile } from '../../../src/providers/markdown/dashboard';
import type { TrackerHistory } from '../../../src/providers/markdown/history';

const CONTEXT = path.resolve(__dirname, '../../fixtures/markdown/context');
const file = (name: string, label = name): SourceFile => ({ key: `/ws/${label}`, label, bytes: readFileSync(path.join(CONTEXT, name)) });
const NO_GIT: TrackerHistory = { available: false, reason: 'The workspace is not a git repository.', points: [], epicTitles: {} };

const ACTIVITY = [
  '# Activity log', '',
  '- 2025-06-02T10:00:00Z · **ok** · Clone guest 101 to 120 for story 0.1.3 · cluster `pve` · target `node1/120` · 2 min 0 s',
  '- 2025-06-03T10:00:00Z · **failed: timeout** · Start guest 120 (story 0.1.3) · 30.0 s',
  '- 2025-06-09T09:00:00Z · **cancelled** · Upload ISO · 1.5 s',
  '- 2025-06-09T09:30:00Z · **ok** · Build template for stories 0.2.1 · 1 h 2 min',
  '- 2025-06-10 hand edited, no time · **ok** · something',
  '- 2025-06-10T10:00:00Z · broken line without separators',
  '* not an entry at all',
  'A paragraph the user added.',
  '',
].join('\n');

describe('dashboard: activity, links and phases', () => {
  it('names stories from activity text', () => {
    assert.deepEqual(storyRefs('Clone for story 0.1.3 and Story #0.2.1, stories 1.2'), ['0.1.3', '0.2.1', '1.2']);
    assert.deepEqual(storyRefs('history 0.1.3, story of my life'), []);
  });

  it('groups activity per ISO week (Monday, UTC) with outcomes and time, and lists unreadable lines', () => {
    assert.equal(weekOf('2025-06-08T23:59:59Z'), '2025-06-02');
    assert.equal(weekOf('2025-06-09T00:00:00Z'), '2025-06-09');
    const r = readActivity(Buffer.from(ACTIVITY));
    assert.equal(r.entries.length, 4);
    assert.deepEqual(r.unreadLines, [7, 8, 9]);
    assert.deepEqual(activityWeeks(r.entries), [
      { week: '2025-06-02', operations: 2, ok: 1, failed: 1, cancelled: 0, durationMs: 150_000 },
      { week: '2025-06-09', operations: 2, ok: 1, failed: 0, cancelled: 1, durationMs: 3_721_500 },
    ]);
  });

  it("builds the dashboard from the user's own files: phases with estimate vs actual, metrics, stories with operations", () => {
    const d = buildDashboard({
      journal: [file('journal-readme.md', 'journal/README.md'), file('phase-2-retrospective.md', 'journal/phase-2-retrospective.md')],
      trackers: [file('Phase0-learning-tracker.md'), file('learning-goals.md')],
      activity: { key: '/ws/journal/activity.md', label: 'journal/activity.md', bytes: Buffer.from(ACTIVITY) },
      history: NO_GIT,
      now: new Date('2025-06-20T00:00:00Z'),
    });
    assert.deepEqual(d.phases.map((p) => [p.number, p.status, p.estimates.map((e) => e.text), p.actuals.map((a) => a.minHours)]), [
      ['1', 'complete', ['8-12 hours'], []],
      ['2', 'planned', ['2-3 weeks of:'], [8]],
      ['3', 'planned', [], []],
      ['4', 'planned', [], []],
    ]);
    assert.deepEqual(d.metrics.map((m) => [m.label, m.checkable]), [['journal/README.md', 0], ['learning-goals.md', 13]]);
    const s013 = d.stories.find((s) => s.id === '0.1.3');
    assert.ok(s013);
    assert.equal(s013.epic, 'Epic 0.1');
    assert.deepEqual(s013.operations.map((o) => o.result), ['ok', 'failed: timeout']);
    assert.equal(s013.timeMs, 150_000);
    assert.equal(d.stories.find((s) => s.id === '0.2.1')?.timeMs, 3_720_000);
    assert.equal(d.stories.find((s) => s.id === '0.1.1')?.operations.length, 0);
    assert.equal(d.stories.length, 9);
    assert.equal(d.activity.entries, 4);
    assert.equal(d.problems.length, 1);
    assert.match(d.problems[0], /3 line\(s\) of journal\/activity.md/);
    assert.deepEqual(d.history, { available: false, reason: 'The workspace is not a git repository.', epics: [], points: [] });
    assert.ok(d.statements.some((s) => s.label === 'Bottom Line'));
  });

  it('puts the stories and operations of a phase in its date range', () => {
    const readme = ['# J', '## Phase Overview', '### Phase 1: Base', '**Status**: Complete  ', '**Dates**: 2025-06-01 to 2025-06-05  ', '**Duration**: a weekend', '',
      '### Phase 2: Next', '**Status**: In progress', ''].join('\n');
    const history: TrackerHistory = {
      available: true, root: '/ws', epicTitles: { '0.1': 'Epic 0.1: X' }, stats: { commits: 2, blobsParsed: 2, pointsReused: 0 },
      points: [
        { commit: 'a', date: '2025-05-20T00:00:00Z', subject: 'a', files: ['P.md'], overall: { done: 0, inProgress: 0, total: 2 }, epics: {}, statuses: { '0.1.1': 'todo', '0.1.2': 'todo' } },
        { commit: 'b', date: '2025-06-04T00:00:00Z', subject: 'b', files: ['P.md'], overall: { done: 1, inProgress: 0, total: 2 }, epics: {}, statuses: { '0.1.1': 'done', '0.1.2': 'todo' } },
      ],
    };
    const d = buildDashboard({
      journal: [{ key: '/ws/journal/README.md', label: 'journal/README.md', bytes: Buffer.from(readme) }],
      trackers: [],
      activity: { key: '/ws/journal/activity.md', label: 'journal/activity.md', bytes: Buffer.from(ACTIVITY) },
      history,
    });
    const [p1, p2] = d.phases;
    assert.deepEqual([p1.from, p1.to, p1.operations, p1.operationMs], ['2025-06-01', '2025-06-05', 2, 150_000]);
    assert.deepEqual(p1.stories, ['0.1.1', '0.1.3']);
    assert.deepEqual(p1.estimates.map((e) => [e.text, e.minHours]), [['a weekend', undefined]], 'a malformed duration stays as text');
    assert.deepEqual([p2.from, p2.to, p2.operations], ['2025-06-05', undefined, 2]);
  });
});
