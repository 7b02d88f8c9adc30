import * as assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../proxmox-sim';
import { openWorkbench, type Workbench } from './workbench';

describe('UI: add a Proxmox cluster through the real dialogs', () => {
  let wb: Workbench;
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ nodes: 3, guests: 20, seed: 11, authFailDelayMs: 50 });
    wb = await openWorkbench({ name: 'proxmox-add-cluster' });
  });
  after(async () => {
    await wb?.close();
    await sim?.close();
  });

  /** Answers the quick input once it shows the step whose title contains `step` (the input box
   *  element is reused from step to step, so waiting for it alone could type into the last one). */
  async function answer(step: string, text: string): Promise<void> {
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: step }).waitFor();
    const input = wb.page.locator('.quick-input-widget .quick-input-box input');
    await input.fill(text);
    await wb.page.keyboard.press('Enter');
  }

  it('asks URL, token and name, sums them up, shows the fingerprint to trust, then lists the nodes and VMs', async () => {
    const { page } = wb;
    await wb.openHomelab();
    await page.locator('.part.sidebar .welcome-view-content a.monaco-button', { hasText: 'Add Proxmox cluster' }).click();
    await answer('Add Proxmox Cluster: URL', sim.url);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'API token' }).waitFor();
    await answer('How does Homelab sign in?', 'API token');
    await answer('API token ID', sim.tokenId);
    await answer('API token secret', sim.tokenSecret);
    await answer(': Name', 'homelab');
    // The summary: every answer (the secret masked), Enter on the first item connects.
    const widget = page.locator('.quick-input-widget');
    await widget.locator('.quick-input-title', { hasText: 'Add Proxmox Cluster: Summary' }).waitFor();
    for (const text of [sim.url, sim.tokenId, '••••••••', 'homelab']) await widget.locator('.monaco-list-row', { hasText: text }).first().waitFor();
    assert.equal(await widget.locator('.monaco-list-row', { hasText: sim.tokenSecret }).count(), 0, 'the secret is not shown');
    await wb.screenshot('proxmox-add-cluster-summary');
    await page.keyboard.press('Enter');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 20_000 });
    const detail = await dialog.locator('.dialog-message-detail').innerText();
    assert.match(detail, new RegExp(sim.fingerprint));
    await wb.screenshot('proxmox-trust-certificate');
    await dialog.locator('a.monaco-button', { hasText: 'Trust' }).click();
    const row = (text: string) => page.locator('.part.sidebar .monaco-list-row', { hasText: text }).first();
    await row('homelab').waitFor({ timeout: 20_000 });
    await row('pve1').waitFor({ timeout: 20_000 });
    await row('pve1').click();
    await row('VMs').click();
    const guest = [...sim.state.guests.values()].filter((g) => g.node === 'pve1' && !g.conf.template).sort((a, b) => a.vmid - b.vmid)[0];
    await row(String(guest.conf.name)).waitFor();
    assert.equal(await row('pve1').getAttribute('aria-expanded'), 'true');
    await wb.screenshot('proxmox-tree');
  });
});
