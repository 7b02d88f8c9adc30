import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/sshd';
import { startK8sServer, type K8sTestServer } from '../k8s-server';
import { startSimulator, type Simulator } from '../proxmox-sim';
import { openWorkbench, type Workbench } from './workbench';

// The real UI: "Bootstrap Kubernetes (K3s)…" from the cluster group's context menu, the wizard and
// its summary, the per-node table in the terminal (here the node's sshd is down: the table shows
// the node failing at connect and the failure question), then the Nodes group of a context with a
// node cordoned from its context menu.
describe('UI: K3s bootstrap from the cluster group, the per-node table, the Nodes group', () => {
  let wb: Workbench;
  let sim: Simulator;
  let k8s: K8sTestServer;
  let dir: string;
  before(async () => {
    sim = await startSimulator({ nodes: 2, guests: 12, seed: 3, authFailDelayMs: 50, taskDurationMs: 500 });
    const vm = [...sim.state.guests.values()].find((g) => g.type === 'qemu' && !g.conf.template)!;
    vm.conf.tags = 'homelab-cluster-uilab';
    dir = mkdtempSync(join(tmpdir(), 'ui-k3s-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id_ed25519')]);
    const closedPort = await freePort(); // nothing listens: the node's sshd is "down"
    const workspace = join(dir, 'workspace');
    mkdirSync(join(workspace, 'homelab', 'clusters'), { recursive: true });
    writeFileSync(join(workspace, 'homelab', 'clusters', 'uilab.yaml'), [
      'name: uilab', 'tag: homelab-cluster-uilab', 'proxmoxCluster: Demo lab', 'template:', '  vmid: 9000', '  name: nixos', 'sshUser: ops',
      'nodes:', '  - name: uilab-cp-1', `    vmid: ${vm.vmid}`, '    proxmoxNode: pve1', '    role: control-plane', '    ip: 127.0.0.1', '',
    ].join('\n'));
    k8s = await startK8sServer({ podReadyDelayMs: 100 });
    for (const [name, role] of [['k3s-cp-1', 'control-plane'], ['k3s-worker-1', '']] as const) {
      k8s.store.create('nodes', {
        metadata: { name, labels: role ? { [`node-role.kubernetes.io/${role}`]: 'true', 'node-role.kubernetes.io/master': 'true' } : {} },
        status: { nodeInfo: { kubeletVersion: 'v1.31.4+k3s1' }, capacity: { cpu: '2', memory: '4030000Ki', pods: '110' }, allocatable: { cpu: '2', memory: '3900000Ki', pods: '110' },
          conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'DiskPressure', status: 'False' }] },
      });
    }
    const kubeconfig = k8s.writeKubeconfig(join(dir, 'config'), { contexts: [{ name: 'homelab-uilab', server: k8s.url, caPem: k8s.caPem, token: k8s.token }] });
    wb = await openWorkbench({
      name: 'k3s', workspace,
      settings: { 'terminal.integrated.gpuAcceleration': 'off', 'homelab.ssh.privateKeyPath': join(dir, 'id_ed25519'), 'homelab.ssh.port': closedPort },
      env: { KUBECONFIG: kubeconfig, HOMELAB_DEMO_CLUSTER: JSON.stringify({ url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret }) },
    });
  });
  after(async () => {
    await wb?.close();
    await sim?.close();
    await k8s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Types into the open quick input and accepts. */
  async function answer(text: string, expectTitle: RegExp): Promise<void> {
    const widget = wb.page.locator('.quick-input-widget');
    await widget.locator('.quick-input-title', { hasText: expectTitle }).waitFor({ timeout: 20_000 });
    const input = widget.locator('.quick-input-box input');
    await input.fill(text);
    await wb.page.waitForTimeout(150);
    await wb.page.keyboard.press('Enter');
  }
  /** Right-clicks a row and picks a menu entry (hover first: a click during the menu's fade-in is lost). */
  async function contextMenu(target: ReturnType<Workbench['page']['locator']>, entry: RegExp): Promise<void> {
    const { page } = wb;
    const action = page.locator('.context-view .action-item', { hasText: entry });
    for (let attempt = 1; ; attempt++) {
      await target.click({ button: 'right' });
      try {
        await action.first().waitFor({ timeout: 3000 });
        break;
      } catch (e) {
        if (attempt === 3) throw e;
        await page.keyboard.press('Escape');
      }
    }
    await page.waitForTimeout(300);
    await action.first().hover();
    await action.first().click();
  }

  it('bootstraps from the cluster group: wizard, summary, per-node table, the failure question', async () => {
    const { page } = wb;
    await wb.openHomelab();
    const tree = page.locator('.part.sidebar');
    await tree.locator('.monaco-list-row', { hasText: 'Demo lab' }).first().waitFor({ timeout: 30_000 });
    // The deployed cluster's group: Demo lab → Clusters → uilab.
    const clusters = tree.locator('.monaco-list-row', { hasText: /^Clusters/ }).first();
    await clusters.waitFor({ timeout: 30_000 });
    if ((await clusters.getAttribute('aria-expanded')) !== 'true') await clusters.click();
    const group = tree.locator('.monaco-list-row', { hasText: 'uilab' }).first();
    await group.waitFor({ timeout: 20_000 });
    await contextMenu(group, /^Bootstrap Kubernetes \(K3s\)…$/);
    await answer('1.31', /K3s version/);
    // Add-ons: a multi-pick, all kept; accept as is.
    await page.locator('.quick-input-widget .quick-input-title', { hasText: /Bundled add-ons/ }).waitFor({ timeout: 20_000 });
    await page.waitForTimeout(200);
    await page.keyboard.press('Enter');
    await answer('10.42.0.0/16', /Cluster \(pod\) CIDR/);
    await answer('10.43.0.0/16', /Service CIDR/);
    await answer('First control plane', /API address/);
    await answer('own file', /Where the kubeconfig goes/);
    const widget = page.locator('.quick-input-widget');
    await widget.locator('.quick-input-title', { hasText: 'Bootstrap K3s on "uilab": 1 nodes, context homelab-uilab?' }).waitFor({ timeout: 20_000 });
    await widget.locator('.monaco-list-row', { hasText: /uilab-cp-1\s+control-plane\s+127\.0\.0\.1/ }).first().waitFor();
    await wb.screenshot('k3s-summary');
    await widget.locator('.monaco-list-row', { hasText: /^\s*Bootstrap\s*$/ }).first().click();
    // The terminal's per-node table, then the question naming the failed node.
    const rows = page.locator('.xterm-rows');
    await rows.filter({ hasText: /NODE\s+ROLE\s+ADDRESS\s+STEP\s+STATE/ }).first().waitFor({ timeout: 30_000 });
    await rows.filter({ hasText: /uilab-cp-1\s+control-plane\s+127\.0\.0\.1\s+connect\s+failed/ }).first().waitFor({ timeout: 30_000 });
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 20_000 });
    assert.match((await dialog.textContent()) ?? '', /K3s on uilab: 1 of 1 nodes failed/);
    await wb.screenshot('k3s-node-table-failed');
    await dialog.locator('.monaco-button', { hasText: /^Stop$/ }).click();
    await page.locator('.notifications-toasts .notification-toast', { hasText: /K3s on uilab: uilab-cp-1: .*refused/ }).first().waitFor({ timeout: 20_000 });
  });

  it('shows the Nodes group with roles and versions; cordons a node from its context menu', async () => {
    const { page } = wb;
    const header = page.locator('.part.sidebar .pane-header[aria-label^="Kubernetes"]');
    await header.waitFor();
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const proxmox = page.locator('.part.sidebar .pane-header[aria-label^="Proxmox"]');
    if ((await proxmox.getAttribute('aria-expanded')) === 'true') await proxmox.click();
    const view = page.locator('.part.sidebar .pane-body').last();
    const ctx = page.locator('.part.sidebar .monaco-list-row', { hasText: 'homelab-uilab' }).first();
    await ctx.waitFor({ timeout: 30_000 });
    if ((await ctx.getAttribute('aria-expanded')) !== 'true') await ctx.click();
    const nodes = page.locator('.part.sidebar .monaco-list-row', { hasText: /^Nodes/ }).first();
    await nodes.waitFor({ timeout: 30_000 });
    await nodes.click();
    const cp = page.locator('.part.sidebar .monaco-list-row', { hasText: /k3s-cp-1\s*Ready · control-plane,master · v1\.31\.4\+k3s1/ }).first();
    await cp.waitFor({ timeout: 30_000 });
    await page.locator('.part.sidebar .monaco-list-row', { hasText: /k3s-worker-1\s*Ready · worker/ }).first().waitFor();
    await wb.screenshot('k3s-nodes-group');
    await contextMenu(page.locator('.part.sidebar .monaco-list-row', { hasText: 'k3s-worker-1' }).first(), /^Cordon Node$/);
    await page.locator('.part.sidebar .monaco-list-row', { hasText: /k3s-worker-1\s*Ready · SchedulingDisabled/ }).first().waitFor({ timeout: 20_000 });
    assert.equal((k8s.store.get('nodes', undefined, 'k3s-worker-1') as { spec?: { unschedulable?: boolean } }).spec?.unschedulable, true);
    void view;
    await wb.screenshot('k3s-node-cordoned');
  });
});
