import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cspWatch, labWorkspace, webview } from './lab-workspace';
import { openWorkbench, type Workbench } from './workbench';

describe('UI: journal panel', () => {
  const ws = labWorkspace('journal');
  let wb: Workbench | undefined;
  const csp = cspWatch();
  afterEach(async () => {
    await wb?.close();
    wb = undefined;
  });

  async function openJournal(w: Workbench) {
    await w.runCommand('Homelab: Open Journal');
    const frame = webview(w.page);
    await frame.locator('.timeline .phase').first().waitFor({ timeout: 30_000 });
    return frame;
  }

  it('shows phases, entries and activity; searches; opens an entry (dark)', async () => {
    wb = await openWorkbench({ name: 'journal-dark', workspace: ws, colorScheme: 'dark' });
    csp.watch(wb.page);
    const frame = await openJournal(wb);
    const phases = await frame.locator('.timeline .phase h3').allInnerTexts();
    assert.ok(phases.length >= 3, `phases: ${phases.join(' | ')}`);
    assert.match(phases[0], /Phase 1/);
    await frame.locator('.phase.status-complete').first().waitFor();
    assert.ok(await frame.locator('.activity').count() >= 5);
    // Search, then open the hit with the keyboard.
    const search = frame.locator('vscode-textfield.search input');
    await search.fill('shebang');
    const hit = frame.locator('button.entry', { hasText: 'NixOS Templates' });
    await hit.waitFor();
    await frame.locator('button.entry mark').first().waitFor();
    await hit.focus();
    await wb.page.keyboard.press('Enter');
    await frame.locator('.entry-pane h2', { hasText: 'NixOS Templates' }).waitFor();
    await frame.locator('.entry-pane .markdown h2', { hasText: 'Problem-Solving Journey' }).waitFor();
    await search.fill('');
    await frame.locator('button.entry', { hasText: 'Phase 2 Complete' }).click();
    await frame.locator('.entry-pane .markdown h2', { hasText: 'What We Actually Built' }).waitFor();
    await wb.page.keyboard.press('Control+b').catch(() => undefined);
    await frame.locator('body').evaluate('window.scrollTo(0, 0)');
    await wb.screenshot('journal-dark');
    assert.deepEqual(csp.violations, [], 'the strict CSP blocked nothing the page needs');
  });

  it('creates a new entry through the real input box, linked from the README (light)', async () => {
    wb = await openWorkbench({ name: 'journal-light', workspace: ws, colorScheme: 'light' });
    const frame = await openJournal(wb);
    await frame.locator('.retro-link').first().click();
    await frame.locator('.entry-pane .markdown').waitFor();
    await wb.page.keyboard.press('Control+b').catch(() => undefined);
    await frame.locator('body').evaluate('window.scrollTo(0, 0)');
    await wb.screenshot('journal-light');
    const before = new Set(readdirSync(join(ws, 'journal')));
    await frame.locator('vscode-button', { hasText: 'New Entry' }).click();
    const input = wb.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill('Phase 3 kickoff');
    await wb.page.keyboard.press('Enter');
    let created: string | undefined;
    for (let i = 0; i < 100 && !created; i++) {
      created = readdirSync(join(ws, 'journal')).find((f) => !before.has(f) && /phase-3-kickoff\.md$/.test(f));
      if (!created) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(created, 'the entry file was created');
    assert.match(readFileSync(join(ws, 'journal', created), 'utf8'), /^# Phase 3 kickoff\n\n\*\*Date\*\*: \d{4}-\d\d-\d\d {2}\n/);
    // The README link is written right after the entry.
    let readme = '';
    for (let i = 0; i < 100 && !readme.includes(created); i++) {
      readme = readFileSync(join(ws, 'journal/README.md'), 'utf8');
      if (!readme.includes(created)) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(readme, new RegExp(`## Journal entries\\n\\n- \\[Phase 3 kickoff\\]\\(\\./${created.replace(/\./g, '\\.')}\\)`));
    // The entry opens in an editor tab.
    await wb.page.locator('.tabs-container .tab', { hasText: created }).waitFor();
  });
});
