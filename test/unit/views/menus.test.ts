import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Palette and menus agree: an action offered on a tree item is also in the Command Palette (where
// the command asks for its target with a picker), unless listed here with the reason it cannot be.
const TREE_ONLY: Record<string, string> = {
  'homelab.kubernetes.scale': 'acts on one Kubernetes object picked in the tree; no object picker yet (issue 17)',
  'homelab.kubernetes.restart': 'acts on one Kubernetes object picked in the tree; no object picker yet (issue 17)',
  'homelab.kubernetes.delete': 'acts on one Kubernetes object picked in the tree; no object picker yet (issue 17)',
  'homelab.kubernetes.viewYaml': 'acts on one Kubernetes object picked in the tree; no object picker yet (issue 17)',
  'homelab.kubernetes.revealSecret': 'acts on one Secret picked in the tree; no object picker yet (issue 17)',
  'homelab.kubernetes.logs': 'acts on one pod picked in the tree; no pod picker yet (issue 17)',
  'homelab.kubernetes.logsWithOptions': 'acts on one pod picked in the tree; no pod picker yet (issue 17)',
  'homelab.kubernetes.exec': 'acts on one pod picked in the tree; no pod picker yet (issue 17)',
  'homelab.kubernetes.portForward': 'acts on one pod or service picked in the tree; no object picker yet (issue 17)',
  'homelab.kubernetes.cordonNode': 'acts on one node picked in the Nodes group; no node picker yet',
  'homelab.kubernetes.uncordonNode': 'acts on one node picked in the Nodes group; no node picker yet',
  'homelab.kubernetes.drainNode': 'acts on one node picked in the Nodes group; no node picker yet',
};

interface MenuEntry { command: string; when?: string; group?: string }
const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: { commands: Array<{ command: string; title: string; category?: string }>; menus: Record<string, MenuEntry[]> };
};
const commands = new Set(pkg.contributes.commands.map((c) => c.command));
const menus = pkg.contributes.menus;
const palette = new Map((menus.commandPalette ?? []).map((e) => [e.command, e.when]));
const hiddenFromPalette = (id: string) => palette.get(id) === 'false';

describe('palette and menus are consistent', () => {
  it('every menu entry names a contributed command', () => {
    for (const [menu, entries] of Object.entries(menus)) {
      for (const e of entries) assert.ok(commands.has(e.command), `${menu} lists ${e.command}, which is not in contributes.commands`);
    }
  });

  it('every tree item action is in the palette too, or listed with the reason it cannot be', () => {
    const itemActions = new Set((menus['view/item/context'] ?? []).map((e) => e.command));
    const missing = [...itemActions].filter((id) => hiddenFromPalette(id) && !TREE_ONLY[id]);
    assert.deepEqual(missing, [], 'tree actions hidden from the palette without a reason');
    const stale = Object.keys(TREE_ONLY).filter((id) => !hiddenFromPalette(id) || !itemActions.has(id));
    assert.deepEqual(stale, [], 'TREE_ONLY entries that no longer apply');
  });

  it('refreshing is in the palette for each view that has a Refresh button', () => {
    for (const e of menus['view/title'] ?? []) {
      if (/\.refresh$/.test(e.command)) assert.ok(!hiddenFromPalette(e.command), `${e.command} is hidden from the palette`);
    }
    assert.ok(!hiddenFromPalette('homelab.proxmox.refresh') && !hiddenFromPalette('homelab.kubernetes.refresh'));
  });

  it('cluster actions are offered on the demo lab as on any cluster (its item is "cluster-demo")', () => {
    for (const id of ['homelab.proxmox.editCluster', 'homelab.proxmox.testConnection', 'homelab.proxmox.removeCluster']) {
      const entry = (menus['view/item/context'] ?? []).find((e) => e.command === id);
      assert.ok(entry?.when, `${id} has a context menu entry`);
      const m = /viewItem (==|=~) (\S+)/.exec(entry.when);
      assert.ok(m, entry.when);
      const matches = m[1] === '==' ? m[2] === 'cluster-demo' : new RegExp(m[2].replace(/^\/|\/$/g, '')).test('cluster-demo');
      assert.ok(matches, `${id} is offered on the demo lab (${entry.when})`);
    }
  });

  it('every command has the Homelab category, and none is both shown and hidden by two palette entries', () => {
    const nls = JSON.parse(readFileSync(join(__dirname, '../../../package.nls.json'), 'utf8'));
    for (const c of pkg.contributes.commands) assert.equal(nls[(c.category ?? '').replace(/^%|%$/g, '')] ?? c.category, 'Homelab', c.command);
    const ids = (menus.commandPalette ?? []).map((e) => e.command);
    assert.equal(new Set(ids).size, ids.length);
  });
});
