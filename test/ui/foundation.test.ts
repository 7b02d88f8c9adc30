import * as assert from 'node:assert/strict';
import { openWorkbench, type Workbench } from './workbench';

describe('UI: the Homelab sidebar in a real browser', () => {
  let wb: Workbench;
  before(async () => {
    wb = await openWorkbench({ name: 'foundation' });
  });
  after(async () => wb?.close());

  it('shows Proxmox open, Kubernetes collapsed with its guidance, and no Pipeline view before a pipeline exists', async () => {
    await wb.openHomelab();
    const sidebar = wb.page.locator('.part.sidebar');
    await sidebar.locator('.welcome-view-content', { hasText: 'No Proxmox cluster yet' }).waitFor();
    // Kubernetes starts collapsed (package.json "visibility": "collapsed"): its header is there, its body is not.
    const kubernetes = sidebar.locator('.pane-header[aria-label^="Kubernetes"]');
    await kubernetes.waitFor();
    assert.equal(await kubernetes.getAttribute('aria-expanded'), 'false');
    const kubeWelcome = sidebar.locator('.welcome-view-content', { hasText: 'No Kubernetes context found' });
    assert.equal(await kubeWelcome.isVisible(), false);
    await kubernetes.click();
    await kubeWelcome.waitFor();
    assert.equal(await kubernetes.getAttribute('aria-expanded'), 'true');
    // The Pipeline view waits for homelab.pipelineExists; this workspace has no pipeline.
    assert.equal(await sidebar.locator('.pane-header[aria-label^="Pipeline"]').count(), 0);
    assert.equal(await sidebar.locator('.welcome-view-content', { hasText: 'No NixOS template pipeline' }).count(), 0);
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
