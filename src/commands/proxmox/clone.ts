// Clone a template: a wizard with Back (name, VM ID, full/linked, node, storage, hardware,
// cloud-init user, SSH keys, IP config, start), then clone → configure → grow disk → start,
// each task followed in its terminal. A plan object can be passed instead of the wizard.
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ProxmoxClient } from '../../providers/proxmox';
import type { CloneContext, ClonePlan, CloneSourceDisk } from '../../providers/proxmox/clone';
import type { ClusterResource } from '../../providers/proxmox/types';
import type { ClusterConfig } from '../../services/proxmox/clusters';
import type { CommandRegistry } from '../registry';
import { isCancellation } from '../../providers/cancellation';
import { settings } from '../../services/settings';
import { RetryableError, runWizard, type SummaryLine } from '../wizard';
import { resolveGuests } from './guest-target';
import { expectOk, label, reportActivity, vmPath, type OperationDeps } from './operation';

const DISK_KEY = /^(ide|scsi|sata|virtio|efidisk|tpmstate)\d+$/;

function parseSize(s: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(s ?? '');
  if (!m) return 0;
  return Math.round(Number(m[1]) * ({ '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 } as Record<string, number>)[m[2]]);
}

/** The template's disks from its config (a cloud-init drive counts: its storage pins the clone too). */
export function sourceDisks(conf: Record<string, unknown>): CloneSourceDisk[] {
  const out: CloneSourceDisk[] = [];
  for (const [key, val] of Object.entries(conf)) {
    if (!DISK_KEY.test(key)) continue;
    const s = String(val);
    const volid = s.split(',')[0].replace(/^file=/, '');
    if (!volid.includes(':') || (/(^|,)media=cdrom(,|$)/.test(s) && !volid.includes('cloudinit'))) continue;
    out.push({ key, volid, storage: volid.split(':')[0], sizeBytes: parseSize(/(?:^|,)size=([^,]+)/.exec(s)?.[1]) });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key, undefined, { numeric: true }));
}

interface Loaded {
  client: ProxmoxClient;
  ctx: CloneContext;
  conf: Record<string, unknown>;
  taken: Map<number, string>;
}

async function load(deps: OperationDeps, cluster: ClusterConfig, source: ClusterResource & { vmid: number; node: string }): Promise<Loaded> {
  const client = await deps.connections.client(cluster);
  const [conf, nodes, storages, vms] = await Promise.all([
    client.get<Record<string, unknown>>(`${vmPath(source)}/config`),
    client.nodes(),
    client.resources('storage'),
    client.resources('vm'),
  ]);
  const ctx: CloneContext = {
    source: { vmid: source.vmid, node: source.node, name: source.name, template: !!conf.template, disks: sourceDisks(conf) },
    nodes: nodes.map((n) => ({ name: n.node, online: n.status === 'online' })),
    storages: storages.filter((s) => s.type === 'storage' && s.storage && s.node).map((s) => ({
      storage: s.storage!, node: s.node!, shared: s.shared === 1, content: (s.content ?? '').split(','), available: s.status === 'available',
    })),
  };
  const taken = new Map(vms.filter((v) => v.vmid !== undefined).map((v) => [v.vmid!, v.name ?? '']));
  return { client, ctx, conf, taken };
}

interface WizardState {
  plan: Partial<ClonePlan> & { sshKeys: string[] };
  suggestedId: number;
  idText?: string;
  paste?: boolean;
}

function freshState(suggestedId: number): WizardState {
  return { plan: { sshKeys: [] }, suggestedId };
}

async function wizard(deps: OperationDeps, l: Loaded, p: typeof import('../../providers/proxmox/clone'), ci: typeof import('../../providers/proxmox/cloud-init'), kept?: WizardState): Promise<WizardState> {
  const { ctx, conf, taken } = l;
  const prompts = deps.prompts;
  const t = (s: string) => `${vscode.l10n.t('Clone {0}', ctx.source.name ?? String(ctx.source.vmid))}: ${s}`;
  const firstDisk = ctx.source.disks.find((d) => !d.volid.includes('cloudinit'));
  const { listPublicKeys, validatePublicKeyLine } = await import('../../providers/ssh');
  const pubKeys = await listPublicKeys(join(homedir(), '.ssh')).catch(() => [] as Awaited<ReturnType<typeof listPublicKeys>>);
  // The key Homelab logs in with (homelab.ssh.privateKeyPath; the demo sets one) is offered first.
  const ownKey = settings.get('ssh.privateKeyPath');
  if (ownKey) {
    const pub = `${ownKey.replace(/^~(?=\/)/, homedir())}.pub`;
    const found = (await listPublicKeys(dirname(pub)).catch(() => [])).filter((k) => k.path === pub && !pubKeys.some((x) => x.line === k.line));
    pubKeys.unshift(...found);
  }
  // Answers kept from a failed attempt ("Try again") are where the wizard starts.
  const state: WizardState = kept ?? freshState(await l.client.nextId());
  const positiveInt = (what: string, min: number) => (v: string) => (/^\d+$/.test(v.trim()) && Number(v) >= min ? undefined : vscode.l10n.t('{0}: enter a whole number of at least {1}.', what, min));

  await runWizard(state, [
    async (s, at) => {
      const v = await prompts.inputStep({ title: t(vscode.l10n.t('Name')), prompt: vscode.l10n.t('Host name of the new VM (a DNS label: letters, digits, "-")'), value: s.plan.name ?? '', validateInput: (x) => ci.checkDnsLabel(x.trim()) }, at);
      s.plan.name = v.trim();
    },
    async (s, at) => {
      const v = await prompts.inputStep({
        title: t(vscode.l10n.t('VM ID')),
        prompt: vscode.l10n.t('{0} is the next free ID; if another VM takes it first, the next free one is used.', s.suggestedId),
        value: s.idText ?? String(s.suggestedId),
        validateInput: (x) => ci.checkVmid(x) ?? (taken.has(Number(x)) ? vscode.l10n.t('VM ID {0} is taken by "{1}".', Number(x), taken.get(Number(x))!) : undefined),
      }, at);
      s.idText = v.trim();
      // The suggested ID may be raced and replaced; an ID the user typed never is.
      s.plan.newid = Number(v) === s.suggestedId ? undefined : Number(v);
    },
    async (s, at) => {
      if (!ctx.source.template) {
        s.plan.full = true; // only a template can back a linked clone
        return 'skip';
      }
      const [m] = await prompts.pickStep([
        { label: vscode.l10n.t('Linked clone'), id: 'linked', detail: vscode.l10n.t('Fast, shares the template\'s base disk; stays on {0} and its storage', ctx.source.node) },
        { label: vscode.l10n.t('Full clone'), id: 'full', detail: vscode.l10n.t('An independent copy; can go to another node when the template is on shared storage') },
      ], { title: t(vscode.l10n.t('Clone mode')) }, at);
      s.plan.full = m.id === 'full';
    },
    async (s, at) => {
      const nodes = p.cloneTargets(ctx, !!s.plan.full);
      if (nodes.length === 1) {
        s.plan.target = nodes[0]; // no choice to make: the summary shows where it goes and why
        return 'skip';
      }
      const [n] = await prompts.pickStep(nodes.map((n) => ({ label: n, id: n, description: n === ctx.source.node ? vscode.l10n.t('source node') : '' })), { title: t(vscode.l10n.t('Target node')) }, at);
      s.plan.target = n.id;
    },
    async (s, at) => {
      if (!s.plan.full) {
        s.plan.storage = undefined;
        return 'skip';
      }
      const local = p.localStorages(ctx);
      const options = p.cloneStorages(ctx, s.plan.target!).filter((st) => s.plan.target === ctx.source.node || ctx.storages.some((x) => x.storage === st && x.shared) || local.length === 0);
      const [st] = await prompts.pickStep([
        { label: vscode.l10n.t('Same as the template'), id: '', description: [...new Set(ctx.source.disks.map((d) => d.storage))].join(', ') },
        ...options.map((o) => ({ label: o, id: o, description: ctx.storages.find((x) => x.storage === o)?.shared ? vscode.l10n.t('shared') : vscode.l10n.t('local to {0}', s.plan.target!) })),
      ], { title: t(vscode.l10n.t('Storage for the disks')) }, at);
      s.plan.storage = st.id || undefined;
    },
    async (s, at) => {
      const v = await prompts.inputStep({ title: t(vscode.l10n.t('CPU cores')), value: String(s.plan.cores ?? conf.cores ?? 1), validateInput: positiveInt(vscode.l10n.t('Cores'), 1) }, at);
      s.plan.cores = Number(v);
    },
    async (s, at) => {
      const v = await prompts.inputStep({ title: t(vscode.l10n.t('Memory (MiB)')), value: String(s.plan.memoryMiB ?? (parseInt(String(conf.memory ?? '2048'), 10) || 2048)), validateInput: positiveInt(vscode.l10n.t('Memory'), 16) }, at);
      s.plan.memoryMiB = Number(v);
    },
    async (s, at) => {
      const current = Math.ceil((firstDisk?.sizeBytes ?? 0) / 2 ** 30);
      const v = await prompts.inputStep({
        title: t(vscode.l10n.t('Disk size of {0} (GiB)', firstDisk?.key ?? 'scsi0')),
        prompt: vscode.l10n.t('The template\'s disk has {0} GiB; disks only grow.', current),
        value: String(s.plan.diskGiB ?? current),
        validateInput: (x) => positiveInt(vscode.l10n.t('Disk size'), Math.max(1, current))(x),
      }, at);
      s.plan.diskGiB = Number(v) > current ? Number(v) : undefined;
    },
    async (s, at) => {
      const def = settings.get('ssh.user') || String(conf.ciuser ?? '') || 'admin';
      const v = await prompts.inputStep({ title: t(vscode.l10n.t('Cloud-init user')), value: s.plan.ciuser ?? def, validateInput: (x) => (/^[a-z_][a-z0-9_-]{0,31}$/.test(x.trim()) ? undefined : vscode.l10n.t('A Linux user name: lowercase letters, digits, "_" and "-".')) }, at);
      s.plan.ciuser = v.trim();
    },
    async (s, at) => {
      const items = [
        ...pubKeys.map((k) => ({ label: k.path ? k.path.replace(homedir(), '~') : k.comment, id: k.line, description: `${k.type} ${k.fingerprint}`, detail: k.comment })),
        { label: vscode.l10n.t('Paste a public key…'), id: 'paste', description: '' },
      ];
      const kept = items.filter((i) => s.plan.sshKeys.includes(i.id) || (i.id === 'paste' && s.paste));
      const chosen = await prompts.pickStep(items, {
        title: t(vscode.l10n.t('SSH public keys for the user')),
        canPickMany: true,
        selected: kept.length ? kept : items.slice(0, pubKeys.length ? 1 : 0),
        // Shown on this step, which stays open: the "no key" explanation of encodeSshKeys.
        validate: (c) => {
          if (c.length) return undefined;
          try {
            ci.encodeSshKeys([]);
            return undefined;
          } catch (e) {
            return e instanceof Error ? e.message : String(e);
          }
        },
      }, at);
      s.paste = chosen.some((c) => c.id === 'paste');
      s.plan.sshKeys = chosen.filter((c) => c.id !== 'paste').map((c) => c.id);
    },
    async (s, at) => {
      if (!s.paste) return 'skip';
      const v = await prompts.inputStep({ title: t(vscode.l10n.t('Paste an SSH public key')), placeHolder: 'ssh-ed25519 AAAA… you@host', validateInput: (x) => { const r = validatePublicKeyLine(x); return r.ok ? undefined : r.message; } }, at);
      const r = validatePublicKeyLine(v);
      if (r.ok) s.plan.sshKeys = [...s.plan.sshKeys.filter((k) => k !== r.line), r.line];
    },
    async (s, at) => {
      const [m] = await prompts.pickStep([
        { label: vscode.l10n.t('DHCP'), id: 'dhcp' },
        { label: vscode.l10n.t('Static address'), id: 'static', detail: vscode.l10n.t('An IPv4 address with prefix, and a gateway') },
      ], { title: t(vscode.l10n.t('IP configuration')) }, at);
      s.plan.ip = m.id === 'dhcp' ? { kind: 'dhcp' } : { kind: 'static', cidr: s.plan.ip?.kind === 'static' ? s.plan.ip.cidr : '' };
    },
    async (s, at) => {
      if (s.plan.ip?.kind !== 'static') return 'skip';
      const v = await prompts.inputStep({ title: t(vscode.l10n.t('Address with prefix')), placeHolder: '192.168.1.50/24', value: s.plan.ip.cidr, validateInput: (x) => { const c = ci.parseCidr(x); return typeof c === 'string' ? c : undefined; } }, at);
      s.plan.ip = { kind: 'static', cidr: v.trim() };
    },
    async (s, at) => {
      if (s.plan.ip?.kind !== 'static') return 'skip';
      const cidr = ci.parseCidr(s.plan.ip.cidr) as { address: string; prefix: number };
      const v = await prompts.inputStep({ title: t(vscode.l10n.t('Gateway')), prompt: vscode.l10n.t('Inside {0}/{1}', cidr.address, cidr.prefix), value: s.plan.ip.gateway ?? '', validateInput: (x) => ci.checkGateway(cidr, x) }, at);
      s.plan.ip = { ...s.plan.ip, gateway: v.trim() };
    },
    async (s, at) => {
      const [m] = await prompts.pickStep([
        { label: vscode.l10n.t('Start after cloning'), id: 'start' },
        { label: vscode.l10n.t('Leave it stopped'), id: 'stopped' },
      ], { title: t(vscode.l10n.t('Start the new VM?')) }, at);
      s.plan.start = m.id === 'start';
    },
    async (s, at) => {
      const pl = s.plan;
      const ip = pl.ip?.kind === 'static' ? `${pl.ip.cidr} via ${pl.ip.gateway ?? '?'}` : vscode.l10n.t('DHCP');
      const lines: SummaryLine[] = [
        { label: vscode.l10n.t('Name'), value: pl.name ?? '', step: 0 },
        { label: vscode.l10n.t('VM ID'), value: pl.newid !== undefined ? String(pl.newid) : vscode.l10n.t('{0} (next free)', s.suggestedId), step: 1 },
        { label: vscode.l10n.t('Clone mode'), value: pl.full ? vscode.l10n.t('Full clone') : vscode.l10n.t('Linked clone'), step: ctx.source.template ? 2 : undefined },
        p.cloneTargets(ctx, !!pl.full).length > 1
          ? { label: vscode.l10n.t('Target node'), value: pl.target ?? '', step: 3 }
          : { label: vscode.l10n.t('Target node'), value: vscode.l10n.t('{0} (linked clones and local storage stay on the source node)', pl.target ?? '') },
        ...(pl.full ? [{ label: vscode.l10n.t('Storage'), value: pl.storage ?? vscode.l10n.t('same as the source'), step: 4 }] : []),
        { label: vscode.l10n.t('CPU cores'), value: String(pl.cores ?? ''), step: 5 },
        { label: vscode.l10n.t('Memory'), value: `${pl.memoryMiB ?? ''} MiB`, step: 6 },
        { label: vscode.l10n.t('Disk'), value: pl.diskGiB ? `${pl.diskGiB} GiB` : vscode.l10n.t('as the source'), step: 7 },
        { label: vscode.l10n.t('Cloud-init user'), value: pl.ciuser ?? '', step: 8 },
        { label: vscode.l10n.t('SSH keys'), value: pl.sshKeys.map((k) => k.split(' ').slice(2).join(' ') || k.split(' ')[0]).join(', '), step: 9 },
        { label: vscode.l10n.t('IP configuration'), value: ip, step: 11 },
        { label: vscode.l10n.t('Start after cloning'), value: pl.start ? vscode.l10n.t('yes') : vscode.l10n.t('no'), step: 14 },
      ];
      await prompts.summaryStep(t(vscode.l10n.t('Summary')), lines, vscode.l10n.t('Clone {0} as {1}', ctx.source.name ?? String(ctx.source.vmid), pl.name ?? ''), at);
    },
  ]);
  return state;
}

async function cloneTemplate(deps: OperationDeps, args: unknown[]): Promise<{ vmid: number; node: string } | undefined> {
  const given = args[1] && !Array.isArray(args[1]) && typeof args[1] === 'object' ? (args[1] as ClonePlan) : undefined;
  // A template (linked or full clone) or any VM (full clone, as PVE allows).
  const [src] = await resolveGuests(deps, args.slice(0, 1), { many: false, filter: (r) => r.type === 'qemu' || r.type === 'lxc', title: vscode.l10n.t('Clone which template, VM or container?') });
  if (src.guest.type === 'lxc') {
    const { cloneContainer } = await import('./clone-container');
    return cloneContainer(deps, src, given as unknown as import('./clone-container').ContainerClonePlan | undefined);
  }
  return cloneFrom(deps, src, given);
}

async function cloneFrom(deps: OperationDeps, src: { cluster: ClusterConfig; guest: ClusterResource & { vmid: number; node: string } }, given?: ClonePlan, kept?: WizardState): Promise<{ vmid: number; node: string } | undefined> {
  const p = await import('../../providers/proxmox/clone');
  const ci = await import('../../providers/proxmox/cloud-init');
  const l = await load(deps, src.cluster, src.guest);
  const answers = given ? undefined : await wizard(deps, l, p, ci, kept);
  const plan = given ?? (answers!.plan as ClonePlan);
  const problems = p.validateClonePlan(plan, l.ctx);
  if (plan.newid !== undefined && l.taken.has(plan.newid)) problems.push(vscode.l10n.t('VM ID {0} is taken by "{1}".', plan.newid, l.taken.get(plan.newid)!));
  const retry = (message: string) => (answers ? new RetryableError(message, () => cloneFrom(deps, src, undefined, answers)) : new Error(message));
  if (problems.length) throw retry(vscode.l10n.t('Cannot clone {0}: {1}', label(src.guest), problems.join(' ')));
  try {
    return await executeClone(deps, src.cluster, l, src.guest, plan, p);
  } catch (e) {
    // Nothing was created: "Try again" reopens the wizard with every answer as it was.
    if (isCancellation(e) || (e as { created?: boolean }).created) throw e;
    throw retry(e instanceof Error ? e.message : String(e));
  }
}

async function executeClone(
  deps: OperationDeps, cluster: ClusterConfig, l: Loaded, source: ClusterResource & { vmid: number; node: string }, plan: ClonePlan,
  p: typeof import('../../providers/proxmox/clone'),
): Promise<{ vmid: number; node: string }> {
  const started = Date.now();
  const client = l.client;
  let result = 'error';
  let newid: number | undefined;
  const stage = { name: vscode.l10n.t('cloning') };
  try {
    const params: Record<string, string | number | undefined> = { name: plan.name, full: plan.full ? 1 : 0 };
    if (plan.target !== source.node) params.target = plan.target;
    if (plan.full && plan.storage) params.storage = plan.storage;
    const request = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Cloning {0} to {1}…', label(source), plan.name) },
      (progress) => p.startClone(client, {
        node: source.node, vmid: source.vmid, params, newid: plan.newid,
        onRetry: (r) => {
          const why = r.reason === 'lock-timeout' ? vscode.l10n.t('the template is locked by another clone') : vscode.l10n.t('the VM ID was taken meanwhile');
          deps.log.info(`clone ${source.vmid} -> ${plan.name}: retry ${r.attempt} (${r.reason}), VM ID ${r.newid}`);
          progress.report({ message: vscode.l10n.t('retrying: {0}', why) });
        },
      }),
    );
    newid = request.newid;
    const target = { node: plan.target, vmid: newid };
    const cloned = await deps.operations.follow(cluster, client, request.upid, { vmName: plan.name, title: vscode.l10n.t('Cloning {0} → {1} ({2})', label(source), plan.name, newid) });
    expectOk(cloned, vscode.l10n.t('Cloning {0}', label(source)));
    stage.name = vscode.l10n.t('configuring');
    await client.put(`${vmPath(target)}/config`, p.cloneConfigParams(plan));
    const disk = l.ctx.source.disks.find((d) => !d.volid.includes('cloudinit'));
    if (plan.diskGiB && disk) {
      stage.name = vscode.l10n.t('growing its disk');
      const upid = await client.put<string>(`${vmPath(target)}/resize`, { disk: disk.key, size: `${plan.diskGiB}G` });
      if (typeof upid === 'string' && upid.startsWith('UPID:')) expectOk(await deps.operations.follow(cluster, client, upid, { vmName: plan.name }), vscode.l10n.t('Growing the disk of {0}', plan.name));
    }
    if (plan.start) {
      stage.name = vscode.l10n.t('starting');
      const upid = await client.post<string>(`${vmPath(target)}/status/start`);
      expectOk(await deps.operations.follow(cluster, client, upid, { vmName: plan.name }), vscode.l10n.t('Starting {0}', plan.name));
    }
    result = 'OK';
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} ({1}) is ready on {2}.', plan.name, newid, plan.target));
    return target;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    result = msg;
    // Say exactly what exists now: nothing, or a VM that is not fully set up.
    if (newid !== undefined && stage.name !== vscode.l10n.t('cloning')) {
      throw Object.assign(new Error(vscode.l10n.t('VM {0} ({1}) was created on {2}, but {3} failed: {4} It is left as it is: fix it or delete it.', plan.name, newid, plan.target, stage.name, msg)), { created: true });
    }
    throw e;
  } finally {
    await reportActivity(deps, { what: 'clone', cluster: cluster.name, target: `${label(source)} → ${plan.name}${newid ? ` (${newid})` : ''}`, durationMs: Date.now() - started, result });
  }
}

export function registerCloneCommands(registry: CommandRegistry, deps: OperationDeps): void {
  registry.register('homelab.proxmox.cloneTemplate', (...args: unknown[]) => cloneTemplate(deps, args));
}
