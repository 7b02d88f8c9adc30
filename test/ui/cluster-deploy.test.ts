import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../proxmox-sim';
import { openWorkbench, type Workbench } from './workbench';

describe('UI: deploy a cluster from a template through the real wizard', () => {
  let wb: Workbench;
  let sim: Simulator;
  let dir: string;
  before(async () => {
    sim = await startSimulator({ nodes: 3, guests: 20, seed: 11, authFailDelayMs: 50, taskDurationMs: 1500, agentBootDelayMs: 3000 });
    dir = mkdtempSync(join(tmpdir(), 'ui-cluster-deploy-'));
    wb = await openWorkbench({
      name: 'cluster-deploy',
      // The DOM renderer keeps the terminal's text readable for the assertions.
      settings: { 'terminal.integrated.gpuAcceleration': 'off' },
      env: { HOMELAB_DEMO_CLUSTER: JSON.stringify({ url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret }) },
    });
  });
  after(async () => {
    await wb?.close();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Types into the open quick input (box or pick filter) and accepts. */
  async function answer(text: string, expectTitle?: RegExp): Promise<void> {
    const widget = wb.page.locator('.quick-input-widget');
    const input = widget.locator('.quick-input-box input');
    await input.waitFor();
    if (expectTitle) {
      await widget.locator('.quick-input-title', { hasText: expectTitle }).waitFor({ timeout: 20_000 });
    }
    await input.fill(text);
    await wb.page.waitForTimeout(150); // let the pick's filter (or the box's validation) catch up
    await wb.page.keyboard.press('Enter');
  }

  it('asks every question, shows the plan with every VM for confirmation, then the status table in one terminal', async () => {
    const { page } = wb;
    await wb.openHomelab();
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Demo lab' }).first().waitFor({ timeout: 30_000 });
    const template = [...sim.state.guests.values()].find((g) => g.conf.template && String(g.conf.scsi0).startsWith('nfs:'))!;
    const keyPath = join(dir, 'lab_ed25519');

    await wb.runCommand('Homelab: Deploy Cluster from Template');
    await answer('lab', /Cluster name/);
    await answer(String(template.conf.name), /Template/);
    await answer('1', /Control-plane nodes/);
    await answer('2', /Worker nodes/);
    await answer('1, 1024, 10', /Control-plane size/);
    await answer('1, 1024, 10', /Worker size/);
    await answer('Spread', /Placement/);
    await answer('DHCP', /Network/);
    await answer('Generate', /SSH key/);
    await answer(keyPath, /Path of the new private key/);
    await answer('ops', /Cloud-init user/);

    // The plan is the summary: every VM with ID, role, node and address, then each answer to change.
    const widget = page.locator('.quick-input-widget');
    await widget.locator('.quick-input-title', { hasText: 'Deploy cluster "lab": 3 VMs on Demo lab?' }).waitFor({ timeout: 30_000 });
    await wb.screenshot('cluster-deploy-plan');
    const input = widget.locator('.quick-input-box input');
    await input.fill('lab-'); // the list scrolls: filter it down to the VMs' lines
    for (const name of ['lab-cp-1', 'lab-worker-1', 'lab-worker-2']) {
      await widget.locator('.monaco-list-row', { hasText: new RegExp(`\\d+\\s+${name}\\s+(control-plane|worker)\\s+pve\\d\\s+DHCP`) }).first().waitFor();
    }
    assert.equal(sim.state.guests.size, 20, 'nothing created before the confirmation');

    // Picking an answer goes back to its step: the cloud-init user is changed, and the summary returns.
    await input.fill('Cloud-init user');
    await widget.locator('.monaco-list-row', { hasText: 'Cloud-init user' }).first().click();
    await answer('admin', /Cloud-init user/);
    await widget.locator('.quick-input-title', { hasText: 'Deploy cluster "lab"' }).waitFor();
    await widget.locator('.monaco-list-row', { hasText: /Cloud-init user\s*admin/ }).first().waitFor();
    await wb.screenshot('cluster-deploy-summary-changed');
    await widget.locator('.monaco-list-row', { hasText: /^\s*Deploy\s*$/ }).first().click();
    // The key pair is written only after the confirmation.
    const deadline = Date.now() + 20_000;
    while (!existsSync(keyPath) && Date.now() < deadline) await page.waitForTimeout(100);
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);

    // One terminal named for the deployment, with the per-VM table.
    await page.locator('.terminal-tabs-entry, .pane-header, .single-terminal-tab', { hasText: 'Deploy lab' }).first().waitFor({ timeout: 30_000 }).catch(() => {});
    const rows = page.locator('.xterm-rows');
    try {
      await rows.filter({ hasText: /VMID\s+NAME\s+ROLE/ }).first().waitFor({ timeout: 30_000 });
      await rows.filter({ hasText: /lab-worker-2\s+worker\s+pve\d\s+(configure|start|address|ssh)/ }).first().waitFor({ timeout: 60_000 });
    } catch (e) {
      await wb.screenshot('cluster-deploy-terminal-failure');
      throw e;
    }
    const text = (await rows.first().textContent()) ?? '';
    for (const name of ['lab-cp-1', 'lab-worker-1', 'lab-worker-2']) assert.match(text, new RegExp(name));
    await wb.screenshot('cluster-deploy-terminal');
    assert.ok([...sim.state.guests.values()].filter((g) => String(g.conf.tags ?? '').includes('homelab-cluster-lab')).length >= 1, 'VMs are being created and tagged');
  });
});
