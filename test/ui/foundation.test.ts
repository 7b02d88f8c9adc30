import * as assert from 'node:assert/strict';
import { openWorkbench, type Workbench } from './workbench';

describe('UI: the Homelab sidebar in a real browser', () => {
  let wb: Workbench;
  before(async () => {
    wb = await openWorkbench({ name: 'foundation' });
  });
  after(async () => wb?.close());

  it('shows both views with their empty-state guidance', async () => {
    await wb.openHomelab();
    const sidebar = wb.page.locator('.part.sidebar');
    await sidebar.locator('.welcome-view-content', { hasText: 'No Proxmox cluster yet' }).waitFor();
    await sidebar.locator('.welcome-view-content', { hasText: 'No Kubernetes context found' }).waitFor();
    await wb.screenshot('foundation-empty-sidebar');
  });

  it('runs a Homelab command from the command palette', async () => {
    await wb.runCommand('Homelab: Show Log');
    // The output panel opens on the Homelab channel, which says the extension activated.
    const output = wb.page.locator('.part.panel');
    await output.locator(".view-line", { hasText: /Homelab\s[\d.]+\sactivated/ }).waitFor({ timeout: 20_000 });
    assert.ok(await output.isVisible());
    await wb.screenshot('foundation-log');
  });
});
