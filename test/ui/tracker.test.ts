import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTracker, setStoryStatus, toggleChecklist } from '../../src/providers/markdown';
import { cspWatch, labWorkspace, waitForBytes, webview } from './lab-workspace';
import { openWorkbench, type Workbench } from './workbench';

describe('UI: learning tracker panel', () => {
  const ws = labWorkspace('tracker');
  const phase0 = join(ws, 'docs/Phase0-learning-tracker.md');
  const phase1 = join(ws, 'docs/Phase1.md');
  let wb: Workbench | undefined;
  const csp = cspWatch();
  afterEach(async () => {
    await wb?.close();
    wb = undefined;
  });

  async function openTracker(w: Workbench) {
    await w.runCommand('Homelab: Open Learning Tracker');
    const frame = webview(w.page);
    await frame.locator('section.file').first().waitFor({ timeout: 30_000 });
    return frame;
  }

  it('sets a story status and ticks a checklist item from the panel; the files change only there (dark)', async () => {
    wb = await openWorkbench({ name: 'tracker-dark', workspace: ws, colorScheme: 'dark' });
    csp.watch(wb.page);
    const frame = await openTracker(wb);
    // The user's Phase 0 tracker: no Status column yet; set story 2 of epic 0.1 to Done.
    const before0 = readFileSync(phase0);
    const model0 = parseTracker(before0, phase0);
    const story = model0.sections.flatMap((s) => s.tables.flatMap((t) => t.stories))[1];
    const file0 = frame.locator('section.file[data-key$="Phase0-learning-tracker.md"]');
    const select = file0.locator(`tr[data-line="${story.locator.line}"] vscode-single-select`);
    await select.click();
    await select.locator('li[role="option"]', { hasText: 'Done' }).click();
    // No Status column: the first status change asks (a real modal dialog) how to record it.
    assert.equal(model0.sections.flatMap((s) => s.tables).find((t) => t.stories.includes(story))!.statusColumn, -1, 'the fixture has no Status column');
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 20_000 });
    assert.match(await dialog.locator('.dialog-message-text').innerText(), /has no Status column/);
    assert.ok(readFileSync(phase0).equals(before0), 'nothing is written before the answer');
    await dialog.locator('a.monaco-button', { hasText: 'Add a Status column' }).click();
    const after0 = await waitForBytes(() => readFileSync(phase0), before0);
    assert.ok(after0.equals(setStoryStatus(before0, story.locator, 'done')), 'only the story (and the new Status column) changed');
    await file0.locator(`tr[data-line="${story.locator.line}"] .status-icon.status-done`).waitFor();

    // A checklist item of Phase1.md, with the keyboard: focus the checkbox and press Space.
    const before1 = readFileSync(phase1);
    const item = parseTracker(before1, phase1).sections.flatMap((s) => s.checklist).find((c) => /^Reserve static IPs/.test(c.text))!;
    assert.equal(item.checked, false);
    const box = frame.locator(`section.file[data-key$="Phase1.md"] vscode-checkbox[data-line="${item.locator.line}"]`);
    await box.focus();
    await wb.page.keyboard.press('Space');
    const after1 = await waitForBytes(() => readFileSync(phase1), before1);
    assert.ok(after1.equals(toggleChecklist(before1, item.locator, true)), 'exactly the checkbox changed');
    await frame.locator(`section.file[data-key$="Phase1.md"] vscode-checkbox[data-line="${item.locator.line}"][checked]`).waitFor();
    await wb.page.keyboard.press('Control+b').catch(() => undefined);
    await frame.locator('.top').waitFor();
    // Show the edited story table of the user's Phase 0 tracker.
    await file0.locator(`tr[data-line="${story.locator.line}"]`).evaluate((el: { scrollIntoView(o: object): void }) => el.scrollIntoView({ block: 'center' }));
    await wb.screenshot('tracker-dark');
    assert.deepEqual(csp.violations, []);
  });

  it('renders in a light theme, with the parse problems of the files shown', async () => {
    wb = await openWorkbench({ name: 'tracker-light', workspace: ws, colorScheme: 'light' });
    const frame = await openTracker(wb);
    assert.match(await frame.locator('.overall').innerText(), /\d+%/);
    // Phase1.md has a duplicate story id and ragged rows: listed with their lines.
    await frame.locator('section.file[data-key$="Phase1.md"] .issue', { hasText: 'also used on line' }).waitFor();
    await wb.page.keyboard.press('Control+b').catch(() => undefined);
    await wb.screenshot('tracker-light');

    // "Hide done" is view state: it survives a reload of the window (WebviewPanelSerializer + setState).
    const doneRows = () => frame.locator('tr.story.status-done').count();
    assert.ok((await doneRows()) > 0);
    await frame.locator('vscode-checkbox.filter').click();
    await frame.locator('tr.story.status-done').first().waitFor({ state: 'detached' });
    await wb.page.waitForTimeout(500); // the page posts its state to the workbench asynchronously
    // Reload as a user does (the workbench saves its editors' state on the way down).
    await wb.runCommand('Developer: Reload Window');
    await wb.page.waitForEvent('load', { timeout: 60_000 });
    await wb.page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
    // The restored editor tab is there; select it as a user would before looking at it.
    await wb.page.locator('.tabs-container .tab', { hasText: 'Learning Tracker' }).click({ timeout: 60_000 });
    const again = webview(wb.page);
    await again.locator('section.file').first().waitFor({ timeout: 60_000 });
    assert.equal(await again.locator('vscode-checkbox.filter[checked]').count(), 1, 'the filter came back checked');
    assert.equal(await again.locator('tr.story.status-done').count(), 0);
    assert.ok(await again.locator('tr.story').count() > 0);
  });

  it('renders in the high-contrast theme', async () => {
    wb = await openWorkbench({ name: 'tracker-hc', workspace: ws, colorScheme: 'dark', settings: { 'workbench.colorTheme': 'Default High Contrast' } });
    csp.watch(wb.page);
    const frame = await openTracker(wb);
    await frame.locator('vscode-single-select').first().waitFor();
    await wb.page.keyboard.press('Control+b').catch(() => undefined);
    await wb.screenshot('tracker-high-contrast');
    assert.deepEqual(csp.violations, []);
  });
});
