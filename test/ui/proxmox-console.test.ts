import * as assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../proxmox-sim';
import { openWorkbench, type Workbench } from './workbench';

describe('UI: a container console in an editor terminal (Proxmox consoles)', () => {
  let wb: Workbench;
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ nodes: 3, guests: 12, seed: 11, taskDurationMs: 1000, authFailDelayMs: 50, agentBootDelayMs: 0, lab: true });
    wb = await openWorkbench({
      name: 'proxmox-console',
      // DOM renderer: the terminal's text is in the page, so the test can read it.
      settings: { 'terminal.integrated.gpuAcceleration': 'off', 'homelab.proxmox.refreshInterval': 0 },
      env: { HOMELAB_DEMO_CLUSTER: JSON.stringify({ url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret }) },
    });
  });
  after(async () => {
    await wb?.close();
    await sim?.close();
  });

  it('Open Container Console from the palette, type a command, see its output', async () => {
    const { page } = wb;
    const ct = [...sim.state.guests.values()].find((g) => g.type === 'lxc' && g.status === 'running');
    assert.ok(ct, 'a running container in the lab');
    const host = String(ct.conf.hostname);
    await wb.openHomelab();
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Demo lab' }).first().waitFor({ timeout: 30_000 });
    // The demo's first start opens the walkthrough; let it take the focus before the palette opens.
    await page.locator('.tabs-container .tab', { hasText: 'Welcome' }).first().waitFor({ timeout: 15_000 }).catch(() => undefined);
    await page.waitForTimeout(500);

    await wb.runCommand('Open Container Console');
    const title = page.locator('.quick-input-widget .quick-input-title', { hasText: 'Open the console of which running container?' });
    await title.waitFor({ timeout: 20_000 });
    const stopped = [...sim.state.guests.values()].find((g) => g.type === 'lxc' && g.status === 'stopped');
    const rows = page.locator('.quick-input-widget .monaco-list-row');
    await rows.filter({ hasText: host }).first().waitFor();
    if (stopped) assert.equal(await rows.filter({ hasText: String(stopped.conf.hostname) }).count(), 0, 'a stopped container is not offered');
    await page.locator('.quick-input-widget .quick-input-box input').fill(host);
    await page.keyboard.press('Enter');

    const prompt = page.locator('.xterm-rows', { hasText: `root@${host}:~#` }).first();
    await prompt.waitFor({ timeout: 30_000 });
    await page.locator('.terminal-tabs-entry, .single-terminal-tab, .terminal-tab', { hasText: `Console CT ${ct.vmid}` }).first().waitFor({ timeout: 10_000 }).catch(() => undefined);
    await prompt.click({ force: true }); // the terminal's widget layer sits on top of its rows
    await page.keyboard.type('echo hello from VS Code');
    await page.keyboard.press('Enter');
    await page.locator('.xterm-rows', { hasText: /hello from VS Code[\s\S]*hello from VS Code[\s\S]*root@/ }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.type('uname -a');
    await page.keyboard.press('Enter');
    await page.locator('.xterm-rows', { hasText: `Linux ${host} ` }).first().waitFor({ timeout: 15_000 });
    await page.waitForTimeout(300);
    await wb.screenshot('proxmox-container-console');
    const text = (await page.locator('.xterm-rows').first().innerText()).replace(/\u00a0/g, ' ');
    assert.match(text, /echo hello from VS Code\s*\n\s*hello from VS Code/);
    assert.match(text, new RegExp(`Linux ${host} \\S+-pve`));
  });

  it('guest rows take the cluster\'s tag colours', async () => {
    const { page } = wb;
    const ct = [...sim.state.guests.values()].find((g) => g.type === 'lxc' && String(g.conf.tags).split(';').includes('lab'));
    assert.ok(ct, 'a container tagged lab');
    const row = (text: string | RegExp) => page.locator('.part.sidebar .monaco-list-row', { hasText: text }).first();
    const expand = async (node: string) => {
      const r = row(new RegExp(`^${node}`));
      if ((await r.getAttribute('aria-expanded')) !== 'true') await r.click();
      const vms = page.locator('.part.sidebar .monaco-list-row', { hasText: /^VMs/ });
      await vms.first().waitFor();
    };
    await expand(ct.node);
    await row('VMs').click();
    const ctRow = row(String(ct.conf.hostname));
    await ctRow.waitFor({ timeout: 15_000 });
    // lab is #2e7d32 in the lab's color-map: the green of the palette (dark theme default #73c991).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const colour = () => ctRow.locator('.label-name').first().evaluate((el) => String((globalThis as any).getComputedStyle(el).color));
    const t0 = Date.now();
    while ((await colour()) !== 'rgb(115, 201, 145)') {
      assert.ok(Date.now() - t0 < 15_000, `label colour ${await colour()}`);
      await page.waitForTimeout(100);
    }
    const plain = [...sim.state.guests.values()].find((g) => g.node === ct.node && !g.conf.template && !g.conf.tags);
    if (plain) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const c = await row(String(plain.conf.name ?? plain.conf.hostname)).locator('.label-name').first().evaluate((el) => String((globalThis as any).getComputedStyle(el).color));
      assert.notEqual(c, 'rgb(115, 201, 145)', 'a guest without tags keeps the default colour');
    }
    await wb.screenshot('proxmox-tag-colours');
  });
});
