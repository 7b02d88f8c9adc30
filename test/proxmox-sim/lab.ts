// The demo lab (option `lab`, the demo's `--lab 1`): what a newcomer should see in the tree on day
// one — containers, a NixOS template, a snapshot tree with a branch, backups (one protected, with
// notes), scheduled backup jobs, notes, a serial console, the cluster's tag colours — and a lab that
// moves: guests' CPU and memory wander over time and the nodes' totals follow what runs on them.
// Off by default, so the tests' clusters stay static and seeded.
import { addBackupVolume } from './backup';
import type { SimCore } from './core';
import { takeSnapshot } from './snapshots';
import type { Prng } from './prng';
import type { ClusterState, Guest, GuestConfig } from './state';

const DAY = 86400;

interface CtSpec { hostname: string; tags: string; running: boolean; description: string; disk: number }
const CONTAINERS: CtSpec[] = [
  { hostname: 'ct-pihole', tags: 'dns;lab', running: true, disk: 8, description: '# Pi-hole\n\nDNS for the lab. Admin UI on port 80.' },
  { hostname: 'ct-nginx', tags: 'web', running: true, disk: 8, description: 'Reverse proxy in front of the lab services.' },
  { hostname: 'ct-postgres', tags: 'db;prod', running: false, disk: 32, description: '' },
];

export function seedLab(core: SimCore): void {
  const { state } = core;
  const now = Math.floor(Date.now() / 1000);
  const nodes = [...state.nodes.keys()];
  const cts: Guest[] = [];
  const tpl = [...state.guests.values()].find((g) => g.conf.template);
  if (tpl) tpl.conf.name = 'tpl-nixos-24-11';
  let vmid = 200;
  CONTAINERS.forEach((c, i) => {
    while (state.guests.has(vmid)) vmid++;
    const conf: GuestConfig = {
      arch: 'amd64', cores: 1, hostname: c.hostname, memory: 512, swap: 512, ostype: 'debian',
      net0: `name=eth0,bridge=vmbr0,hwaddr=${state.mac()},ip=dhcp,type=veth`,
      rootfs: `local-lvm:vm-${vmid}-disk-0,size=${c.disk}G`, unprivileged: 1, features: 'nesting=1', tags: c.tags,
    };
    if (c.description) conf.description = c.description;
    const g = state.addGuest(vmid, nodes[i % nodes.length], conf, 'lxc');
    if (c.running) {
      g.status = 'running';
      g.startedAt = Date.now() - (i + 1) * 3 * 3600_000;
    }
    cts.push(g);
  });

  // The first running VM: notes, a serial port, and a snapshot tree with a branch:
  // before-upgrade -> k8s-installed, before-upgrade -> experiment -> (current).
  const vm = [...state.guests.values()].find((g) => g.type === 'qemu' && !g.conf.template && g.status === 'running');
  if (vm) {
    vm.conf.serial0 = 'socket';
    vm.conf.description = `# ${vm.conf.name}\n\nControl plane of the lab cluster.\n\n- snapshots before every experiment\n- backups nightly`;
    takeSnapshot(vm, 'before-upgrade', 'Fresh install, before apt upgrade', false, now - 5 * DAY);
    takeSnapshot(vm, 'k8s-installed', 'k3s installed and joined', true, now - 3 * DAY);
    vm.conf.parent = 'before-upgrade'; // rolled back, then tried something else
    takeSnapshot(vm, 'experiment', 'Trying Cilium instead of flannel', false, now - DAY);
    addBackupVolume(state, vm, 'nfs', { ctimeMs: (now - 7 * DAY) * 1000, notes: `${vm.conf.name} — before the k3s upgrade`, protected: true });
    addBackupVolume(state, vm, 'nfs', { ctimeMs: (now - DAY) * 1000, notes: String(vm.conf.name) });
  }
  const ct = cts[0];
  takeSnapshot(ct, 'pre-update', 'Before pihole -up', false, now - 2 * DAY);
  addBackupVolume(state, ct, 'nfs', { ctimeMs: (now - 2 * DAY) * 1000, notes: 'ct-pihole weekly' });
  addBackupVolume(state, cts[2], 'local', { ctimeMs: (now - 6 * 3600) * 1000, compress: 'gzip' });

  state.backupJobs.push(
    { id: 'backup-5f2c1a9e-7d41', schedule: 'sun 01:00', storage: 'nfs', mode: 'snapshot', compress: 'zstd', enabled: true, all: true, comment: 'Weekly, every guest', 'notes-template': '{{guestname}} weekly' },
    { id: 'backup-8b3e44c0-19aa', schedule: '02:30', storage: 'local', mode: 'stop', compress: 'zstd', enabled: true, vmid: String(cts[2].vmid), node: cts[2].node, comment: 'Nightly database backup' },
    { id: 'backup-0c9d7e21-5b6f', schedule: 'mon..fri 12:00', storage: 'nfs', mode: 'suspend', compress: 'gzip', enabled: false, vmid: vm ? String(vm.vmid) : String(ct.vmid) },
  );
  state.clusterOptions['tag-style'] = 'color-map=prod:c62828:ffffff;k8s:1565c0;lab:2e7d32;db:6a1b9a,ordering=alphabetical,shape=full';
  state.touch();
}

/** One step of the random walk: load drifts toward a per-guest level with bursts; nodes sum it up. */
export function stepLoad(state: ClusterState, rng: Prng): void {
  const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
  for (const g of state.guests.values()) {
    if (g.status !== 'running') continue;
    const burst = rng.next() < 0.08 ? 0.4 * rng.next() : 0;
    g.cpuLoad = Math.round(clamp(g.cpuLoad * 0.7 + 0.3 * (0.05 + 0.25 * rng.next()) + burst, 0.005, 0.98) * 1000) / 1000;
    g.memFraction = clamp(g.memFraction + (rng.next() - 0.5) * 0.04, 0.2, 0.95);
  }
  for (const n of state.nodes.values()) {
    let cores = 0;
    let mem = 2 * 2 ** 30; // the host itself
    for (const g of state.guests.values()) {
      if (g.node !== n.node || g.status !== 'running') continue;
      const maxcpu = Number(g.conf.cores ?? 1) * Number(g.conf.sockets ?? 1);
      cores += g.cpuLoad * maxcpu;
      mem += Math.floor(Number(/\d+/.exec(String(g.conf.memory ?? '512'))?.[0] ?? 512) * 2 ** 20 * g.memFraction);
    }
    n.cpu = Math.round(clamp(0.01 + cores / n.maxcpu, 0, 1) * 1000) / 1000;
    n.mem = Math.min(n.maxmem, Math.floor(mem));
  }
  state.touch();
}
