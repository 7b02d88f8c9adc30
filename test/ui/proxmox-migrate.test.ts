import * as assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../proxmox-sim';
import { openWorkbench, type Workbench } from './workbench';

describe('UI: migrate a VM from its context menu (Proxmox ops)', () => {
  let wb: Workbench;
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ nodes: 3, guests: 12, seed: 11, taskDurationMs: 2500, authFailDelayMs: 50, agentBootDelayMs: 0 });
    wb = await openWorkbench({
      name: 'proxmox-migrate',
      // DOM renderer: the terminal's text is in the page, so the test can read it.
      settings: { 'terminal.integrated.gpuAcceleration': 'off', 'homelab.proxmox.refreshInterval': 0 },
      env: { HOMELAB_DEMO_CLUSTER: JSON.stringify({ url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret }) },
    });
  });
  after(async () => {
    await wb?.close();
    await sim?.close();
  });

  it('right-click a VM, Migrate, go through the wizard, the task terminal reaches OK and the tree moves the VM', async () => {
    const { page } = wb;
    const vm = [...sim.state.guests.values()]
      .filter((g) => g.node === 'pve1' && !g.conf.template && g.status === 'running' && String(g.conf.scsi0).startsWith('local-lvm:'))
      .sort((a, b) => a.vmid - b.vmid)[0];
    assert.ok(vm, 'a running VM with a local disk on pve1');
    const name = String(vm.conf.name);
    await wb.openHomelab();
    const row = (text: string | RegExp) => page.locator('.part.sidebar .monaco-list-row', { hasText: text }).first();
    await row('Demo lab').waitFor({ timeout: 30_000 });
    await row(/^pve1/).waitFor({ timeout: 20_000 });
    await row(/^pve1/).click();
    await row('VMs').click();
    await row(name).waitFor();
    await row(name).click({ button: 'right' });
    const item = page.locator('.monaco-menu .action-item', { hasText: 'Migrate VM…' }).first();
    await item.waitFor();
    await wb.screenshot('proxmox-migrate-menu');
    await item.click();

    const input = page.locator('.quick-input-widget .quick-input-box input');
    const title = page.locator('.quick-input-widget .quick-input-title');
    const choose = async (titleText: RegExp, label: string) => {
      await title.filter({ hasText: titleText }).waitFor({ timeout: 20_000 });
      await input.fill(label);
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first().waitFor();
      await page.keyboard.press('Enter');
    };
    const rows = page.locator('.quick-input-widget .monaco-list-row');
    /** The summary step (2/2): says the VM moves live with its local disk copied, to the chosen node. */
    const summary = async (target: string) => {
      await title.filter({ hasText: new RegExp(`Migrate ${name}.*: summary \\(2/2\\)`) }).waitFor({ timeout: 20_000 });
      await rows.first().filter({ hasText: `Migrate to ${target}` }).waitFor();
      await rows.filter({ hasText: 'Target node' }).filter({ hasText: target }).waitFor();
      await rows.filter({ hasText: 'Live migration' }).filter({ hasText: /running: moved live/ }).waitFor();
      await rows.filter({ hasText: `Local disks copied to ${target}` }).filter({ hasText: `vm-${vm.vmid}-disk-0` }).waitFor();
    };
    await choose(/target node/, 'pve2');
    await summary('pve2');
    await wb.screenshot('proxmox-migrate-wizard');
    assert.equal(vm.node, 'pve1', 'nothing moves before the summary is confirmed');
    // Back goes to the target-node step, then forward again.
    await page.locator('.quick-input-widget .quick-input-titlebar a[aria-label="Back"], .quick-input-widget .quick-input-titlebar .codicon-quick-input-back').first().click();
    await choose(/target node/, 'pve2');
    await summary('pve2');
    // The confirming row is first and active: Enter starts the migration.
    await page.keyboard.press('Enter');

    const terminal = page.locator('.terminal-wrapper .xterm-rows, .terminal .xterm-rows').first();
    await terminal.waitFor({ timeout: 20_000 });
    await page.locator('.xterm-rows', { hasText: /^.*starting migration of VM/ }).first().waitFor({ timeout: 20_000 });
    await page.locator('.xterm-rows', { hasText: /OK \(\d+\.\d s\)/ }).first().waitFor({ timeout: 30_000 });
    const tabs = await page.locator('.terminal-tabs-entry, .tabs-container .tab, .single-terminal-tab').allInnerTexts().catch(() => [] as string[]);
    assert.equal(vm.node, 'pve2');
    // The tree follows: the VM now sits under pve2.
    await row(/^pve2/).click();
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'VMs' }).nth(1).click();
    await page.waitForTimeout(500);
    await wb.screenshot('proxmox-migrate-done');
    const text = await page.locator('.xterm-rows').first().innerText();
    assert.match(text, /qmigrate|migration finished successfully/);
    assert.match(text, /OK \(\d+\.\d s\)/);
    void tabs;
  });
});
