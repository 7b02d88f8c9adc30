// `lab: true` (the demo's `--lab 1`): the simulated cluster looks and moves like a homelab. Guests'
// CPU and memory wander over time and the nodes' totals follow what runs on them; the first template
// is a NixOS one; a few LXC containers appear in /cluster/resources (listed only: the container
// endpoints are not simulated yet). Off by default, so the tests' clusters stay static and seeded.
import type { Prng } from './prng';
import type { ClusterState } from './state';

export interface LabContainer {
  vmid: number;
  node: string;
  name: string;
  status: 'running' | 'stopped';
  maxmem: number;
  maxdisk: number;
  cpus: number;
  cpu: number;
  memFraction: number;
  startedAt: number;
  tags?: string;
}

const CONTAINERS: Array<[string, 'running' | 'stopped', number, string]> = [
  ['pihole', 'running', 512, 'dns;lab'],
  ['unifi-controller', 'running', 2048, 'lab'],
  ['backup-target', 'stopped', 1024, 'backup'],
];

/** Renames the first template to a NixOS one and adds the containers (vmids 300+). */
export function furnishLab(state: ClusterState, rng: Prng): LabContainer[] {
  const tpl = [...state.guests.values()].find((g) => g.conf.template);
  if (tpl) tpl.conf.name = 'tpl-nixos-24-11';
  const nodes = [...state.nodes.keys()];
  const now = Date.now();
  return CONTAINERS.map(([name, status, memMiB, tags], i) => ({
    vmid: 300 + i, node: nodes[i % nodes.length], name, status, tags,
    maxmem: memMiB * 2 ** 20, maxdisk: 8 * 2 ** 30, cpus: 1, cpu: 0.02, memFraction: 0.3 + 0.3 * rng.next(),
    startedAt: now - rng.int(3600, 20 * 86400) * 1000,
  }));
}

export function containerResource(c: LabContainer, nodeOnline: boolean, now: number): Record<string, unknown> {
  const running = c.status === 'running' && nodeOnline;
  const r: Record<string, unknown> = {
    id: `lxc/${c.vmid}`, type: 'lxc', vmid: c.vmid, name: c.name, node: c.node, status: nodeOnline ? c.status : 'unknown', template: 0,
    maxcpu: c.cpus, maxmem: c.maxmem, maxdisk: c.maxdisk, disk: Math.floor(c.maxdisk * 0.25),
    cpu: running ? c.cpu : 0, mem: running ? Math.floor(c.maxmem * c.memFraction) : 0,
    uptime: running ? Math.floor((now - c.startedAt) / 1000) : 0, netin: 0, netout: 0, diskread: 0, diskwrite: 0,
  };
  if (c.tags) r.tags = c.tags;
  return r;
}

/** One step of the random walk: load drifts toward a per-guest level with bursts; nodes sum it up. */
export function stepLoad(state: ClusterState, containers: LabContainer[], rng: Prng): void {
  const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
  for (const g of state.guests.values()) {
    if (g.status !== 'running') continue;
    const burst = rng.next() < 0.08 ? 0.4 * rng.next() : 0;
    g.cpuLoad = Math.round(clamp(g.cpuLoad * 0.7 + 0.3 * (0.05 + 0.25 * rng.next()) + burst, 0.005, 0.98) * 1000) / 1000;
    g.memFraction = clamp(g.memFraction + (rng.next() - 0.5) * 0.04, 0.2, 0.95);
  }
  for (const c of containers) if (c.status === 'running') c.cpu = Math.round(clamp(0.01 + 0.1 * rng.next(), 0, 1) * 1000) / 1000;
  for (const n of state.nodes.values()) {
    let cores = 0;
    let mem = 2 * 2 ** 30; // the host itself
    for (const g of state.guests.values()) {
      if (g.node !== n.node || g.status !== 'running') continue;
      const maxcpu = Number(g.conf.cores ?? 1) * Number(g.conf.sockets ?? 1);
      cores += g.cpuLoad * maxcpu;
      mem += Math.floor(Number(/\d+/.exec(String(g.conf.memory ?? '512'))?.[0] ?? 512) * 2 ** 20 * g.memFraction);
    }
    for (const c of containers) if (c.node === n.node && c.status === 'running') (cores += c.cpu * c.cpus), (mem += c.maxmem * c.memFraction);
    n.cpu = Math.round(clamp(0.01 + cores / n.maxcpu, 0, 1) * 1000) / 1000;
    n.mem = Math.min(n.maxmem, Math.floor(mem));
  }
  state.touch();
}
