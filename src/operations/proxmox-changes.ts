// Proxmox entries that create or move things: clone from a template with cloud-init, migrate,
// snapshot take and rollback. They call the providers directly (the palette's clone and migrate
// wizards keep their own modules); the confirmation names the source, the target and the state.
import {
  checkSnapshotName, createSnapshot, factsOf, guestPath, listSnapshots, migrateCheck, migrateGuest, powerGuest, refusal, rollbackLoss,
  rollbackSnapshot,
} from '../providers/proxmox';
import { startClone, vmidIsFree, CloneAbandonedError } from '../providers/proxmox/clone';
import { checkDnsLabel, encodeSshKeys, ipconfigValue, parseCidr, checkGateway, type IpConfig } from '../providers/proxmox/cloud-init';
import { notAllowedReason } from '../providers/proxmox/migrate';
import { l10n } from './l10n';
import { clusterField, followTo, guestName, guestWithState, locateGuest, short, vmidField } from './proxmox-common';
import { OperationRefused, type Operation } from './types';

export interface CloneInput {
  cluster?: string;
  template: number;
  name: string;
  newid?: number;
  target?: string;
  full?: boolean;
  storage?: string;
  cores?: number;
  memoryMiB?: number;
  ciuser?: string;
  sshKeys?: string[];
  ip?: string;
  gateway?: string;
  start?: boolean;
}

export const cloneTemplate: Operation<CloneInput> = {
  id: 'proxmox_clone_template',
  title: 'Clone VM from template',
  description: 'Creates a new VM by cloning a VM template (linked clone by default, `full` for a full copy), applies cloud-init (user, SSH public keys, IPv4 `ip` as "dhcp" or CIDR with `gateway`), CPU cores and memory, and optionally starts it. Returns the new VM ID. Find template IDs with proxmox_inventory.',
  area: 'proxmox',
  effect: 'sideEffect',
  inputSchema: {
    type: 'object',
    properties: {
      cluster: clusterField,
      template: { ...vmidField, description: 'VM ID of the template (or a VM: then a full clone).' },
      name: { type: 'string', minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$', description: 'Name of the new VM, also its host name (a DNS label).' },
      newid: { ...vmidField, description: 'VM ID of the new VM; left out: the next free one.' },
      target: { type: 'string', maxLength: 100, description: 'Node to create it on (default: the template\'s node).' },
      full: { type: 'boolean', description: 'Full copy instead of a linked clone.' },
      storage: { type: 'string', maxLength: 100, description: 'Target storage of a full clone.' },
      cores: { type: 'integer', minimum: 1, maximum: 512 },
      memoryMiB: { type: 'integer', minimum: 16, maximum: 4_194_304 },
      ciuser: { type: 'string', maxLength: 32, pattern: '^[a-z_][a-z0-9_-]*$', description: 'cloud-init user.' },
      sshKeys: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 16_384 }, description: 'SSH public key lines (ssh-ed25519 AAAA… comment).' },
      ip: { type: 'string', maxLength: 64, description: '"dhcp" or an IPv4 CIDR such as 10.0.0.20/24.' },
      gateway: { type: 'string', maxLength: 64 },
      start: { type: 'boolean', default: false, description: 'Start the VM once it is configured.' },
    },
    required: ['template', 'name'],
    additionalProperties: false,
  },
  async prepare(input, host) {
    const loc = await locateGuest(host, { cluster: input.cluster, vmid: input.template });
    const src = loc.guest;
    if (src.type !== 'qemu') throw new OperationRefused(l10n.t('{0} is a container: clone VM templates (cloud-init) only.', guestName(src)));
    const bad = checkDnsLabel(input.name);
    if (bad) throw new OperationRefused(bad);
    const full = input.full ?? !src.template;
    if (!full && !src.template) throw new OperationRefused(l10n.t('{0} is not a template: only templates can be cloned as linked clones (set full).', guestName(src)));
    if (src.lock) throw new OperationRefused(l10n.t('{0} is locked ({1}).', guestName(src), src.lock));
    const target = input.target ?? src.node;
    const nodes = await loc.client.nodes();
    const node = nodes.find((n) => n.node === target);
    if (!node) throw new OperationRefused(l10n.t('There is no node "{0}" (nodes: {1}).', target, nodes.map((n) => n.node).join(', ')));
    if (node.status !== 'online') throw new OperationRefused(l10n.t('Node {0} is offline.', target));
    let ip: IpConfig | undefined;
    if (input.ip !== undefined) {
      if (input.ip.trim().toLowerCase() === 'dhcp') ip = { kind: 'dhcp' };
      else {
        const cidr = parseCidr(input.ip);
        if (typeof cidr === 'string') throw new OperationRefused(cidr);
        const gw = input.gateway ? checkGateway(cidr, input.gateway) : undefined;
        if (gw) throw new OperationRefused(gw);
        ip = { kind: 'static', cidr: input.ip, gateway: input.gateway };
      }
    }
    const config: Record<string, string | number> = {};
    try {
      if (input.sshKeys?.length) config.sshkeys = encodeSshKeys(input.sshKeys);
      if (ip) config.ipconfig0 = ipconfigValue(ip);
    } catch (e) {
      throw new OperationRefused(e instanceof Error ? e.message : String(e));
    }
    if (input.ciuser) config.ciuser = input.ciuser;
    if (input.cores) config.cores = input.cores;
    if (input.memoryMiB) config.memory = input.memoryMiB;
    if (input.newid !== undefined && !(await vmidIsFree(loc.client, input.newid))) throw new OperationRefused(l10n.t('VM ID {0} is already taken.', input.newid));
    const how = [full ? l10n.t('full clone') : l10n.t('linked clone'), ip ? (ip.kind === 'dhcp' ? 'DHCP' : input.ip!) : undefined, input.start ? l10n.t('started after') : undefined].filter(Boolean).join(', ');
    return {
      confirmation: l10n.t('Clone {0} to a new VM "{1}"{2} on {3} ({4})?', guestWithState(src), input.name, input.newid ? ` (${input.newid})` : '', target, how),
      cluster: loc.cluster.name,
      target: `${short(src)} → ${input.name}`,
      async run(progress, signal) {
        const params: Record<string, string | number> = { name: input.name, full: full ? 1 : 0 };
        if (target !== src.node) params.target = target;
        if (full && input.storage) params.storage = input.storage;
        progress.report(l10n.t('Cloning {0} to {1}…', short(src), input.name));
        let request: Awaited<ReturnType<typeof startClone>>;
        try {
          request = await startClone(loc.client, { node: src.node, vmid: src.vmid, params, newid: input.newid, signal, onRetry: (r) => progress.report(l10n.t('retrying: {0}', r.reason)) });
        } catch (e) {
          if (e instanceof CloneAbandonedError) throw new OperationRefused(e.message);
          throw e;
        }
        const ref = { node: target, type: 'qemu' as const, vmid: request.newid, name: input.name };
        await followTo(host, loc, request.upid, { vmName: input.name, title: l10n.t('Cloning {0} → {1} ({2})', short(src), input.name, request.newid), signal, progress });
        const steps = [`cloned ${request.upid}`];
        try {
          if (Object.keys(config).length) {
            progress.report(l10n.t('configuring'));
            await loc.client.put(guestPath(ref, 'config'), config);
            steps.push(`configured ${Object.keys(config).join(',')}`);
          }
          if (input.start) {
            const upid = await powerGuest(loc.client, ref, 'start');
            await followTo(host, loc, upid, { vmName: input.name, title: l10n.t('Starting {0}', short(ref)), signal, progress });
            steps.push(`started ${upid}`);
          }
        } catch (e) {
          throw new Error(l10n.t('VM {0} ({1}) was created on {2}, but {3} failed: {4} It is left as it is: fix it or delete it.', input.name, request.newid, target, input.start ? l10n.t('starting') : l10n.t('configuring'), e instanceof Error ? e.message : String(e)));
        }
        return { text: l10n.t('Created VM {0} "{1}" on {2} from {3}: {4}.', request.newid, input.name, target, short(src), steps.join('; ')), data: { vmid: request.newid, node: target, name: input.name, upid: request.upid } };
      },
    };
  },
};

export const migrate: Operation<{ cluster?: string; vmid: number; target: string; withLocalDisks?: boolean }> = {
  id: 'proxmox_migrate_guest',
  title: 'Migrate guest',
  description: 'Moves a guest to another node of its cluster: a running VM live (online), a running container in restart mode, a stopped guest offline. Guests with local disks need `withLocalDisks` (the disks are copied).',
  area: 'proxmox',
  effect: 'sideEffect',
  inputSchema: { type: 'object', properties: { cluster: clusterField, vmid: vmidField, target: { type: 'string', minLength: 1, maxLength: 100, description: 'The node to move it to.' }, withLocalDisks: { type: 'boolean', default: false } }, required: ['vmid', 'target'], additionalProperties: false },
  async prepare(input, host) {
    const loc = await locateGuest(host, input);
    const g = loc.guest;
    if (g.node === input.target) throw new OperationRefused(l10n.t('{0} already runs on {1}.', guestName(g), input.target));
    const why = refusal('migrate', factsOf(g));
    if (why) throw new OperationRefused(l10n.t('Cannot migrate {0}: {1}.', guestName(g), why));
    const pre = await migrateCheck(loc.client, g, input.target);
    const notAllowed = pre.notAllowedNodes[input.target] as Parameters<typeof notAllowedReason>[0] | undefined;
    if (notAllowed) throw new OperationRefused(l10n.t('Cannot migrate {0} to {1}: {2}', guestName(g), input.target, notAllowedReason(notAllowed)));
    const disks = pre.localDisks.filter((d) => !d.cdrom);
    if (g.type === 'qemu' && disks.length && !input.withLocalDisks) {
      throw new OperationRefused(l10n.t('{0} has local disks ({1}): set withLocalDisks to copy them.', guestName(g), disks.map((d) => d.volid).join(', ')));
    }
    const running = pre.running;
    const mode = running ? (g.type === 'qemu' ? l10n.t('live') : l10n.t('restart mode')) : l10n.t('offline');
    return {
      confirmation: l10n.t('Migrate {0} to {1} ({2}{3})?', guestWithState(g), input.target, mode, disks.length && input.withLocalDisks ? l10n.t(', copying {0} local disks', disks.length) : ''),
      cluster: loc.cluster.name,
      target: `${short(g)} → ${input.target}`,
      async run(progress, signal) {
        const upid = await migrateGuest(loc.client, g, { target: input.target, running, withLocalDisks: input.withLocalDisks });
        await followTo(host, loc, upid, { vmName: g.name, title: l10n.t('Migrating {0} to {1}', short(g), input.target), signal, progress });
        return { text: l10n.t('{0} moved to {1} ({2}).', short(g), input.target, upid), data: { vmid: g.vmid, node: input.target, upid } };
      },
    };
  },
};

export const snapshotCreate: Operation<{ cluster?: string; vmid: number; name: string; description?: string; includeRam?: boolean }> = {
  id: 'proxmox_snapshot_create',
  title: 'Take snapshot',
  description: 'Takes a snapshot of a guest (VM or container). `includeRam` saves a running VM\'s memory too (VMs only).',
  area: 'proxmox',
  effect: 'sideEffect',
  inputSchema: { type: 'object', properties: { cluster: clusterField, vmid: vmidField, name: { type: 'string', minLength: 2, maxLength: 40, pattern: '^[A-Za-z][A-Za-z0-9_-]*$' }, description: { type: 'string', maxLength: 1000 }, includeRam: { type: 'boolean', default: false } }, required: ['vmid', 'name'], additionalProperties: false },
  async prepare(input, host) {
    const loc = await locateGuest(host, input);
    const g = loc.guest;
    const why = refusal(input.includeRam ? 'snapshotWithRam' : 'snapshot', factsOf(g));
    if (why) throw new OperationRefused(l10n.t('Cannot snapshot {0}: {1}.', guestName(g), why));
    const existing = (await listSnapshots(loc.client, g)).map((s) => s.name);
    const bad = checkSnapshotName(input.name, existing);
    if (bad) throw new OperationRefused(bad);
    return {
      confirmation: l10n.t('Take snapshot "{0}" of {1}{2}?', input.name, guestWithState(g), input.includeRam ? l10n.t(' with its RAM') : ''),
      cluster: loc.cluster.name,
      target: `${short(g)} @${input.name}`,
      async run(progress, signal) {
        const upid = await createSnapshot(loc.client, g, { name: input.name, description: input.description, vmstate: input.includeRam, existing });
        await followTo(host, loc, upid, { vmName: g.name, title: l10n.t('Snapshot {0} of {1}', input.name, short(g)), signal, progress });
        return { text: l10n.t('Snapshot "{0}" of {1} taken ({2}).', input.name, short(g), upid), data: { vmid: g.vmid, snapshot: input.name, upid } };
      },
    };
  },
};

export const snapshotRollback: Operation<{ cluster?: string; vmid: number; name: string; start?: boolean }> = {
  id: 'proxmox_snapshot_rollback',
  title: 'Roll back to snapshot',
  description: 'Rolls a guest back to one of its snapshots: everything since that snapshot is lost. `start` starts it afterwards.',
  area: 'proxmox',
  effect: 'destructive',
  alwaysConfirm: true,
  inputSchema: { type: 'object', properties: { cluster: clusterField, vmid: vmidField, name: { type: 'string', minLength: 1, maxLength: 40 }, start: { type: 'boolean', default: false } }, required: ['vmid', 'name'], additionalProperties: false },
  async prepare(input, host) {
    const loc = await locateGuest(host, input);
    const g = loc.guest;
    const list = await listSnapshots(loc.client, g);
    const loss = rollbackLoss(list, input.name);
    if (!loss) throw new OperationRefused(l10n.t('{0} has no snapshot "{1}" (snapshots: {2}).', guestName(g), input.name, list.filter((s) => s.name !== 'current').map((s) => s.name).join(', ') || l10n.t('none')));
    const why = refusal('rollback', factsOf(g, { hasSnapshots: true }));
    if (why) throw new OperationRefused(l10n.t('Cannot roll back {0}: {1}.', guestName(g), why));
    const taken = loss.target.snaptime ? new Date(loss.target.snaptime * 1000).toISOString().replace(/\.\d+Z$/, 'Z') : '?';
    return {
      confirmation: l10n.t('Roll back {0} to snapshot "{1}" (taken {2})?', guestWithState(g), input.name, taken),
      detail: l10n.t('Everything that changed since the snapshot is lost.') + (loss.running ? ' ' + l10n.t('The guest is stopped for the rollback.') : ''),
      cluster: loc.cluster.name,
      target: `${short(g)} @${input.name}`,
      async run(progress, signal) {
        const upid = await rollbackSnapshot(loc.client, g, input.name, { start: input.start });
        await followTo(host, loc, upid, { vmName: g.name, title: l10n.t('Rollback of {0} to {1}', short(g), input.name), signal, progress });
        return { text: l10n.t('{0} rolled back to "{1}" ({2}).', short(g), input.name, upid), data: { vmid: g.vmid, snapshot: input.name, upid } };
      },
    };
  },
};
