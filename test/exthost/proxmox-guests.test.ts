import * as assert from 'node:assert/strict';
import type { HomelabApi } from '../../src/extension';
import type { ProxmoxElement } from '../../src/views/proxmox/tree';
import { startSimulator, takeSnapshot, type Guest, type Simulator } from '../proxmox-sim';
import { addCluster, closeTerminals, guestElement, run, terminalsNamed, text, waitFor } from './ops-util';
import { activateHomelab } from './util';

const C = 'lab16';

describe('Proxmox guests: snapshots, backups, containers', function () {
  this.timeout(90_000);
  let api: HomelabApi;
  let sim: Simulator;
  const guests = () => [...sim.state.guests.values()];
  const byName = (name: string) => {
    const g = guests().find((x) => x.conf.name === name || x.conf.hostname === name);
    assert.ok(g, `guest ${name}`);
    return g;
  };
  /** The lab's VM with the snapshot tree (before-upgrade -> k8s-installed, -> experiment -> NOW). */
  const labVm = () => guests().find((g) => g.type === 'qemu' && g.snapshots.has('experiment'))!;
  const kids = (e: ProxmoxElement) => api.proxmoxTree.getChildren(e);
  const item = (e: ProxmoxElement) => api.proxmoxTree.getTreeItem(e);
  const label = (e: ProxmoxElement) => String(item(e).label);
  const group = async (g: Guest, kind: 'snapshots' | 'guestBackups') => {
    const el = await guestElement(api, C, g.vmid);
    const found = (await kids(el)).find((x) => x.kind === kind);
    assert.ok(found, `${kind} under ${g.vmid}`);
    return found;
  };
  const snapshotEl = async (g: Guest, name: string): Promise<ProxmoxElement> => {
    const walk = async (list: ProxmoxElement[]): Promise<ProxmoxElement | undefined> => {
      for (const e of list) {
        if (e.kind === 'snapshot' && e.snap.name === name) return e;
        const inner = e.kind === 'snapshot' ? await walk(await kids(e)) : undefined;
        if (inner) return inner;
      }
      return undefined;
    };
    const found = await walk(await kids(await group(g, 'snapshots')));
    assert.ok(found, `snapshot ${name} of ${g.vmid} in the tree`);
    return found;
  };
  const backupEls = async (g: Guest) => (await kids(await group(g, 'guestBackups'))).filter((e) => e.kind === 'backup');
  const lock = (g: Guest, what: string) => {
    g.conf.lock = what;
    sim.state.touch();
  };
  const unlock = (g: Guest) => {
    delete g.conf.lock;
    sim.state.touch();
  };
  const backupsOf = (vmid: number) => sim.state.volumes.filter((v) => v.content === 'backup' && v.vmid === vmid);

  before(async () => {
    api = await activateHomelab();
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    sim = await startSimulator({ nodes: 3, guests: 12, seed: 16, taskDurationMs: 200, authFailDelayMs: 0, lab: true });
    await addCluster(api, sim, C);
  });
  after(async () => {
    await closeTerminals(api);
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    await sim?.close();
  });

  describe('tree', () => {
    it('shows containers with their own icon and contextValue, VMs as before', async () => {
      const ct = byName('ct-pihole');
      const el = await guestElement(api, C, ct.vmid);
      assert.equal(item(el).contextValue, 'ct-running');
      assert.equal((item(el).iconPath as { id: string }).id, 'terminal-linux');
      const stopped = await guestElement(api, C, byName('ct-postgres').vmid);
      assert.equal(item(stopped).contextValue, 'ct-stopped');
      assert.equal(item(await guestElement(api, C, labVm().vmid)).contextValue, 'vm-running');
    });

    it('shows the snapshot tree of a VM as the web UI does, NOW under the snapshot it descends from', async () => {
      const roots = await kids(await group(labVm(), 'snapshots'));
      assert.deepEqual(roots.map(label), ['before-upgrade']);
      const [k8s, experiment] = await kids(roots[0]);
      assert.deepEqual([label(k8s), label(experiment)], ['k8s-installed', 'experiment']);
      assert.match(String(item(k8s).description), /RAM/);
      const [now] = await kids(experiment);
      assert.equal(label(now), 'NOW');
      assert.equal(item(now).contextValue, 'snapshot-now');
      assert.equal(item(experiment).contextValue, 'snapshot');
    });

    it('lists backups per guest (protected marked) and per storage that takes backups, and the backup jobs', async () => {
      const mine = await backupEls(labVm());
      assert.equal(mine.length, 2);
      // The weekly job covers every guest: the group says when it next runs (PVE's next-run).
      const weekly = sim.state.backupJobs.find((j) => j.all)!;
      assert.ok(weekly);
      assert.match(String(item(await group(labVm(), 'guestBackups')).description), /^next \d{4}-\d\d-\d\d \d\d:\d\d$/);
      assert.deepEqual(mine.map((e) => item(e).contextValue).sort(), ['backup', 'backup-protected']);
      const cluster = (await api.proxmoxTree.getChildren()).find((e) => e.kind === 'cluster' && e.cluster.id === C)!;
      const top = await kids(cluster);
      const jobs = top.find((e) => e.kind === 'backupJobs');
      assert.ok(jobs, 'a Backup jobs folder');
      const lines = (await kids(jobs)).map((e) => `${label(e)} | ${item(e).description}`);
      assert.equal(lines.length, 3);
      assert.ok(lines.some((l) => /^sun 01:00 · all guests \| next \d{4}-\d\d-\d\d \d\d:\d\d · nfs/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /\| disabled/.test(l)), lines.join('\n'));
      const node = top.find((e) => e.kind === 'node' && e.node === labVm().node)!;
      const folder = (await kids(node)).find((e) => e.kind === 'backupFolder')!;
      const stores = (await kids(folder)).map(label).sort();
      assert.deepEqual(stores, ['local', 'nfs'], 'local-lvm takes no backups');
      const nfs = (await kids(folder)).find((e) => label(e) === 'nfs')!;
      const onNfs = await kids(nfs);
      assert.ok(onNfs.length >= 3, 'the VM\'s two and the container\'s one');
      assert.ok(onNfs.every((e) => e.kind === 'backup'));
    });
  });

  describe('refresh', () => {
    it('Refresh reads the groups shown again: a snapshot taken elsewhere appears; nothing fires when nothing changed', async () => {
      const ct = guests().find((g) => g.type === 'qemu' && !g.conf.template && !g.snapshots.size)!;
      const snaps = await group(ct, 'snapshots');
      await kids(snaps); // shown (and read) once
      const events: unknown[] = [];
      const sub = api.proxmoxTree.onDidChangeTreeData((e) => events.push(e));
      try {
        await api.guestData.invalidate(C);
        assert.equal(events.flat().filter((e) => (e as ProxmoxElement | undefined)?.kind === 'snapshots').length, 0, 'no change, no event');
        takeSnapshot(ct, 'made-in-web-ui', 'outside Homelab', false, Math.floor(Date.now() / 1000));
        await run(api, 'homelab.proxmox.refresh', [], C);
        await waitFor('the Snapshots group to be redrawn', () => events.flat().some((e) => (e as ProxmoxElement | undefined)?.id === snaps.id));
        assert.deepEqual((await kids(snaps)).map(label), ['made-in-web-ui']);
      } finally {
        sub.dispose();
      }
    });
  });

  describe('snapshots', () => {
    it('refuses a name PVE refuses in the input box, then takes it (without RAM) as a task in its terminal', async () => {
      const vm = labVm();
      const bad = await run(api, 'homelab.proxmox.takeSnapshot', ['1st try'], { clusterId: C, vmid: vm.vmid });
      assert.match(bad.failure ?? '', /must start with a letter/);
      const { failure } = await run(api, 'homelab.proxmox.takeSnapshot', ['before-cilium', 'trying cilium', 'Disks and configuration only'], await group(vm, 'snapshots'));
      assert.equal(failure, undefined);
      assert.ok(vm.snapshots.has('before-cilium'));
      assert.ok(!vm.snapshots.get('before-cilium')!.vmstate, 'RAM was not asked for');
      assert.equal(vm.snapshots.get('before-cilium')!.description, 'trying cilium');
      const [t] = terminalsNamed(api, new RegExp(`${vm.vmid}`));
      assert.ok(t && /qmsnapshot/.test(text(t)), 'the task is in a terminal');
      await snapshotEl(vm, 'before-cilium'); // the tree shows it once the task ended
    });

    it('asks no RAM question for a container, and refuses RAM for one before sending', async () => {
      const ct = byName('ct-nginx');
      const { failure } = await run(api, 'homelab.proxmox.takeSnapshot', ['ct-snap', ''], { clusterId: C, vmid: ct.vmid });
      assert.equal(failure, undefined);
      assert.ok(ct.snapshots.has('ct-snap'));
      const ram = await run(api, 'homelab.proxmox.takeSnapshot', [], { clusterId: C, vmid: ct.vmid }, { name: 'with-ram', vmstate: true });
      assert.match(ram.failure ?? '', /Containers cannot save their RAM/);
      assert.ok(!ct.snapshots.has('with-ram'));
    });

    it('refuses a duplicate name and a guest whose lock is held, naming the guest', async () => {
      const ct = byName('ct-nginx');
      const dup = await run(api, 'homelab.proxmox.takeSnapshot', [], { clusterId: C, vmid: ct.vmid }, { name: 'ct-snap' });
      assert.match(dup.failure ?? '', /container \d+ \(ct-nginx\): snapshot name 'ct-snap' already used/);
      lock(ct, 'backup');
      try {
        const locked = await run(api, 'homelab.proxmox.takeSnapshot', [], { clusterId: C, vmid: ct.vmid }, { name: 'later' });
        assert.match(locked.failure ?? '', /Container \d+ \(ct-nginx\) is locked \(backup\): a backup of it is running/);
        assert.ok(!ct.snapshots.has('later'));
      } finally {
        unlock(ct);
      }
    });

    it('asks before a rollback, naming what is lost since, and rolls back when confirmed', async () => {
      const vm = labVm();
      const el = await snapshotEl(vm, 'k8s-installed');
      // Dismissed: nothing happens.
      const no = await run(api, 'homelab.proxmox.rollbackSnapshot', [undefined], el);
      assert.equal(no.failure, undefined);
      const detail = api.prompts.details.at(-1)!;
      assert.match(detail.question, /Roll VM \d+ \(\S+\) back to snapshot "k8s-installed"\?/);
      assert.match(detail.detail, /since snapshot "before-cilium"/);
      assert.match(detail.detail, /is running: it is stopped first/);
      assert.match(detail.detail, /includes RAM/);
      assert.equal(vm.conf.parent, 'before-cilium');
      const yes = await run(api, 'homelab.proxmox.rollbackSnapshot', ['Roll Back'], await snapshotEl(vm, 'k8s-installed'));
      assert.equal(yes.failure, undefined);
      assert.equal(vm.conf.parent, 'k8s-installed');
      assert.equal(vm.status, 'running', 'a RAM snapshot resumes the VM');
    });

    it('rolls a container back and starts it after when asked; refuses while locked', async () => {
      const ct = byName('ct-pihole');
      lock(ct, 'backup');
      try {
        const locked = await run(api, 'homelab.proxmox.rollbackSnapshot', [], { clusterId: C, vmid: ct.vmid }, 'pre-update', { start: true });
        assert.match(locked.failure ?? '', /is locked \(backup\)/);
      } finally {
        unlock(ct);
      }
      const missing = await run(api, 'homelab.proxmox.rollbackSnapshot', [], { clusterId: C, vmid: ct.vmid }, 'no-such', { start: true });
      assert.match(missing.failure ?? '', /has no snapshot "no-such"/);
      const { failure } = await run(api, 'homelab.proxmox.rollbackSnapshot', ['Roll Back and Start'], await snapshotEl(ct, 'pre-update'));
      assert.equal(failure, undefined);
      assert.equal(ct.status, 'running');
      assert.equal(ct.conf.parent, 'pre-update');
    });

    it('deletes a snapshot after asking', async () => {
      const ct = byName('ct-nginx');
      const { failure } = await run(api, 'homelab.proxmox.deleteSnapshot', ['Delete Snapshot'], await snapshotEl(ct, 'ct-snap'));
      assert.equal(failure, undefined);
      assert.ok(!ct.snapshots.has('ct-snap'));
      const roots = await kids(await group(ct, 'snapshots'));
      assert.equal(roots[0].kind, 'message', 'No snapshots');
    });
  });

  describe('backups', () => {
    it('backs a container up through the wizard (zstd by default) and lists it under the guest', async () => {
      const ct = byName('ct-postgres');
      const before = backupsOf(ct.vmid).length;
      const { failure } = await run(api, 'homelab.proxmox.backupNow', ['nfs', 'snapshot', 'zstd', '{{guestname}} before upgrade', 'confirm'], await group(ct, 'guestBackups'));
      assert.equal(failure, undefined);
      const after = backupsOf(ct.vmid);
      assert.equal(after.length, before + 1);
      const made = after.find((v) => v.volid.startsWith('nfs:') && v.volid.endsWith('.tar.zst'));
      assert.ok(made, after.map((v) => v.volid).join(', '));
      assert.equal(made.notes, 'ct-postgres before upgrade');
      assert.ok((await backupEls(ct)).some((e) => e.kind === 'backup' && e.backup.volid === made.volid));
    });

    it('refuses a storage without backup content and a guest whose lock is held', async () => {
      const ct = byName('ct-postgres');
      const before = backupsOf(ct.vmid).length;
      const wrong = await run(api, 'homelab.proxmox.backupNow', [], { clusterId: C, vmid: ct.vmid }, { storage: 'local-lvm' });
      assert.match(wrong.failure ?? '', /Storage "local-lvm" on \S+ does not take backups/);
      assert.match(wrong.failure ?? '', /container \d+ \(ct-postgres\)/);
      lock(ct, 'snapshot');
      try {
        const locked = await run(api, 'homelab.proxmox.backupNow', [], { clusterId: C, vmid: ct.vmid }, { storage: 'nfs' });
        assert.match(locked.failure ?? '', /is locked \(snapshot\)/);
      } finally {
        unlock(ct);
      }
      assert.equal(backupsOf(ct.vmid).length, before, 'nothing half-done left behind');
    });

    it('restores a backup as a new guest', async () => {
      const ct = byName('ct-postgres');
      const [b] = (await backupEls(ct)).filter((e) => e.kind === 'backup');
      const next = String(await (await api.connections.client(api.clusters.get(C)!)).nextId());
      const { failure, result } = await run<{ vmid: number }>(api, 'homelab.proxmox.restoreBackup', ['new', next, 'Leave it stopped'], b);
      assert.equal(failure, undefined);
      const restored = sim.state.guests.get(result!.vmid);
      assert.ok(restored, 'a new container exists');
      assert.equal(restored.type, 'lxc');
    });

    it('refuses to restore over a running guest, and over a stopped one asks twice (typing its ID)', async () => {
      const vm = labVm();
      const [b] = await backupEls(vm);
      const running = await run(api, 'homelab.proxmox.restoreBackup', ['over'], b);
      assert.match(running.failure ?? '', new RegExp(`Not possible for VM ${vm.vmid} \\(\\S+\\): stop the guest before restoring a backup over it`));
      const ct = byName('ct-postgres');
      const [cb] = await backupEls(ct);
      const overLabel = `Overwrite container ${ct.vmid} (ct-postgres)`;
      const wrongId = await run(api, 'homelab.proxmox.restoreBackup', ['over', overLabel, '999'], cb);
      assert.match(wrongId.failure ?? '', /Type \d+ to confirm/);
      const ok = await run(api, 'homelab.proxmox.restoreBackup', ['over', overLabel, String(ct.vmid)], cb);
      assert.equal(ok.failure, undefined);
      assert.equal(sim.state.guests.get(ct.vmid)?.type, 'lxc');
    });

    it('protects, refuses to delete a protected backup, unprotects and deletes', async () => {
      const ct = byName('ct-pihole');
      const [b] = await backupEls(ct);
      assert.ok(b && b.kind === 'backup');
      const volid = b.backup.volid;
      assert.equal((await run(api, 'homelab.proxmox.protectBackup', [], b)).failure, undefined);
      assert.ok(sim.state.volumes.find((v) => v.volid === volid)?.protected);
      const [again] = await backupEls(ct);
      assert.equal(item(again).contextValue, 'backup-protected');
      const refused = await run(api, 'homelab.proxmox.deleteBackup', [], again);
      assert.match(refused.failure ?? '', /is protected/);
      assert.equal((await run(api, 'homelab.proxmox.unprotectBackup', [], again)).failure, undefined);
      const del = await run(api, 'homelab.proxmox.deleteBackup', ['Delete Backup'], (await backupEls(ct))[0]);
      assert.equal(del.failure, undefined);
      assert.ok(!sim.state.volumes.some((v) => v.volid === volid));
    });
  });

  describe('backup before destroying a deployed cluster', () => {
    const tagTwo = (name: string) => {
      const two = guests().filter((g) => g.type === 'qemu' && !g.conf.template && !g.conf.lock && !String(g.conf.tags ?? '').includes('homelab-cluster') && !g.snapshots.size).slice(0, 2);
      assert.equal(two.length, 2);
      for (const g of two) g.conf.tags = `homelab-cluster-${name}`;
      sim.state.touch();
      return two;
    };

    it('backs every VM up, then destroys them', async () => {
      const two = tagTwo('bk1');
      const r = await run(api, 'homelab.cluster.destroy', ['Back Up, Then Destroy', 'nfs'], { clusterId: C, name: 'bk1' });
      assert.equal(r.failure, undefined);
      for (const g of two) {
        assert.equal(backupsOf(g.vmid).filter((v) => v.volid.startsWith('nfs:')).length, 1, `a backup of ${g.vmid}`);
        assert.ok(!sim.state.guests.has(g.vmid), `${g.vmid} destroyed`);
      }
    });

    it('destroys nothing when a backup fails (a lock held)', async () => {
      const two = tagTwo('bk2');
      lock(two[1], 'snapshot');
      try {
        const r = await run(api, 'homelab.cluster.destroy', ['Back Up, Then Destroy', 'nfs'], { clusterId: C, name: 'bk2' });
        assert.match(r.failure ?? '', new RegExp(`VM ${two[1].vmid} .*is locked \\(snapshot\\)`));
        for (const g of two) assert.ok(sim.state.guests.has(g.vmid), `${g.vmid} kept`);
      } finally {
        unlock(two[1]);
      }
    });
  });

  describe('containers', () => {
    it('clones a container (full, hostname) through its wizard', async () => {
      const ct = byName('ct-nginx');
      const el = await guestElement(api, C, ct.vmid);
      const bad = await run(api, 'homelab.proxmox.cloneTemplate', ['bad_name'], el);
      assert.match(bad.failure ?? '', /invalid/);
      const id = String(await (await api.connections.client(api.clusters.get(C)!)).nextId());
      const { failure } = await run(api, 'homelab.proxmox.cloneTemplate', ['nginx-2', id, 'confirm'], el);
      assert.equal(failure, undefined);
      const copy = sim.state.guests.get(Number(id));
      assert.ok(copy && copy.type === 'lxc');
      assert.equal(copy.conf.hostname, 'nginx-2');
    });

    it('migrates a running container in restart mode, with a snapshot before when asked', async () => {
      const ct = byName('ct-nginx');
      const from = ct.node;
      const to = [...sim.state.nodes.keys()].find((n) => n !== from)!;
      const { failure } = await run(api, 'homelab.proxmox.migrateVm', [to, 'yes', 'confirm'], await guestElement(api, C, ct.vmid));
      assert.equal(failure, undefined);
      assert.equal(ct.node, to);
      assert.equal(ct.status, 'running', 'restarted on the target');
      assert.ok([...ct.snapshots.keys()].some((n) => n.startsWith('before-migrate-')), 'a snapshot was taken first');
      const t = await waitFor('the migrate terminal', () => terminalsNamed(api, /./).find((x) => /vzmigrate/.test(text(x))));
      assert.match(text(t), /start container on target node/);
    });

    it('every command refuses a guest whose lock is held, naming it, and sends nothing', async () => {
      const ct = byName('ct-postgres');
      const pihole = byName('ct-pihole');
      const to = [...sim.state.nodes.keys()].find((n) => n !== ct.node)!;
      const tasksBefore = sim.state.tasks.length;
      const countBefore = sim.state.guests.size;
      const [cb] = await backupEls(ct);
      lock(ct, 'backup');
      lock(pihole, 'backup');
      try {
        const locked = /is locked \(backup\): a backup of it is running/;
        const id = String(await (await api.connections.client(api.clusters.get(C)!)).nextId());
        const results = {
          deleteSnapshot: await run(api, 'homelab.proxmox.deleteSnapshot', [], { clusterId: C, vmid: pihole.vmid }, 'pre-update', {}),
          restoreOver: await run(api, 'homelab.proxmox.restoreBackup', [], cb, { target: 'over' }),
          clone: await run(api, 'homelab.proxmox.cloneTemplate', [], { clusterId: C, vmid: ct.vmid }, { hostname: 'pg-2', newid: Number(id) }),
          migrate: await run(api, 'homelab.proxmox.migrateVm', [], { clusterId: C, vmid: ct.vmid }, { target: to, online: false, withLocalDisks: false }),
          template: await run(api, 'homelab.proxmox.convertToTemplate', [], { clusterId: C, vmid: ct.vmid }),
        };
        for (const [what, r] of Object.entries(results)) assert.match(r.failure ?? '', locked, `${what}: ${r.failure}`);
        assert.match(results.template.failure ?? '', /container \d+ \(ct-postgres\)/i);
        assert.equal(sim.state.guests.size, countBefore, 'nothing created');
        assert.equal(ct.node, ct.node);
        assert.ok(pihole.snapshots.has('pre-update'), 'the snapshot is still there');
        assert.ok(!ct.conf.template);
        assert.equal(sim.state.tasks.length, tasksBefore, 'no task was started');
      } finally {
        unlock(ct);
        unlock(pihole);
      }
    });

    it('converts a stopped container to a template; refuses a running one', async () => {
      const running = await run(api, 'homelab.proxmox.convertToTemplate', [], { clusterId: C, vmid: byName('ct-nginx').vmid });
      assert.match(running.failure ?? '', /only a stopped container can become a template/);
      const copy = byName('nginx-2');
      const { failure } = await run(api, 'homelab.proxmox.convertToTemplate', ['Convert'], { clusterId: C, vmid: copy.vmid });
      assert.equal(failure, undefined);
      assert.ok(copy.conf.template);
      assert.equal(item(await guestElement(api, C, copy.vmid)).contextValue, 'ct-template');
    });
  });
});
