// Proxmox entries: inventory and guest details (read), power actions, delete, snapshots, tasks.
// Every guest path comes from providers/proxmox/guests.ts (VMs and containers alike); refusals
// come from capabilities.ts, or from PVE itself when the task's own error says it best.
import {
  configFacts, deleteGuest, factsOf, guestConfig, guestPath, guestStatus, listSnapshots, parseUpid, pathSegment, powerGuest,
  refusal, type PowerAction,
} from '../providers/proxmox';
import { l10n } from './l10n';
import {
  clusterField, clusterOf, followTo, formatUptime, guestName, guestState, guestWithState, locateGuest, proxmoxOf, short, vmidField,
  type GuestRow,
} from './proxmox-common';
import { OperationRefused, type Operation } from './types';

type GuestInput = { cluster?: string; vmid: number };
const guestSchema = (extra: Record<string, import('./types').JsonSchema> = {}, required: string[] = []) => ({
  type: 'object' as const,
  properties: { cluster: clusterField, vmid: vmidField, ...extra },
  required: ['vmid', ...required],
  additionalProperties: false,
});

// Config keys whose values are secrets: never in a result.
const SECRET_KEYS = /^(cipassword|password)$/i;

const guestLine = (g: GuestRow) =>
  `${g.vmid} ${g.type}${g.template ? ' template' : ''} ${g.name ?? '-'} ${g.status ?? '?'}${g.uptime ? ` up ${formatUptime(g.uptime)}` : ''} node=${g.node}${g.lock ? ` lock=${g.lock}` : ''}${g.tags ? ` tags=${g.tags}` : ''}`;

export const inventory: Operation<{ cluster?: string }> = {
  id: 'proxmox_inventory',
  title: 'Proxmox inventory',
  description: 'Lists the configured Proxmox clusters, their nodes and every guest (VMs, containers, templates) with VM ID, type, name, status, uptime, node, lock and tags. Start here to find VM IDs and template IDs.',
  area: 'proxmox',
  effect: 'readOnly',
  inputSchema: { type: 'object', properties: { cluster: clusterField }, additionalProperties: false },
  async prepare(input, host) {
    const px = proxmoxOf(host);
    const clusters = input.cluster ? [clusterOf(host, input.cluster)] : px.clusters();
    return {
      async run() {
        const out: string[] = [];
        const data: unknown[] = [];
        for (const c of clusters) {
          try {
            const rows = await (await px.client(c.id)).resources();
            const nodes = rows.filter((r) => r.type === 'node');
            const guests = rows.filter((r) => (r.type === 'qemu' || r.type === 'lxc') && r.vmid !== undefined).sort((a, b) => (b.template ?? 0) - (a.template ?? 0) || a.vmid! - b.vmid!) as GuestRow[]; // templates first: what clones start from
            out.push(`cluster ${c.id} (${c.name}): ${nodes.length} nodes, ${guests.length} guests`);
            for (const n of nodes) out.push(`  node ${n.node} ${n.status ?? '?'}`);
            for (const g of guests) out.push(`  ${guestLine(g)}`);
            data.push({ cluster: c.id, nodes: nodes.map((n) => ({ node: n.node, status: n.status })), guests: guests.map((g) => ({ vmid: g.vmid, type: g.type, name: g.name, status: g.status, node: g.node, template: !!g.template, lock: g.lock })) });
          } catch (e) {
            out.push(`cluster ${c.id} (${c.name}): unreachable: ${e instanceof Error ? e.message : String(e)}`);
            data.push({ cluster: c.id, error: e instanceof Error ? e.message : String(e) });
          }
        }
        return { text: out.join('\n') || l10n.t('No Proxmox cluster is configured.'), data };
      },
    };
  },
};

export const guestDetails: Operation<GuestInput & { include?: string[] }> = {
  id: 'proxmox_guest_details',
  title: 'Proxmox guest details',
  description: 'Shows one guest (VM or container): its current status, its configuration (secrets left out), its snapshots and its recent tasks. `include` picks the parts (default all).',
  area: 'proxmox',
  effect: 'readOnly',
  inputSchema: guestSchema({ include: { type: 'array', items: { type: 'string', enum: ['status', 'config', 'snapshots', 'tasks'] }, maxItems: 4 } }),
  async prepare(input, host) {
    const loc = await locateGuest(host, input);
    const want = new Set(input.include?.length ? input.include : ['status', 'config', 'snapshots', 'tasks']);
    return {
      async run() {
        const g = loc.guest;
        const out = [`${guestName(g)}: ${guestState(g)}`];
        const data: Record<string, unknown> = { vmid: g.vmid, type: g.type, node: g.node, name: g.name };
        if (want.has('status')) {
          const s = await guestStatus(loc.client, g);
          out.push(`status: ${s.status}${s.qmpstatus && s.qmpstatus !== s.status ? ` (${s.qmpstatus})` : ''}${s.uptime ? ` uptime ${formatUptime(s.uptime)}` : ''}${s.lock ? ` lock=${s.lock}` : ''}`);
          data.status = s;
        }
        if (want.has('config')) {
          const conf = await guestConfig(loc.client, g);
          const clean = Object.fromEntries(Object.entries(conf).filter(([k]) => k !== 'digest').map(([k, v]) => [k, SECRET_KEYS.test(k) ? '(set)' : v]));
          out.push('config:', ...Object.entries(clean).map(([k, v]) => `  ${k}: ${String(v)}`));
          data.config = clean;
        }
        if (want.has('snapshots') && !g.template) {
          const snaps = (await listSnapshots(loc.client, g)).filter((s) => s.name !== 'current');
          out.push(`snapshots: ${snaps.length ? '' : 'none'}`, ...snaps.map((s) => `  ${s.name}${s.parent ? ` parent=${s.parent}` : ''}${s.snaptime ? ` taken=${new Date(s.snaptime * 1000).toISOString()}` : ''}${s.vmstate ? ' with-RAM' : ''}${s.description ? ` "${s.description.trim()}"` : ''}`));
          data.snapshots = snaps;
        }
        if (want.has('tasks')) {
          const tasks = await loc.client.get<Array<{ upid: string; type: string; status?: string; starttime: number }>>(`/nodes/${pathSegment(g.node)}/tasks`, { vmid: g.vmid, source: 'all', limit: 10 });
          out.push(`recent tasks: ${tasks.length ? '' : 'none'}`, ...tasks.map((t) => `  ${t.upid} ${t.type} ${t.status ?? 'running'}`));
          data.tasks = tasks;
        }
        return { text: out.join('\n'), data };
      },
    };
  },
};

// ---- power ----

const POWER_TEXT: Record<PowerAction, { title: string; doing: (g: string) => string; ask: (g: string) => string }> = {
  start: { title: 'Start guest', doing: (g) => l10n.t('Starting {0}', g), ask: (g) => l10n.t('Start {0}?', g) },
  shutdown: { title: 'Shut down guest', doing: (g) => l10n.t('Shutting down {0}', g), ask: (g) => l10n.t('Shut down {0}?', g) },
  stop: { title: 'Stop guest', doing: (g) => l10n.t('Stopping {0}', g), ask: (g) => l10n.t('Stop {0} now?', g) },
  reboot: { title: 'Reboot guest', doing: (g) => l10n.t('Rebooting {0}', g), ask: (g) => l10n.t('Reboot {0}?', g) },
  suspend: { title: 'Suspend guest', doing: (g) => l10n.t('Suspending {0}', g), ask: (g) => l10n.t('Suspend {0}?', g) },
  resume: { title: 'Resume guest', doing: (g) => l10n.t('Resuming {0}', g), ask: (g) => l10n.t('Resume {0}?', g) },
};

const POWER_DESCRIPTION: Record<PowerAction, string> = {
  start: 'Starts a stopped guest (VM or container) and waits for the start task to end. Templates cannot be started.',
  shutdown: 'Asks a running guest to shut down cleanly (ACPI / init) and waits up to the configured shutdown timeout. When the guest does not react the task fails with a timeout: then use proxmox_stop_guest.',
  stop: 'Stops a guest immediately, like pulling the power plug: unsaved data in the guest is lost. Prefer proxmox_shutdown_guest.',
  reboot: 'Reboots a running guest cleanly and waits for the reboot task.',
  suspend: 'Suspends (pauses) a running guest; resume it with proxmox_resume_guest.',
  resume: 'Resumes a suspended (paused) guest (VM or container) and waits for the resume task.',
};

function powerOperation(action: PowerAction): Operation<GuestInput> {
  const text = POWER_TEXT[action];
  return {
    id: `proxmox_${action}_guest`,
    title: text.title,
    description: POWER_DESCRIPTION[action],
    area: 'proxmox',
    effect: 'sideEffect',
    alwaysConfirm: action === 'stop',
    inputSchema: guestSchema(),
    async prepare(input, host) {
      const loc = await locateGuest(host, input);
      const g = loc.guest;
      if (g.template) throw new OperationRefused(l10n.t('{0} is a template: templates cannot be started or stopped, only cloned.', short(g)));
      // start/shutdown/stop/reboot: PVE's own task error says best why ("already running"), in the
      // task's terminal too. suspend/resume need the paused state, which only status/current has.
      if (action === 'suspend' || action === 'resume') {
        const s = await guestStatus(loc.client, g);
        const why = refusal(action, factsOf(g, { qmpstatus: s.qmpstatus }));
        if (why) throw new OperationRefused(l10n.t('Cannot {0} {1}: {2}.', action, guestName(g), why));
      }
      const timeout = action === 'shutdown' ? Math.max(1, proxmoxOf(host).shutdownTimeout()) : undefined;
      return {
        confirmation: text.ask(guestWithState(g)),
        detail: action === 'stop' ? l10n.t('Stopping is like pulling the power plug: unsaved data in the guest is lost. Use Shut Down for a clean power-off.') : undefined,
        cluster: loc.cluster.name,
        target: short(g),
        async run(progress, signal) {
          const upid = await powerGuest(loc.client, g, action, timeout !== undefined ? { timeout } : {});
          const r = await followTo(host, loc, upid, { vmName: g.name, title: text.doing(short(g)), signal, progress });
          return { text: `${guestName(g)}: ${action} ${r.exitstatus} (${upid})`, data: { vmid: g.vmid, node: g.node, upid, exitstatus: r.exitstatus } };
        },
      };
    },
  };
}

export const power = Object.fromEntries((['start', 'shutdown', 'stop', 'reboot', 'suspend', 'resume'] as PowerAction[]).map((a) => [a, powerOperation(a)])) as Record<PowerAction, Operation<GuestInput>>;

export const deleteGuestOp: Operation<GuestInput & { purge?: boolean }> = {
  id: 'proxmox_delete_guest',
  title: 'Delete guest',
  description: 'Deletes a stopped guest (VM, container or template) with its configuration and attached disks. Cannot be undone. `purge` also destroys its unused disks and removes it from backup, replication and HA jobs.',
  area: 'proxmox',
  effect: 'destructive',
  alwaysConfirm: true,
  inputSchema: guestSchema({ purge: { type: 'boolean', default: false, description: 'Also destroy unreferenced disks and remove the guest from jobs.' } }),
  async prepare(input, host) {
    const loc = await locateGuest(host, input);
    const g = loc.guest;
    // Ask the node, not the (possibly stale) inventory: a running guest must be stopped first.
    const s = await guestStatus(loc.client, g);
    if (s.status === 'running') throw new OperationRefused(l10n.t('{0} is running: stop or shut it down first, then delete it.', short(g)));
    if (s.lock) throw new OperationRefused(l10n.t('{0} is locked ({1}): wait until that operation has finished.', short(g), s.lock));
    return {
      confirmation: l10n.t('Delete {0}?', guestName({ ...g, template: s.template ?? g.template })),
      detail: l10n.t('Its configuration and the disks attached to it are destroyed. This cannot be undone.') +
        (input.purge ? ' ' + l10n.t('Its unused disks are destroyed too, and it is removed from backup, replication and HA jobs.') : ''),
      cluster: loc.cluster.name,
      target: short(g),
      async run(progress, signal) {
        const upid = await deleteGuest(loc.client, g, { purge: !!input.purge, destroyUnreferencedDisks: !!input.purge });
        await followTo(host, loc, upid, { vmName: g.name, title: l10n.t('Deleting {0}', short(g)), signal, progress });
        return { text: l10n.t('Deleted {0} ({1}).', guestName(g), upid), data: { vmid: g.vmid, upid } };
      },
    };
  },
};

// ---- tasks ----

interface TaskRow { upid: string; type: string; id?: string; node: string; user?: string; status?: string; starttime: number; endtime?: number }

export const tasks: Operation<{ cluster?: string; vmid?: number; limit?: number }> = {
  id: 'proxmox_tasks',
  title: 'Proxmox recent tasks',
  description: 'Lists recent Proxmox tasks of a cluster (newest first), optionally of one guest: UPID, type, guest, node, status (OK, an error, or running). Read a task\'s log with proxmox_task_log.',
  area: 'proxmox',
  effect: 'readOnly',
  inputSchema: { type: 'object', properties: { cluster: clusterField, vmid: vmidField, limit: { type: 'integer', minimum: 1, maximum: 200, default: 20 } }, additionalProperties: false },
  async prepare(input, host) {
    const c = clusterOf(host, input.cluster);
    return {
      async run() {
        const client = await proxmoxOf(host).client(c.id);
        const list = (await client.get<TaskRow[]>('/cluster/tasks')).filter((t) => input.vmid === undefined || t.id === String(input.vmid)).slice(0, input.limit ?? 20);
        return { text: list.map((t) => `${t.upid} ${t.type}${t.id ? ` ${t.id}` : ''} ${t.node} ${t.status ?? 'running'}`).join('\n') || l10n.t('No tasks.'), data: list };
      },
    };
  },
};

export const taskLog: Operation<{ cluster?: string; upid: string; lines?: number }> = {
  id: 'proxmox_task_log',
  title: 'Proxmox task status and log',
  description: 'Shows one Proxmox task: whether it runs or how it ended (exit status), and the last lines of its log.',
  area: 'proxmox',
  effect: 'readOnly',
  inputSchema: { type: 'object', properties: { cluster: clusterField, upid: { type: 'string', pattern: '^UPID:', maxLength: 200, description: 'The task id (UPID:node:…), from proxmox_tasks or a result.' }, lines: { type: 'integer', minimum: 1, maximum: 500, default: 50 } }, required: ['upid'], additionalProperties: false },
  async prepare(input, host) {
    const c = clusterOf(host, input.cluster);
    let u: ReturnType<typeof parseUpid>;
    try {
      u = parseUpid(input.upid);
    } catch {
      throw new OperationRefused(l10n.t('"{0}" is not a task id (UPID).', input.upid));
    }
    return {
      async run() {
        const client = await proxmoxOf(host).client(c.id);
        const base = `/nodes/${pathSegment(u.node)}/tasks/${pathSegment(u.upid)}`;
        const st = await client.get<{ status: string; exitstatus?: string }>(`${base}/status`);
        const log = await client.get<Array<{ n: number; t: string }>>(`${base}/log`, { start: 0, limit: 5000 });
        const tail = log.map((l) => l.t).slice(-(input.lines ?? 50));
        const status = st.status === 'running' ? 'running' : `stopped: ${st.exitstatus ?? '?'}`;
        return { text: [`${u.upid} ${u.type} ${u.id} on ${u.node}: ${status}`, ...tail].join('\n'), data: { status: st.status, exitstatus: st.exitstatus, log: tail } };
      },
    };
  },
};

export { configFacts, guestPath };
