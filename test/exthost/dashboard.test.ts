import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HomelabApi } from '../../src/extension';
import { formatActivityLine } from '../../src/providers/markdown';
import type { DashboardState } from '../../src/protocol/dashboard';
import type { DashboardPanel } from '../../src/views/dashboard/panel';
import { activateHomelab } from './util';
import { closeAllEditors, fixture, keyOfWs, readWs, removeWs, runScripted, setSetting, workspaceRoot, writeWs, wsPath } from './webview-helpers';

// The user's own files (test/fixtures/markdown/context = ../shared/context) laid out as a workspace.
const ROOT = 'dashboard-ws';
const J = `${ROOT}/journal`;
const ACTIVITY = [
  '# Activity log', '',
  formatActivityLine({ when: '2025-06-02T10:00:00Z', what: 'Clone guest 101 to 120 for story 0.1.3', cluster: 'pve', target: 'pve1/120', durationMs: 120_000, result: 'ok' }),
  formatActivityLine({ when: '2025-06-03T10:00:00Z', what: 'Start guest 120 (story 0.1.3)', durationMs: 30_000, result: 'failed: timeout' }),
  '- 2025-06-04 edited by hand · ok · no time',
  formatActivityLine({ when: '2025-06-10T09:00:00Z', what: 'Build NixOS template', cluster: 'pve', durationMs: 3_600_000, result: 'ok' }),
  '',
].join('\n');

describe('Learning dashboard (extension host)', function () {
  this.timeout(60_000);
  let api: HomelabApi;
  let panel: DashboardPanel;
  let madeRepo = false;

  before(async () => {
    api = await activateHomelab();
    removeWs(ROOT);
    writeWs(`${J}/README.md`, fixture('context/journal-readme.md'));
    writeWs(`${J}/phase-2-retrospective.md`, fixture('context/phase-2-retrospective.md'));
    writeWs(`${J}/activity.md`, ACTIVITY);
    writeWs(`${ROOT}/Phase0-learning-tracker.md`, fixture('context/Phase0-learning-tracker.md'));
    writeWs(`${ROOT}/learning-goals.md`, fixture('context/learning-goals.md'));
    await setSetting('journal.folder', J);
    await setSetting('tracker.globs', [`${ROOT}/**/Phase*.md`, `${ROOT}/**/*learning*.md`]);
  });
  after(async () => {
    api.dashboard.current?.panel.dispose();
    await setSetting('journal.folder', undefined);
    await setSetting('tracker.globs', undefined);
    removeWs(ROOT);
    if (madeRepo) rmSync(join(workspaceRoot(), '.git'), { recursive: true, force: true });
    await closeAllEditors();
  });

  it("Dashboard: opens over the user's own files with phases, estimates vs actuals, metrics, weeks and story links", async () => {
    const { failure } = await runScripted(api, 'homelab.dashboard.open', []);
    assert.equal(failure, undefined);
    assert.ok(api.dashboard.current, 'the panel is open');
    panel = api.dashboard.current;
    const s = panel.state as DashboardState;
    assert.ok(s);
    assert.deepEqual(s.phases.map((p) => [p.number, p.status]), [['1', 'complete'], ['2', 'planned'], ['3', 'planned'], ['4', 'planned']]);
    assert.deepEqual(s.phases[0].estimates.map((e) => [e.text, e.minHours, e.maxHours]), [['8-12 hours', 8, 12]]);
    assert.deepEqual(s.phases[1].estimates.map((e) => [e.label, e.minHours, e.maxHours]), [['Estimated without AI assistance', 80, 120]]);
    assert.deepEqual(s.phases[1].actuals.map((e) => [e.minHours, e.approximate]), [[8, true]]);
    assert.equal(s.phases[1].actuals[0].key, keyOfWs(`${J}/phase-2-retrospective.md`));
    const goals = s.metrics.find((m) => m.label.endsWith('learning-goals.md'));
    assert.ok(goals);
    assert.equal(goals.title, '📈 Success Metrics', 'double-encoded emoji repaired for display');
    assert.deepEqual(goals.groups.map((g) => [g.title, g.checked, g.checkable]), [['Technical Mastery', 0, 5], ['Practical Experience', 0, 4], ['Architectural Insights', 0, 4]]);
    const readme = s.metrics.find((m) => m.label.endsWith('journal/README.md'));
    assert.deepEqual(readme?.groups.map((g) => g.title), ['Technical Metrics', 'Learning Metrics', 'AI Partnership Metrics']);
    assert.deepEqual(s.weeks.map((w) => [w.week, w.operations, w.ok, w.failed]), [['2025-06-02', 2, 1, 1], ['2025-06-09', 1, 1, 0]]);
    assert.deepEqual(s.activity.unreadLines, [5], 'the hand-edited line is reported, not dropped silently');
    const story = s.stories.find((x) => x.id === '0.1.3');
    assert.ok(story);
    assert.equal(story.operations.length, 2);
    assert.equal(story.timeMs, 150_000);
    assert.equal(s.stories.length, 9);
    // The page got exactly this state, and it passes the protocol's validation.
    const posted = panel.channel.posted.filter((m) => m.type === 'state').pop();
    assert.deepEqual(posted?.payload, s);
  });

  it('Dashboard: history comes from git — status of every story at each commit of the tracker files', async () => {
    const root = workspaceRoot();
    if (!existsSync(join(root, '.git'))) {
      madeRepo = true;
      const git = (...a: string[]): string => execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', '-c', 'commit.gpgsign=false', ...a], { cwd: root, encoding: 'utf8' });
      git('init', '-q');
      git('add', `${ROOT}/Phase0-learning-tracker.md`);
      git('commit', '-q', '-m', 'tracker as the user wrote it');
      // Add a Status column with one story done and one in progress: a second point.
      const text = readWs(`${ROOT}/Phase0-learning-tracker.md`).toString('utf8').split('\n').map((l) => {
        if (/^\| #/.test(l)) return `${l} **Status** |`;
        if (/^\| -/.test(l)) return `${l} --- |`;
        if (/^\| 0\.1\.1 /.test(l)) return `${l} ✅ Done |`;
        if (/^\| 0\.1\.2 /.test(l)) return `${l} 🔄 In progress |`;
        return /^\| \d/.test(l) ? `${l}  |` : l;
      }).join('\n');
      writeWs(`${ROOT}/Phase0-learning-tracker.md`, text);
      git('add', '-A', ROOT);
      git('commit', '-q', '-m', 'statuses');
    }
    const s = await panel.reload();
    if (!madeRepo) {
      // The workspace already sits in a repository the test must not rewrite: history reads, nothing more to assert.
      assert.equal(typeof s.history.available, 'boolean');
      return;
    }
    assert.equal(s.history.available, true, s.history.reason);
    assert.equal(s.history.points.length, 2);
    assert.deepEqual(s.history.points.map((p) => [p.subject, p.overall.done, p.overall.inProgress, p.overall.total]), [
      ['tracker as the user wrote it', 0, 0, 9], ['statuses', 1, 1, 9],
    ]);
    assert.deepEqual(s.history.points[1].epics['0.1'], { done: 1, inProgress: 1, total: 4 });
    assert.ok(s.history.epics.some((e) => e.key === '0.1' && /Epic 0\.1/.test(e.title)));
  });

  it('Dashboard: exports a phase as markdown + HTML where the user picks, and asks before replacing', async () => {
    const md = `${J}/evidence-phase-2.md`;
    const html = `${J}/evidence-phase-2.html`;
    api.prompts.script(wsPath(md));
    const saved = await panel.exportReport({ phase: '2' });
    assert.equal(api.prompts.pendingAnswers, 0);
    assert.deepEqual(saved?.map((u) => u.fsPath), [wsPath(md), wsPath(html)]);
    const text = readWs(md).toString('utf8');
    assert.match(text, /^# Evidence report: Phase 2: NixOS Configuration Automation\n/);
    assert.match(text, /Estimated \(Estimated without AI assistance\): 2-3 weeks/);
    assert.match(text, /Actual \(Actual time with Claude Code\): 2-3 focused sessions totaling ~8 hours/);
    assert.match(text, /- \[ \] Deploy production-grade Kubernetes clusters from scratch \(\S*learning-goals\.md, Technical Mastery\)/);
    assert.match(text, /\*\*Bottom Line\*\*: Transform from/);
    const page = readWs(html).toString('utf8');
    assert.match(page, /<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="chart"/);
    assert.doesNotMatch(page, /<script|src=|href="http/i, 'self-contained: no script, nothing fetched');

    // The file exists now: the user is asked, and declining leaves both files as they are.
    writeWs(md, 'my own edits');
    api.prompts.script(wsPath(md), undefined);
    await assert.rejects(panel.exportReport({ phase: '2' }), (e: Error) => e.name === 'CancelledError' || /cancel/i.test(e.message));
    assert.match(api.prompts.asked[api.prompts.asked.length - 1], /^Replace .*evidence-phase-2\.md, .*evidence-phase-2\.html\?$/);
    assert.equal(readWs(md).toString('utf8'), 'my own edits');
    api.prompts.script(wsPath(md), 'Replace');
    await panel.exportReport({ phase: '2' });
    assert.match(readWs(md).toString('utf8'), /^# Evidence report: Phase 2/);
    api.prompts.clearScript();
  });

  it('Dashboard: a date range picked in the prompts, and a page message with a bad payload is refused', async () => {
    api.prompts.script('$range', '2025-06-01', '2025-06-05', wsPath(`${J}/june.md`));
    await panel.exportReport({});
    assert.equal(api.prompts.pendingAnswers, 0);
    const text = readWs(`${J}/june.md`).toString('utf8');
    assert.match(text, /^# Evidence report: 2025-06-01 to 2025-06-05/);
    assert.match(text, /Logged operations: 2, /);
    assert.match(text, /Clone guest 101 to 120 for story 0\.1\.3 \| pve \| pve1\/120/);
    assert.doesNotMatch(text, /Build NixOS template/, 'outside the range');
    assert.equal(await panel.channel.receive({ type: 'export', payload: { from: 'yesterday' } }), false);
    assert.equal(await panel.channel.receive({ type: 'open', payload: { key: 'x', line: 0 } }), false);
  });

  it('Dashboard: links a logged operation to a story from the panel; only that line of the log changes', async () => {
    const before = readWs(`${J}/activity.md`).toString('utf8');
    await panel.reload();
    api.prompts.script('Build NixOS template');
    await panel.linkOperation('0.2.1');
    assert.equal(api.prompts.pendingAnswers, 0);
    assert.match(api.prompts.asked[api.prompts.asked.length - 1], /Which operation served story 0\.2\.1\?/);
    const after = readWs(`${J}/activity.md`).toString('utf8');
    assert.equal(after, before.replace('Build NixOS template · cluster `pve` · 1 h 0 min', 'Build NixOS template · cluster `pve` · 1 h 0 min · story 0.2.1'));
    const story = panel.state?.stories.find((x) => x.id === '0.2.1');
    assert.deepEqual(story?.operations.map((o) => o.what), ['Build NixOS template']);
    assert.equal(story?.timeMs, 3_600_000);
    // Through the page's message, an invalid story ID never reaches the host's handler.
    assert.equal(await panel.channel.receive({ type: 'link', payload: { storyId: '0.2.1 · story 9' } }), false);
  });
});
