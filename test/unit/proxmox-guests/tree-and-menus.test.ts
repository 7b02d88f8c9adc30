// The VS Code side of issue 16 that is pure: which guest menus are offered (checked against the
// capability table, so no menu offers what PVE would refuse), contextValues of VMs and
// containers, how snapshots, backups and jobs read in the tree, and suggested snapshot names.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { buildSnapshotTree, checkSnapshotName, refusal, suggestSnapshotName, type GuestAction, type GuestFacts } from '../../../src/providers/proxmox';
import type { ClusterResource } from '../../../src/providers/proxmox/types';
import { guestContextValue, guestModel } from '../../../src/views/proxmox/model';
import { backupLine, jobLine, jobScope, size, snapshotLine } from '../../../src/views/proxmox/guest-data-model';

interface MenuEntry { command: string; when?: string; group?: string }
const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { contributes: { menus: Record<string, MenuEntry[]> } };

/** Every contextValue a guest item can carry, with the facts it stands for. */
const STATES: Record<string, GuestFacts> = {
  'vm-running': { type: 'qemu', power: 'running', template: false },
  'vm-stopped': { type: 'qemu', power: 'stopped', template: false },
  'vm-paused': { type: 'qemu', power: 'paused', template: false },
  'vm-locked': { type: 'qemu', power: 'stopped', template: false, lock: 'backup' },
  template: { type: 'qemu', power: 'stopped', template: true },
  'ct-running': { type: 'lxc', power: 'running', template: false },
  'ct-stopped': { type: 'lxc', power: 'stopped', template: false },
  'ct-paused': { type: 'lxc', power: 'paused', template: false },
  'ct-locked': { type: 'lxc', power: 'running', template: false, lock: 'snapshot' },
  'ct-template': { type: 'lxc', power: 'stopped', template: true },
};

/** Does `when` (view == homelab.proxmox && viewItem ... ) offer the item with this contextValue? */
function offers(when: string, contextValue: string): boolean {
  const re = /viewItem =~ \/(.+)\/$/.exec(when);
  if (re) return new RegExp(re[1]).test(contextValue);
  const eq = /viewItem == ([\w-]+)$/.exec(when);
  if (eq) return eq[1] === contextValue;
  throw new Error(`unexpected when clause: ${when}`);
}

const guestMenus = (command: string) =>
  pkg.contributes.menus['view/item/context'].filter((m) => m.command === command && m.when?.startsWith('view == homelab.proxmox') && Object.keys(STATES).some((s) => offers(m.when!, s)));

describe('guest menus follow the capability table', () => {
  // Commands of this issue: offered exactly where PVE allows them.
  const exact: Record<string, GuestAction> = {
    'homelab.proxmox.takeSnapshot': 'snapshot',
    'homelab.proxmox.backupNow': 'backup',
    'homelab.proxmox.convertToTemplate': 'convertToTemplate',
    'homelab.proxmox.deleteVm': 'delete',
    'homelab.proxmox.migrateVm': 'migrate',
    'homelab.proxmox.suspendVm': 'suspend',
    'homelab.proxmox.resumeVm': 'resume',
  };
  for (const [command, action] of Object.entries(exact)) {
    it(`${command} is offered exactly where "${action}" is allowed`, () => {
      const entries = guestMenus(command);
      assert.ok(entries.length, `${command} has a guest menu entry`);
      for (const e of entries) {
        for (const [cv, facts] of Object.entries(STATES)) {
          assert.equal(offers(e.when!, cv), refusal(action, facts) === undefined, `${command} (${e.group}) on ${cv}: ${refusal(action, facts) ?? 'allowed'}`);
        }
      }
    });
  }

  // Commands that predate containers: on containers offered exactly where allowed, never where refused.
  const onContainers: Record<string, GuestAction> = {
    'homelab.proxmox.startVm': 'start',
    'homelab.proxmox.shutdownVm': 'shutdown',
    'homelab.proxmox.rebootVm': 'reboot',
    'homelab.proxmox.stopVm': 'stop',
    'homelab.proxmox.cloneTemplate': 'clone',
  };
  for (const [command, action] of Object.entries(onContainers)) {
    it(`${command} is offered on containers where "${action}" is allowed, and nowhere it is refused`, () => {
      for (const e of guestMenus(command)) {
        for (const [cv, facts] of Object.entries(STATES)) {
          if (cv.startsWith('ct-')) assert.equal(offers(e.when!, cv), refusal(action, facts) === undefined, `${command} (${e.group}) on ${cv}`);
          else if (offers(e.when!, cv) && cv !== 'vm-paused') assert.equal(refusal(action, facts), undefined, `${command} (${e.group}) offered on ${cv}`);
        }
      }
    });
  }

  it('snapshot and backup items offer their actions only where they apply', () => {
    const on = (command: string, cv: string) => pkg.contributes.menus['view/item/context'].some((m) => m.command === command && m.when!.startsWith('view == homelab.proxmox') && offers(m.when!, cv));
    assert.ok(on('homelab.proxmox.rollbackSnapshot', 'snapshot'));
    assert.ok(!on('homelab.proxmox.rollbackSnapshot', 'snapshot-now'), 'NOW is not a snapshot to roll back to');
    assert.ok(!on('homelab.proxmox.rollbackSnapshot', 'snapshot-locked'), 'a locked guest refuses a rollback');
    assert.ok(!on('homelab.proxmox.deleteSnapshot', 'snapshot-locked'));
    assert.ok(on('homelab.proxmox.deleteBackup', 'backup'));
    assert.ok(!on('homelab.proxmox.deleteBackup', 'backup-protected'), 'PVE refuses to delete a protected backup');
    assert.ok(on('homelab.proxmox.unprotectBackup', 'backup-protected') && !on('homelab.proxmox.unprotectBackup', 'backup'));
    assert.ok(on('homelab.proxmox.protectBackup', 'backup') && !on('homelab.proxmox.protectBackup', 'backup-protected'));
    assert.ok(on('homelab.proxmox.restoreBackup', 'backup') && on('homelab.proxmox.restoreBackup', 'backup-protected'));
    assert.ok(on('homelab.proxmox.takeSnapshot', 'snapshots') && !on('homelab.proxmox.takeSnapshot', 'snapshots-locked'));
  });
});

describe('guest contextValues and icons', () => {
  const r = (o: Partial<ClusterResource>): ClusterResource => ({ id: `x/${o.vmid}`, type: 'qemu', node: 'pve1', vmid: 100, ...o } as ClusterResource);

  it('VMs keep their values; containers get ct-<state>', () => {
    assert.equal(guestContextValue(r({ status: 'running' })), 'vm-running');
    assert.equal(guestContextValue(r({ status: 'stopped', lock: 'backup' })), 'vm-locked');
    assert.equal(guestContextValue(r({ template: 1 })), 'template');
    assert.equal(guestContextValue(r({ type: 'lxc', status: 'running' })), 'ct-running');
    assert.equal(guestContextValue(r({ type: 'lxc', status: 'stopped' })), 'ct-stopped');
    assert.equal(guestContextValue(r({ type: 'lxc', status: 'running', lock: 'snapshot' })), 'ct-locked');
    assert.equal(guestContextValue(r({ type: 'lxc', template: 1 })), 'ct-template');
  });

  it('every contextValue the model produces is one the menus know', () => {
    fc.assert(fc.property(
      fc.constantFrom('qemu', 'lxc'), fc.constantFrom('running', 'stopped', 'paused', 'suspended'), fc.boolean(), fc.option(fc.constantFrom('backup', 'snapshot')),
      (type, status, template, lock) => {
        const cv = guestContextValue(r({ type: type as 'qemu', status, template: template ? 1 : 0, lock: lock ?? undefined }));
        assert.ok(cv in STATES, cv);
      },
    ));
  });

  it('a container has its own icon, a VM keeps its own', () => {
    assert.equal(guestModel(r({ type: 'lxc', status: 'running' })).icon, 'terminal-linux');
    assert.equal(guestModel(r({ status: 'running' })).icon, 'vm-running');
    assert.equal(guestModel(r({ type: 'lxc', status: 'stopped', name: undefined })).label, 'CT 100');
  });
});

describe('snapshots, backups and jobs as tree lines', () => {
  it('marks NOW and RAM, dates the rest', () => {
    const roots = buildSnapshotTree([
      { name: 'before-upgrade', snaptime: 1_700_000_000, description: 'clean install\nsecond line' },
      { name: 'k8s', snaptime: 1_700_100_000, parent: 'before-upgrade', vmstate: 1 },
      { name: 'current', parent: 'before-upgrade', description: 'You are here!', running: 1 },
    ]);
    const [root] = roots;
    const line = snapshotLine(root);
    assert.equal(line.contextValue, 'snapshot');
    assert.match(line.description, /^\d{4}-\d\d-\d\d \d\d:\d\d · clean install$/);
    const [k8s, now] = root.children;
    assert.equal(snapshotLine(k8s).icon, 'device-camera-video');
    assert.match(snapshotLine(k8s).description, /RAM/);
    assert.deepEqual(snapshotLine(now, 'NOW'), { label: 'NOW', description: 'You are here!', icon: 'location', contextValue: 'snapshot-now' });
  });

  it('reads a backup: date, size, storage, notes; protected ones say so', () => {
    const b = { volid: 'nfs:backup/vzdump-lxc-200-2025_01_31-02_00_05.tar.zst', content: 'backup' as const, format: 'tar.zst', size: 300 * 1024 ** 2, ctime: 0, notes: 'pihole\nmore', protected: 1 as const };
    const line = backupLine(b, { withGuest: true });
    assert.match(line.label, /^CT 200 · 2025-01-31 \d\d:00$/);
    assert.equal(line.description, '300.0 MiB · nfs · pihole');
    assert.equal(line.contextValue, 'backup-protected');
    assert.equal(backupLine({ ...b, protected: 0, ctime: 1_700_000_000 }).contextValue, 'backup');
    assert.equal(size(3 * 1024 ** 3), '3.0 GiB');
  });

  it('reads a job: scope, next run, disabled', () => {
    assert.equal(jobScope({ id: 'a', all: 1 }), 'all guests');
    assert.equal(jobScope({ id: 'b', vmid: '200,201', node: 'pve2' }), 'guests 200, 201 on pve2');
    const on = jobLine({ id: 'a', schedule: 'sun 01:00', all: 1, storage: 'nfs', mode: 'snapshot', 'next-run': 1_700_000_000 });
    assert.match(on.description, /^next \d{4}-\d\d-\d\d \d\d:\d\d · nfs · snapshot$/);
    assert.ok(on.enabled);
    const off = jobLine({ id: 'c', schedule: '02:00', vmid: '100', enabled: 0, storage: 'local' });
    assert.match(off.description, /^disabled/);
    assert.equal(off.enabled, false);
  });
});

describe('suggested snapshot names', () => {
  it('are names PVE accepts, never one taken', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{0,50}$/), fc.integer({ min: 0, max: 4 }), (prefix, n) => {
      const now = new Date(2026, 0, 2, 3, 4);
      const taken: string[] = [];
      for (let i = 0; i < n; i++) taken.push(suggestSnapshotName(prefix, taken, now));
      const name = suggestSnapshotName(prefix, taken, now);
      assert.equal(checkSnapshotName(name, taken), undefined, name);
    }));
  });
});
