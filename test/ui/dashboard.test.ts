import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cspWatch, labWorkspace, webview } from './lab-workspace';
import { openWorkbench, type Workbench } from './workbench';

/** The lab workspace as a git repository whose tracker changed over three commits. */
function gitWorkspace(): string {
  const ws = labWorkspace('dashboard-git');
  const git = (...a: string[]): void => {
    execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', '-c', 'commit.gpgsign=false', ...a], {
      cwd: ws, env: { ...process.env, GIT_AUTHOR_DATE: a.includes('commit') ? dates.shift() : undefined, GIT_COMMITTER_DATE: a.includes('commit') ? commitDates.shift() : undefined },
    });
  };
  const dates = ['2025-06-01T10:00:00Z', '2025-06-08T10:00:00Z', '2025-06-15T10:00:00Z'];
  const commitDates = [...dates];
  const tracker = readFileSync(resolve(__dirname, '../fixtures/markdown/tracker-phase1.md'), 'utf8');
  git('init', '-q');
  writeFileSync(join(ws, 'docs/Phase1.md'), tracker.replace('🔄 In progress', ''));
  git('add', '-A');
  git('commit', '-q', '-m', 'tracker');
  writeFileSync(join(ws, 'docs/Phase1.md'), tracker);
  git('commit', '-q', '-am', 'started 1.2.3');
  writeFileSync(join(ws, 'docs/Phase1.md'), tracker.replace('🔄 In progress', '✅ Done'));
  git('commit', '-q', '-am', 'finished 1.2.3');
  // An activity entry that names a story, and a line broken by a hand edit.
  appendFileSync(join(ws, 'journal/activity.md'), '- 2025-06-15T08:00:00Z · **ok** · Configure off-site backup for story 1.2.3 · cluster `homelab` · 25 min 0 s\n- broken hand-edited line\n');
  return ws;
}

describe('UI: learning dashboard', () => {
  let wb: Workbench | undefined;
  const csp = cspWatch();
  afterEach(async () => {
    await wb?.close();
    wb = undefined;
  });

  async function openDashboard(w: Workbench) {
    await w.runCommand('Homelab: Open Learning Dashboard');
    const frame = webview(w.page);
    await frame.locator('#metrics svg.chart').waitFor({ timeout: 60_000 });
    return frame;
  }

  /** Every chart is drawn, has an accessible name, and its numbers are in a table. */
  async function checkCharts(frame: ReturnType<typeof webview>): Promise<void> {
    for (const id of ['#phases', '#metrics', '#activity']) {
      await frame.locator(`${id} svg.chart[role="img"]`).first().waitFor();
      assert.ok(await frame.locator(`${id} table.numbers tbody tr`).count() > 0, `${id} has a table of its numbers`);
    }
    // Marks take their colour from the theme (a CSS variable), not from a hard-coded value.
    const fill = await frame.locator('#phases svg.chart rect.series-0').first().evaluate('(el) => getComputedStyle(el).fill') as string;
    const themed = await frame.locator('body').evaluate('getComputedStyle(document.documentElement).getPropertyValue("--vscode-charts-blue").trim()') as string;
    assert.ok(themed !== '', 'the theme defines --vscode-charts-blue');
    assert.notEqual(fill, 'rgb(0, 0, 0)', `the bar is coloured by the theme (${fill}, theme blue ${themed})`);
  }

  it('draws progress over time from git, estimates vs actuals, metrics and weekly activity (dark)', async () => {
    wb = await openWorkbench({ name: 'dashboard-dark', workspace: gitWorkspace(), colorScheme: 'dark' });
    csp.watch(wb.page);
    const frame = await openDashboard(wb);
    await frame.locator('#progress svg.chart path.line').first().waitFor();
    await checkCharts(frame);
    const epicRow = await frame.locator('#progress table.numbers tbody tr', { hasText: 'Epic 1.2' }).first().innerText();
    // 1.2.1-1.2.3 done, 1.2.4 in progress, 1.2.5-1.2.6 open (the duplicate 1.2.2 row counts once).
    assert.match(epicRow, /\t3\t1\t6\t50%$/, `epic 1.2 at the last commit: ${epicRow}`);
    assert.equal(await frame.locator('#progress table.numbers', { hasText: 'finished 1.2.3' }).locator('tbody tr').count(), 3, 'one row per commit');
    const story = await frame.locator('#stories tbody tr', { hasText: 'Off-site backup' }).innerText();
    assert.match(story, /1 operations/);
    assert.match(story, /0\.4 h/);
    await frame.locator('#activity .why', { hasText: 'not entries' }).waitFor();
    await wb.page.keyboard.press('Control+b').catch(() => undefined);
    await frame.locator('body').evaluate('window.scrollTo(0, 0)');
    await wb.screenshot('dashboard-dark');
    await frame.locator('#metrics h2').scrollIntoViewIfNeeded();
    await wb.screenshot('dashboard-dark-metrics');
    assert.deepEqual(csp.violations, [], 'the strict CSP blocked nothing the page needs');
  });

  it('says why the history is empty outside a git repository; the rest works (light)', async () => {
    wb = await openWorkbench({ name: 'dashboard-light', workspace: labWorkspace('dashboard-nogit'), colorScheme: 'light' });
    csp.watch(wb.page);
    const frame = await openDashboard(wb);
    await frame.locator('#progress .why', { hasText: 'not a git repository' }).waitFor();
    assert.equal(await frame.locator('#progress svg.chart').count(), 0);
    await checkCharts(frame);
    await wb.page.keyboard.press('Control+b').catch(() => undefined);
    await frame.locator('body').evaluate('window.scrollTo(0, 0)');
    await wb.screenshot('dashboard-light');
    assert.deepEqual(csp.violations, []);
  });

  it('renders in the high-contrast theme', async () => {
    wb = await openWorkbench({ name: 'dashboard-hc', workspace: gitWorkspace(), colorScheme: 'dark', settings: { 'workbench.colorTheme': 'Default High Contrast' } });
    csp.watch(wb.page);
    const frame = await openDashboard(wb);
    await checkCharts(frame);
    // High contrast draws a border round every mark (--vscode-contrastBorder).
    const stroke = await frame.locator('#phases svg.chart rect.mark').first().evaluate('(el) => getComputedStyle(el).stroke') as string;
    assert.notEqual(stroke, 'none');
    await wb.page.keyboard.press('Control+b').catch(() => undefined);
    await frame.locator('body').evaluate('window.scrollTo(0, 0)');
    await wb.screenshot('dashboard-high-contrast');
    assert.deepEqual(csp.violations, []);
  });
});
