import * as assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../proxmox-sim';
import { openWorkbench, type Workbench } from './workbench';

describe('UI: NixOS template pipeline from the command palette (Nix pipeline)', () => {
  let wb: Workbench;
  let sim: Simulator;
  let standin: string;
  before(async () => {
    sim = await startSimulator({ nodes: 2, guests: 4, seed: 9, taskDurationMs: 600, authFailDelayMs: 50, agentBootDelayMs: 0, installDurationMs: 5000 });
    standin = mkdtempSync(join(tmpdir(), 'nix-standin-ui-'));
    copyFileSync(join(__dirname, '..', 'fixtures', 'nix-standin', 'nix'), join(standin, 'nix'));
    chmodSync(join(standin, 'nix'), 0o755);
    wb = await openWorkbench({
      name: 'nix-pipeline',
      settings: {
        'terminal.integrated.gpuAcceleration': 'off',
        'homelab.proxmox.refreshInterval': 0,
        'homelab.template.node': 'pve1',
        'homelab.proxmox.isoRetention': 100,
        // Machine-scoped setting: the stand-in as the local nix even if PATH is rebuilt by the server.
        'homelab.nix.nixPath': join(standin, 'nix'),
      },
      env: {
        HOMELAB_DEMO_CLUSTER: JSON.stringify({ url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret }),
        // The stand-in first on PATH: the extension finds it as the local nix.
        PATH: `${standin}:${process.env.PATH}`,
      },
    });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      await wb?.screenshot('nix-pipeline-failure').catch(() => undefined);
      const toasts = await wb?.page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts().catch(() => []);
      console.log(`toasts: ${toasts?.join(' | ')}`);
    }
  });
  after(async () => {
    await wb?.close();
    await sim?.close();
    rmSync(standin, { recursive: true, force: true });
  });

  it('runs build, upload, install and template; the terminal streams it and the Pipeline view shows every step done with its duration', async () => {
    const { page } = wb;
    await wb.openHomelab();
    const header = page.locator('.part.sidebar .pane-header[aria-label^="Pipeline"]');
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Demo lab' }).first().waitFor({ timeout: 30_000 });
    // No pipeline in this workspace yet: the Proxmox view gets the room, the Pipeline view is not shown.
    assert.equal(await header.count(), 0, 'no Pipeline view before a pipeline exists');
    await wb.screenshot('nix-pipeline-welcome');

    await wb.runCommand('Homelab: Build and Deploy NixOS Template');
    await header.waitFor({ state: 'attached', timeout: 20_000 });
    const rows = page.locator('.xterm-rows');
    try {
      await rows.filter({ hasText: /Build the NixOS ISO/ }).first().waitFor({ timeout: 60_000 });
    } catch (e) {
      await wb.screenshot('nix-pipeline-failure');
      const toasts = await page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
      throw new Error(`no pipeline terminal: ${(e as Error).message}; toasts: ${toasts.join(' | ')}`);
    }
    // The DOM renderer draws only the visible rows: maximize the panel so the log's end fits.
    await wb.runCommand('View: Toggle Maximized Panel');
    await rows.filter({ hasText: /▶ Wait for the install to power off/ }).first().waitFor({ timeout: 90_000 });
    // The progress notification: the step (phase) and the elapsed time, with a Cancel button.
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: /Wait for the install to power off · \d+:\d\d/ }).first();
    await toast.waitFor({ timeout: 15_000 });
    assert.ok(await toast.locator('a.monaco-button, .monaco-button', { hasText: 'Cancel' }).count() > 0, 'the notification can cancel');
    await wb.screenshot('nix-pipeline-installing');
    await rows.filter({ hasText: /Template ready: VM \d+/ }).first().waitFor({ timeout: 90_000 });
    const termText = await rows.filter({ hasText: /Template ready/ }).first().innerText();
    assert.match(termText, /homelab-install: step 6\/6/);
    assert.match(termText, /Convert to a template/);
    await wb.screenshot('nix-pipeline-terminal');
    await wb.runCommand('View: Toggle Maximized Panel');

    const row = (t: string) => page.locator('.part.sidebar .monaco-list-row', { hasText: t }).first();
    for (const t of ['Build the NixOS ISO', 'Upload the ISO to Proxmox', 'Wait for the install to power off', 'Convert to a template', 'Write the journal entry']) {
      await row(t).waitFor({ timeout: 10_000 });
      assert.match(await row(t).innerText(), /done · \d+ s/);
    }
    await page.waitForTimeout(500); // let the palette fade out
    await wb.screenshot('nix-pipeline-view');
    const tpl = [...sim.state.guests.values()].find((g) => g.conf.name === 'nixos-template');
    assert.ok(tpl, 'the template VM exists');
    assert.equal(tpl.conf.template, 1);
    assert.ok(readFileSync(join(standin, 'calls.log'), 'utf8').includes('\tbuild\t'), 'the stand-in nix ran the build');
  });
});
