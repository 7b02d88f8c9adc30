// Cluster-wide and node endpoints: version, nodes, resources, nextid, tasks, login.
import { checkPerm } from './auth';
import type { SimCore } from './core';
import { paramError } from './http';
import { containerResource } from './lab';
import { RawJson, type Ctx, type Route } from './router';
import { diskEntries, memoryMiB, type Guest } from './state';
import { parseUpid, taskJson } from './tasks';

const sec = (ms: number) => Math.floor(ms / 1000);

/** Derived sizes, memoized per guest on the config values they depend on (50k guests per call). */
const sizeMemo = new WeakMap<Guest, { key: string; maxmem: number; maxdisk: number; maxcpu: number }>();
function sizes(g: Guest) {
  const c = g.conf;
  const key = `${c.memory}|${c.cores}|${c.sockets}|${c.scsi0}|${c.virtio0}|${c.sata0}|${c.ide0}`;
  let m = sizeMemo.get(g);
  if (!m || m.key !== key) {
    const maxdisk = diskEntries(c).filter((d) => !d.cdrom && !d.volid.includes('cloudinit'))[0]?.size ?? 0;
    m = { key, maxmem: memoryMiB(c) * 2 ** 20, maxdisk, maxcpu: Number(c.cores ?? 1) * Number(c.sockets ?? 1) };
    sizeMemo.set(g, m);
  }
  return m;
}

export function guestResource(g: Guest, nodeOnline: boolean, now: number): Record<string, unknown> {
  const running = g.status === 'running' && nodeOnline;
  const { maxmem, maxdisk, maxcpu } = sizes(g);
  const r: Record<string, unknown> = {
    id: `qemu/${g.vmid}`, type: 'qemu', vmid: g.vmid, name: g.conf.name ?? `VM ${g.vmid}`, node: g.node,
    status: nodeOnline ? g.status : 'unknown', template: g.conf.template ? 1 : 0,
    maxcpu, maxmem, maxdisk, disk: 0,
    cpu: running ? g.cpuLoad : 0, mem: running ? Math.floor(maxmem * g.memFraction) : 0,
    uptime: running ? sec(now - g.startedAt) : 0, netin: 0, netout: 0, diskread: 0, diskwrite: 0,
  };
  if (g.conf.tags) r.tags = g.conf.tags;
  if (g.conf.lock) r.lock = g.conf.lock;
  if (g.pool) r.pool = g.pool;
  return r;
}

function nodeJson(core: SimCore, name: string, now: number): Record<string, unknown> {
  const n = core.state.nodes.get(name)!;
  if (!n.online) return { node: n.node, status: 'offline', id: `node/${n.node}`, type: 'node', ssl_fingerprint: fingerprint(core), level: '' };
  return {
    node: n.node, status: 'online', id: `node/${n.node}`, type: 'node', cpu: n.cpu, maxcpu: n.maxcpu, mem: n.mem, maxmem: n.maxmem,
    disk: 12 * 2 ** 30, maxdisk: 100 * 2 ** 30, uptime: sec(now - n.bootedAt), level: '', ssl_fingerprint: fingerprint(core),
  };
}

const fingerprint = (core: SimCore) => core.fingerprint;

function storageResources(core: SimCore): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const n of core.state.nodes.values()) {
    for (const s of core.state.storages) {
      const used = core.state.volumesOn(n.node, s.storage).reduce((a, v) => a + v.size, 0);
      out.push({
        id: `storage/${n.node}/${s.storage}`, type: 'storage', storage: s.storage, node: n.node, status: n.online ? 'available' : 'unknown',
        plugintype: s.type, content: s.content.join(','), shared: s.shared ? 1 : 0, disk: used, maxdisk: s.total,
      });
    }
  }
  return out;
}

/** /cluster/resources is cached per state version for a second: 50k guests must answer fast. */
const cache = new WeakMap<SimCore, Map<string, { version: number; at: number; body: string }>>();

/** The serialized answer for `type` ('' = all); rebuilt when the state changed or after 1 s (uptimes). */
export function resourcesBody(core: SimCore, type: string): string {
  const now = Date.now();
  let m = cache.get(core);
  if (!m) cache.set(core, (m = new Map()));
  const hit = m.get(type);
  if (hit && hit.version === core.state.version && now - hit.at < 1000) return hit.body;
  const out: unknown[] = [];
  if (!type || type === 'vm') {
    const online = new Map([...core.state.nodes.values()].map((n) => [n.node, n.online]));
    for (const g of core.state.guests.values()) out.push(guestResource(g, online.get(g.node) ?? false, now));
    for (const c of core.state.containers) out.push(containerResource(c, online.get(c.node) ?? false, now));
  }
  if (!type || type === 'storage') out.push(...storageResources(core));
  if (!type || type === 'node') for (const n of core.state.nodes.keys()) out.push(nodeJson(core, n, now));
  const body = JSON.stringify({ data: out });
  m.set(type, { version: core.state.version, at: now, body });
  return body;
}

// The audit role sees the same objects here (VM.Audit, Sys.Audit, Datastore.Audit): one cache.
const resources = (ctx: Ctx) => new RawJson(resourcesBody(ctx.core, (ctx.p.type as string | undefined) ?? ''));

function taskFor(ctx: Ctx) {
  const upid = String(ctx.p.upid);
  if (!parseUpid(upid)) throw paramError({ upid: 'unable to parse worker upid' });
  const t = ctx.core.tasks.find(upid);
  // A task lives on the node named in its UPID; asking another node finds no file.
  if (!t || t.node !== ctx.p.node) throw paramError({ upid: 'no such task' });
  return t;
}

/** Task owners may read and stop their own tasks; others need Sys.Audit / Sys.Modify on the node. */
function taskPerm(priv: string) {
  return (ctx: Ctx) => {
    const parsed = parseUpid(ctx.path.upid ?? '');
    if (parsed && parsed.user === ctx.who.id) return;
    checkPerm(ctx.who, `/nodes/${ctx.path.node}`, [priv]);
  };
}

export const clusterRoutes: Route[] = [
  { key: 'GET /version', handle: () => ({ version: '9.1.3', release: '9.1', repoid: 'a1b2c3d4e5f60718' }) },
  {
    key: 'POST /access/ticket',
    noAuth: true,
    handle: (ctx) => ctx.core.auth.createTicket(ctx.req, String(ctx.p.username), String(ctx.p.password), ctx.p.realm as string | undefined),
  },
  {
    key: 'GET /nodes',
    handle: (ctx) => [...ctx.core.state.nodes.keys()].map((n) => nodeJson(ctx.core, n, Date.now())),
  },
  {
    key: 'GET /nodes/{node}/status',
    perm: (ctx) => checkPerm(ctx.who, `/nodes/${ctx.path.node}`, ['Sys.Audit']),
    handle: (ctx) => {
      const n = ctx.core.state.nodes.get(String(ctx.p.node))!;
      return {
        uptime: sec(Date.now() - n.bootedAt), cpu: n.cpu, loadavg: ['0.42', '0.38', '0.35'],
        memory: { total: n.maxmem, used: n.mem, free: n.maxmem - n.mem },
        cpuinfo: { cpus: n.maxcpu, sockets: 1, cores: n.maxcpu / 2, model: 'AMD EPYC 7302P 16-Core Processor', mhz: '3000.000' },
        kversion: 'Linux 6.14.11-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4', pveversion: 'pve-manager/9.1.3/a1b2c3d4e5f60718',
        rootfs: { total: 100 * 2 ** 30, used: 12 * 2 ** 30, avail: 88 * 2 ** 30 },
      };
    },
  },
  { key: 'GET /cluster/resources', handle: resources },
  {
    key: 'GET /cluster/nextid',
    handle: (ctx) => {
      const v = ctx.p.vmid as number | undefined;
      if (v !== undefined) {
        if (ctx.core.state.guests.has(v)) throw paramError({ vmid: `VM ${v} already exists` });
        return String(v);
      }
      return String(ctx.core.state.nextId());
    },
  },
  {
    key: 'GET /cluster/tasks',
    handle: (ctx) => ctx.core.state.tasks.slice(-200).reverse().map((t) => ({ ...taskJson(t), ...(t.status === 'stopped' ? { status: t.exitstatus, endtime: t.endtime } : {}) })),
  },
  {
    key: 'GET /nodes/{node}/tasks',
    handle: (ctx) => {
      const p = ctx.p;
      let list = ctx.core.state.tasks.filter((t) => t.node === p.node);
      if (p.vmid !== undefined) list = list.filter((t) => t.id === String(p.vmid));
      if (p.typefilter) list = list.filter((t) => t.type === p.typefilter);
      if (p.source === 'active') list = list.filter((t) => t.status === 'running');
      else if (p.source !== 'all') list = list.filter((t) => t.status === 'stopped');
      if (p.errors) list = list.filter((t) => t.status === 'stopped' && t.exitstatus !== 'OK');
      if (p.userfilter) list = list.filter((t) => t.user.includes(String(p.userfilter)));
      list = list.slice().reverse();
      const start = Number(p.start ?? 0);
      const limit = Number(p.limit ?? 50);
      return list.slice(start, start + limit).map((t) => {
        const o: Record<string, unknown> = { ...taskJson(t) };
        delete o.exitstatus;
        if (t.status === 'stopped') {
          o.status = t.exitstatus;
          o.endtime = t.endtime;
        } else delete o.status;
        return o;
      });
    },
  },
  {
    key: 'GET /nodes/{node}/tasks/{upid}/status',
    perm: taskPerm('Sys.Audit'),
    handle: (ctx) => taskJson(taskFor(ctx)),
  },
  {
    key: 'GET /nodes/{node}/tasks/{upid}/log',
    perm: taskPerm('Sys.Audit'),
    handle: (ctx) => {
      const t = taskFor(ctx);
      const start = Number(ctx.p.start ?? 0);
      const limit = Number(ctx.p.limit ?? 50);
      if (t.log.length === 0) return [{ n: 1, t: 'no content' }];
      return t.log.slice(start, start + limit).map((line, i) => ({ n: start + i + 1, t: line }));
    },
  },
  {
    key: 'DELETE /nodes/{node}/tasks/{upid}',
    perm: taskPerm('Sys.Modify'),
    handle: (ctx) => {
      ctx.core.tasks.stop(taskFor(ctx));
      return null;
    },
  },
];

