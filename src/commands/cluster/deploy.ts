// Deploy a cluster from a template: a wizard (name, template, counts, sizes, placement, network,
// SSH key, cloud-init user), the plan shown for confirmation, then every VM cloned, configured,
// started and reached over SSH with limited parallelism in one terminal; on failure the user
// retries the failed VMs or rolls back exactly the VMs this deployment created.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DeployOutcome, NewHostKey, VmProgress } from '../../providers/cluster/deploy';
import type { Plan, PlanInput, PlannedVm, Role, RoleSize } from '../../providers/cluster/plan';
import type { ProxmoxClient } from '../../providers/proxmox';
import type { ClusterResource } from '../../providers/proxmox/types';
import type { ClusterConfig } from '../../services/proxmox/clusters';
import { DeployTerminal } from '../../views/terminals/deploy-terminal';
import { CancelledError } from '../../providers/cancellation';
import type { CommandRegistry } from '../registry';
import { RetryableError, runWizard, type SummaryLine, type WizardTrail } from '../wizard';
import { isCancellation } from '../../providers/cancellation';
import { reportActivity, type OperationDeps } from '../proxmox/operation';
import { sourceDisks } from '../proxmox/clone';
import { keyOf, WorkspaceFileStore } from '../../services/files';
import { settings } from '../../services/settings';
import type { DeployAccess, Progress } from '../../operations/types';

export interface DeployTuning {
  /** Where to reach a VM's sshd (tests map VMs to a loopback sshd). */
  sshAddress?: (vm: PlannedVm, ip: string) => { host: string; port: number };
  pollMs?: number;
  agentTimeoutMs?: number;
  sshTimeoutMs?: number;
  sshIntervalMs?: number;
  cloneRetryDelayMs?: number;
  /** Folder of ~/.ssh-like public keys offered in the wizard (default ~/.ssh). */
  sshDir?: string;
}

export interface ClusterDeployDeps extends OperationDeps {
  knownHostsPath: string;
  tuning: DeployTuning;
}

export interface DeployResult {
  status: 'deployed' | 'rolled-back' | 'kept' | 'cancelled';
  plan: Plan;
  progress: VmProgress[];
  files?: string[];
}

type KeyChoice = { kind: 'existing'; line: string; label: string } | { kind: 'generate'; path: string } | { kind: 'paste'; line: string };

interface WizardState {
  name?: string;
  template?: ClusterResource & { vmid: number; node: string };
  controlPlanes?: number;
  workers?: number;
  sizes: Record<Role, RoleSize>;
  pins?: Record<string, string>;
  network?: PlanInput['network'];
  key?: KeyChoice;
  ciuser?: string;
  /** Made by the summary step from the answers, so what is confirmed is what is deployed. */
  plan?: Plan;
}

/** Answers kept for "Try again" after a failure that created nothing. */
interface Kept {
  state: WizardState;
  trail: WizardTrail;
}

const expandHome = (p: string) => (p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p);
const sizeText = (s: RoleSize) => `${s.cores}, ${s.memoryMiB}, ${s.diskGiB}`;

function parseSize(text: string): RoleSize | string {
  const parts = text.split(/[\s,/]+/).filter(Boolean);
  if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p))) return vscode.l10n.t('Write three whole numbers: cores, memory in MiB, disk in GiB — for example 2, 4096, 20.');
  const [cores, memoryMiB, diskGiB] = parts.map(Number);
  if (cores < 1 || cores > 128) return vscode.l10n.t('Cores must be 1 to 128.');
  if (memoryMiB < 512) return vscode.l10n.t('Give at least 512 MiB of memory.');
  if (diskGiB < 4) return vscode.l10n.t('Give at least 4 GiB of disk.');
  return { cores, memoryMiB, diskGiB };
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(vscode.Uri.file(p));
    return true;
  } catch {
    return false;
  }
}

/**
 * Addresses in use: other clusters of this workspace (homelab/clusters/*.yaml) and the static
 * `ipconfig0` of every VM in Proxmox (read only for static plans; unreadable configs are skipped).
 */
async function addressesInUse(client: ProxmoxClient, vms: ClusterResource[], network: PlanInput['network']): Promise<Set<string>> {
  const out = new Set<string>();
  if (network.kind === 'static') {
    const guests = vms.filter((v) => v.type === 'qemu' && v.template !== 1 && v.vmid !== undefined && v.node);
    for (let i = 0; i < guests.length; i += 8) {
      await Promise.all(guests.slice(i, i + 8).map(async (g) => {
        const conf = await client.get<Record<string, unknown>>(`/nodes/${encodeURIComponent(g.node!)}/qemu/${g.vmid}/config`).catch(() => undefined);
        for (const [k, v] of Object.entries(conf ?? {})) {
          const m = /^ipconfig\d+$/.test(k) ? /(?:^|,)ip=(\d+\.\d+\.\d+\.\d+)\//.exec(String(v)) : null;
          if (m) out.add(m[1]);
        }
      }));
    }
  }
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return out;
  const files = await vscode.workspace.findFiles('homelab/clusters/*.yaml', undefined, 200).then((f) => f, () => []);
  for (const f of files) {
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(f));
    for (const m of text.matchAll(/^\s+ip: (\d+\.\d+\.\d+\.\d+)\s*$/gm)) out.add(m[1]);
  }
  return out;
}

interface Loaded {
  client: ProxmoxClient;
  vms: ClusterResource[];
  nodes: PlanInput['nodes'];
  sharedStorages: Set<string>;
}

async function load(deps: ClusterDeployDeps, cluster: ClusterConfig): Promise<Loaded> {
  const client = await deps.connections.client(cluster);
  const [vms, nodes, storages] = await Promise.all([client.resources('vm'), client.nodes(), client.resources('storage')]);
  return {
    client,
    vms,
    nodes: nodes.map((n) => ({ name: n.node, online: n.status === 'online', freeMemoryMiB: Math.floor(((n.maxmem ?? 0) - (n.mem ?? 0)) / 2 ** 20) })),
    sharedStorages: new Set(storages.filter((s) => s.shared === 1 && s.storage).map((s) => s.storage!)),
  };
}

async function wizard(deps: ClusterDeployDeps, l: Loaded, cluster: ClusterConfig, kept: Kept, preset?: WizardState['template']): Promise<WizardState> {
  const { prompts } = deps;
  const { checkDnsLabel, parseCidr, checkGateway, isIpv4 } = await import('../../providers/proxmox/cloud-init');
  const { listPublicKeys, validatePublicKeyLine } = await import('../../providers/ssh');
  const t = (s: string) => `${vscode.l10n.t('Deploy Cluster')}: ${s}`;
  const templates = l.vms.filter((v) => v.type === 'qemu' && v.template === 1 && v.vmid !== undefined && v.node) as WizardState['template'][];
  if (!templates.length) throw new Error(vscode.l10n.t('This Proxmox cluster has no template: build or convert one first ("Convert to Template").'));
  const existingTags = new Set(l.vms.flatMap((v) => (v.tags ?? '').split(/[;, ]+/)));
  const sshDir = deps.tuning.sshDir ?? join(homedir(), '.ssh');
  const keys = await listPublicKeys(sshDir).catch(() => []);
  const state = kept.state;
  if (preset) state.template = preset;
  const vmNames = (s: WizardState) => [
    ...Array.from({ length: s.controlPlanes ?? 1 }, (_, i) => `${s.name}-cp-${i + 1}`),
    ...Array.from({ length: s.workers ?? 0 }, (_, i) => `${s.name}-worker-${i + 1}`),
  ];

  await runWizard(state, [
    async (s, at) => {
      const v = await prompts.inputStep({
        title: t(vscode.l10n.t('Cluster name')),
        prompt: vscode.l10n.t('A DNS label: VMs are named <name>-cp-1, <name>-worker-1… and tagged homelab-cluster-<name>'),
        value: s.name ?? '',
        validateInput: (x) => {
          const n = x.trim();
          const p = checkDnsLabel(n);
          if (p) return p;
          if (n !== n.toLowerCase()) return vscode.l10n.t('Use lowercase letters: the name becomes host names and a Proxmox tag.');
          if (n.length > 50) return vscode.l10n.t('At most 50 characters, so "-worker-NN" still fits a host name.');
          if (existingTags.has(`homelab-cluster-${n}`)) return vscode.l10n.t('A cluster named "{0}" exists already in this Proxmox cluster.', n);
          return undefined;
        },
      }, at);
      s.name = v.trim();
    },
    async (s, at) => {
      if (preset) return 'skip';
      const [p] = await prompts.pickStep(templates.map((g) => ({ label: g!.name ?? `VM ${g!.vmid}`, id: String(g!.vmid), description: `${g!.vmid} · ${g!.node}`, g })), { title: t(vscode.l10n.t('Template')) }, at);
      s.template = p.g;
    },
    async (s, at) => {
      const [p] = await prompts.pickStep([
        { label: '1', id: '1', description: vscode.l10n.t('one control-plane node') },
        { label: '3', id: '3', description: vscode.l10n.t('highly available (etcd needs an odd number)') },
      ], { title: t(vscode.l10n.t('Control-plane nodes')) }, at);
      s.controlPlanes = Number(p.id);
    },
    async (s, at) => {
      const v = await prompts.inputStep({
        title: t(vscode.l10n.t('Worker nodes')), value: String(s.workers ?? 2),
        validateInput: (x) => (/^\d+$/.test(x.trim()) && Number(x) <= 50 ? undefined : vscode.l10n.t('A whole number from 0 to 50.')),
      }, at);
      s.workers = Number(v);
    },
    async (s, at) => {
      const v = await prompts.inputStep({
        title: t(vscode.l10n.t('Control-plane size: cores, memory MiB, disk GiB')), value: sizeText(s.sizes['control-plane']),
        validateInput: (x) => { const r = parseSize(x); return typeof r === 'string' ? r : undefined; },
      }, at);
      s.sizes['control-plane'] = parseSize(v) as RoleSize;
    },
    async (s, at) => {
      if (!s.workers) return 'skip';
      const v = await prompts.inputStep({
        title: t(vscode.l10n.t('Worker size: cores, memory MiB, disk GiB')), value: sizeText(s.sizes.worker),
        validateInput: (x) => { const r = parseSize(x); return typeof r === 'string' ? r : undefined; },
      }, at);
      s.sizes.worker = parseSize(v) as RoleSize;
    },
    async (s, at) => {
      const online = l.nodes.filter((n) => n.online).map((n) => `${n.name} (${Math.round(n.freeMemoryMiB / 1024)} GiB free)`).join(', ');
      const [p] = await prompts.pickStep([
        { label: vscode.l10n.t('Spread across online nodes'), id: 'spread', detail: vscode.l10n.t('By free memory: {0}', online || vscode.l10n.t('no node is online')) },
        { label: vscode.l10n.t('Pin some VMs to nodes…'), id: 'pin' },
      ], { title: t(vscode.l10n.t('Placement')) }, at);
      if (p.id === 'spread') {
        s.pins = undefined;
        return;
      }
      const names = vmNames(s);
      const nodes = new Set(l.nodes.map((n) => n.name));
      const v = await prompts.inputStep({
        title: t(vscode.l10n.t('Pins: VM=node, separated by commas')), placeHolder: `${names[0]}=${l.nodes[0]?.name ?? 'pve1'}`,
        value: Object.entries(s.pins ?? {}).map(([a, b]) => `${a}=${b}`).join(', '),
        validateInput: (x) => {
          for (const pair of x.split(',').map((q) => q.trim()).filter(Boolean)) {
            const [vm, node] = pair.split('=').map((q) => q?.trim());
            if (!vm || !node) return vscode.l10n.t('Write VM=node, for example {0}=pve1.', names[0]);
            if (!names.includes(vm)) return vscode.l10n.t('"{0}" is not a VM of this plan: {1}', vm, names.join(', '));
            if (!nodes.has(node)) return vscode.l10n.t('There is no node "{0}".', node);
          }
          return undefined;
        },
      }, at);
      s.pins = Object.fromEntries(v.split(',').map((q) => q.trim()).filter(Boolean).map((q) => q.split('=').map((x) => x.trim()) as [string, string]));
    },
    async (s, at) => {
      const [p] = await prompts.pickStep([
        { label: vscode.l10n.t('DHCP'), id: 'dhcp' },
        { label: vscode.l10n.t('Static range'), id: 'static', detail: vscode.l10n.t('Consecutive addresses from a first one, with gateway and DNS') },
      ], { title: t(vscode.l10n.t('Network')) }, at);
      if (p.id === 'dhcp') {
        s.network = { kind: 'dhcp' };
        return;
      }
      const prev = s.network?.kind === 'static' ? s.network : undefined;
      const first = await prompts.inputStep({
        title: t(vscode.l10n.t('First address with prefix')), placeHolder: '192.168.1.50/24', value: prev?.firstAddress ?? '',
        validateInput: (x) => { const c = parseCidr(x); return typeof c === 'string' ? c : undefined; },
      }, at);
      const cidr = parseCidr(first) as Exclude<ReturnType<typeof parseCidr>, string>;
      const gateway = await prompts.inputStep({
        title: t(vscode.l10n.t('Gateway')), value: prev?.gateway ?? '', validateInput: (x) => checkGateway(cidr, x),
      }, at);
      const dns = await prompts.inputStep({
        title: t(vscode.l10n.t('DNS servers (optional)')), prompt: vscode.l10n.t('Separated by spaces or commas'), value: prev?.dns ?? gateway.trim(),
        validateInput: (x) => x.split(/[ ,]+/).filter(Boolean).find((d) => !isIpv4(d)) ? vscode.l10n.t('Enter IPv4 addresses only.') : undefined,
      }, at);
      s.network = { kind: 'static', firstAddress: first.trim(), gateway: gateway.trim(), dns: dns.trim() || undefined };
    },
    async (s, at) => {
      const [p] = await prompts.pickStep([
        ...keys.map((k) => ({ label: k.path ? k.path.replace(homedir(), '~') : k.comment, id: k.line, description: `${k.type} ${k.fingerprint}`, choice: 'existing' as const })),
        { label: vscode.l10n.t('Generate a new ed25519 key pair…'), id: 'generate', description: '', choice: 'generate' as const },
        { label: vscode.l10n.t('Paste a public key…'), id: 'paste', description: '', choice: 'paste' as const },
      ], { title: t(vscode.l10n.t('SSH key for the cloud-init user')) }, at);
      if (p.choice === 'existing') {
        s.key = { kind: 'existing', line: p.id, label: p.label };
      } else if (p.choice === 'generate') {
        const suggested = join(sshDir, `homelab_${s.name}_ed25519`);
        const v = await prompts.inputStep({
          title: t(vscode.l10n.t('Path of the new private key')),
          prompt: vscode.l10n.t('Written with permissions 0600; the public key goes next to it (.pub)'),
          value: s.key?.kind === 'generate' ? s.key.path : suggested,
          validateInput: (x) => {
            const path = expandHome(x.trim());
            if (!path.startsWith('/')) return vscode.l10n.t('Give an absolute path (or one starting with ~/).');
            if (path.endsWith('.pub')) return vscode.l10n.t('Give the path of the private key; ".pub" is added for the public one.');
            for (const q of [path, `${path}.pub`]) if (existsSync(q)) return vscode.l10n.t('{0} exists already: not overwriting a key. Choose another path.', q);
            return undefined;
          },
        }, at);
        const path = expandHome(v.trim());
        // Checked again as the answer is taken (the file may have appeared since).
        for (const q of [path, `${path}.pub`]) if (await pathExists(q)) throw new Error(vscode.l10n.t('{0} exists already: not overwriting a key. Choose another path.', q));
        s.key = { kind: 'generate', path };
      } else {
        const v = await prompts.inputStep({
          title: t(vscode.l10n.t('Paste an SSH public key')), placeHolder: 'ssh-ed25519 AAAA… you@host',
          validateInput: (x) => { const r = validatePublicKeyLine(x); return r.ok ? undefined : r.message; },
        }, at);
        const r = validatePublicKeyLine(v);
        if (!r.ok) throw new Error(r.message);
        s.key = { kind: 'paste', line: r.line };
      }
    },
    async (s, at) => {
      const def = s.ciuser ?? (settings.get('ssh.user') || 'nixos');
      const v = await prompts.inputStep({
        title: t(vscode.l10n.t('Cloud-init user')), value: def,
        validateInput: (x) => (/^[a-z_][a-z0-9_-]{0,31}$/.test(x.trim()) ? undefined : vscode.l10n.t('A Linux user name: lowercase letters, digits, "_" and "-".')),
      }, at);
      s.ciuser = v.trim();
    },
    async (s, at) => {
      // The plan is the summary: every VM with ID, node and address, and each answer to go back to.
      s.plan = await makePlan(l, s);
      const size = (r: RoleSize) => vscode.l10n.t('{0} vCPU · {1} MiB · {2} GiB', r.cores, r.memoryMiB, r.diskGiB);
      const net = s.network!;
      const key = s.key!;
      const lines: SummaryLine[] = [
        { label: vscode.l10n.t('Cluster name'), value: s.name!, step: 0 },
        { label: vscode.l10n.t('Template'), value: `${s.template!.name ?? ''} (${s.template!.vmid})`, step: preset ? undefined : 1 },
        { label: vscode.l10n.t('Control-plane nodes'), value: String(s.controlPlanes), step: 2 },
        { label: vscode.l10n.t('Worker nodes'), value: String(s.workers), step: 3 },
        { label: vscode.l10n.t('Control-plane size'), value: size(s.sizes['control-plane']), step: 4 },
        ...(s.workers ? [{ label: vscode.l10n.t('Worker size'), value: size(s.sizes.worker), step: 5 }] : []),
        { label: vscode.l10n.t('Placement'), value: s.pins ? Object.entries(s.pins).map(([a, b]) => `${a}=${b}`).join(', ') : vscode.l10n.t('Spread across online nodes'), step: 6 },
        { label: vscode.l10n.t('Network'), value: net.kind === 'dhcp' ? vscode.l10n.t('DHCP') : `${net.firstAddress} via ${net.gateway}${net.dns ? ` · DNS ${net.dns}` : ''}`, step: 7 },
        { label: vscode.l10n.t('SSH key'), value: key.kind === 'existing' ? key.label : key.kind === 'generate' ? vscode.l10n.t('new key pair {0}', key.path) : vscode.l10n.t('pasted key'), step: 8 },
        { label: vscode.l10n.t('Cloud-init user'), value: s.ciuser!, step: 9 },
        ...planSummary(s.plan).split('\n').filter(Boolean).map((line) => ({ label: line, value: '' })),
      ];
      await prompts.summaryStep(
        vscode.l10n.t('Deploy cluster "{0}": {1} VMs on {2}?', s.plan.name, s.plan.vms.length, cluster.name),
        lines, vscode.l10n.t('Deploy'), at,
      );
    },
  ], kept.trail);
  return state;
}

/** The plan from the answers and the cluster as it is now (free IDs, addresses in use). */
async function makePlan(l: Loaded, s: WizardState): Promise<Plan> {
  const { planCluster, PlanError } = await import('../../providers/cluster/plan');
  const tpl = s.template!;
  const conf = await l.client.get<Record<string, unknown>>(`/nodes/${encodeURIComponent(tpl.node)}/qemu/${tpl.vmid}/config`);
  const disks = sourceDisks(conf);
  try {
    return planCluster({
      name: s.name!,
      template: { vmid: tpl.vmid, name: tpl.name ?? String(tpl.vmid), node: tpl.node, isTemplate: !!conf.template, sharedStorage: disks.length > 0 && disks.every((d) => l.sharedStorages.has(d.storage)) },
      controlPlanes: s.controlPlanes!,
      workers: s.workers!,
      sizes: s.sizes,
      nodes: l.nodes,
      pins: s.pins,
      network: s.network!,
      firstVmid: await l.client.nextId(),
      takenVmids: new Set(l.vms.map((v) => v.vmid!).filter((v) => v !== undefined)),
      takenAddresses: await addressesInUse(l.client, l.vms, s.network!),
    });
  } catch (e) {
    if (e instanceof PlanError) throw new Error(vscode.l10n.t('Cannot deploy {0}: {1}', s.name!, e.problems.join(' ')));
    throw e;
  }
}

/** The confirmation text: every VM with ID, name, node, role and address. */
export function planSummary(plan: Plan): string {
  const size = (role: Role) => {
    const v = plan.vms.find((x) => x.role === role);
    return v ? vscode.l10n.t('{0} vCPU · {1} MiB · {2} GiB', v.cores, v.memoryMiB, v.diskGiB) : '';
  };
  const workers = plan.vms.some((v) => v.role === 'worker');
  return [
    vscode.l10n.t('From template {0} ({1}), tagged {2}.', plan.template.name, plan.template.vmid, plan.tag),
    vscode.l10n.t('Control plane: {0}', size('control-plane')) + (workers ? ` — ${vscode.l10n.t('workers: {0}', size('worker'))}` : ''),
    '',
    ...plan.vms.map((v) => `${v.vmid}  ${v.name}  ${v.role}  ${v.node}  ${v.address ?? 'DHCP'}`),
  ].join('\n');
}

async function deployCluster(deps: ClusterDeployDeps, args: unknown[], kept?: Kept): Promise<DeployResult> {
  const { resolveCluster } = await import('../proxmox/clusters');
  // Called from a template's context menu (or with `{clusterId, templateVmid}`): that template is preset.
  const arg = args[0] as { kind?: string; clusterId?: string; resource?: ClusterResource; templateVmid?: number } | undefined;
  const presetVmid = arg?.kind === 'guest' ? arg.resource?.vmid : arg?.templateVmid;
  const cluster = await resolveCluster(deps, arg?.kind === 'cluster' ? arg : arg?.clusterId);
  const l = await load(deps, cluster);
  let preset: WizardState['template'];
  if (presetVmid !== undefined) {
    preset = l.vms.find((v) => v.vmid === presetVmid && v.type === 'qemu') as WizardState['template'];
    if (!preset) throw new Error(vscode.l10n.t('There is no VM {0} in {1}.', presetVmid, cluster.name));
    if (preset.template !== 1) throw new Error(vscode.l10n.t('VM {0} ({1}) is not a template: convert it to a template first, or pick a template to deploy from.', presetVmid, preset.name ?? ''));
  }
  const answers: Kept = kept ?? {
    state: { sizes: { 'control-plane': { cores: 2, memoryMiB: 4096, diskGiB: 20 }, worker: { cores: 2, memoryMiB: 4096, diskGiB: 20 } } },
    trail: { answered: [], skipped: [] },
  };
  // A failure from here until the VMs are cloned created nothing: "Try again" reopens the summary
  // with every answer kept (the plan is made anew there, against the cluster as it is then).
  const retryable = (e: unknown, reachedSummary: boolean) =>
    isCancellation(e) || !reachedSummary ? e : new RetryableError(e instanceof Error ? e.message : String(e), () => deployCluster(deps, args, answers));
  let s: WizardState;
  try {
    s = await wizard(deps, l, cluster, answers, preset);
  } catch (e) {
    // Only the summary's own check (the plan) fails once every answer is in.
    throw retryable(e, answers.trail.answered.length > 0 && answers.state.ciuser !== undefined);
  }
  const plan = s.plan!;
  // Only now is anything written: the key pair (if asked for), then the VMs.
  let sshKey: string;
  try {
    if (s.key!.kind === 'generate') {
      const { generateEd25519KeyPair } = await import('../../providers/ssh');
      const pair = await generateEd25519KeyPair({ privatePath: s.key!.path, comment: `homelab-${plan.name}` });
      deps.log.info(`cluster ${plan.name}: new key pair ${pair.privatePath} (${pair.fingerprint})`);
      sshKey = pair.publicKeyLine;
    } else sshKey = s.key!.line;
  } catch (e) {
    throw retryable(e, true);
  }
  return execute(deps, cluster, l.client, plan, [sshKey], s.ciuser!);
}

/**
 * The one host-key question of a deployment run: every new VM's key with its fingerprint, to be
 * compared with what the guest prints on its console. Yes pins them all; no (or dismissed) fails
 * those VMs' SSH step, which Retry asks again.
 */
async function confirmHostKeys(deps: ClusterDeployDeps, plan: Plan, keys: NewHostKey[], log: (line: string) => void): Promise<boolean> {
  const trust = vscode.l10n.t('Trust and Pin');
  const lines = keys.map((k) => `${k.vm.name} (${k.vm.vmid})  ${k.port === 22 ? k.host : `[${k.host}]:${k.port}`}  ${k.keyType}  ${k.fingerprint}`);
  const detail = [
    ...lines,
    '',
    vscode.l10n.t('Compare them with the fingerprints each VM prints on its console at first boot (or run "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub" there). Trusted keys are pinned in Homelab\'s known_hosts; a different key at these addresses is refused later.'),
  ].join('\n');
  let ok = false;
  try {
    ok = (await deps.prompts.confirm(vscode.l10n.t('Trust the SSH host keys of {0} new VMs of "{1}"?', keys.length, plan.name), detail, trust)) === trust;
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
  }
  log(ok ? vscode.l10n.t('Host keys trusted and pinned: {0}', keys.map((k) => k.vm.name).join(', ')) : vscode.l10n.t('Host keys not trusted: {0}', keys.map((k) => k.vm.name).join(', ')));
  return ok;
}

/** A deploy started by the catalog's cluster_deploy_apply: cancelled by the tool's signal, progress reported to it. */
interface ToolRun {
  signal: AbortSignal;
  progress: Progress;
}

async function execute(deps: ClusterDeployDeps, cluster: ClusterConfig, client: ProxmoxClient, plan: Plan, sshKeys: string[], ciuser: string, tool?: ToolRun): Promise<DeployResult> {
  const { ClusterDeployment } = await import('../../providers/cluster/deploy');
  const { ProxmoxDeploySteps } = await import('../../providers/cluster/proxmox-steps');
  const { KnownHosts } = await import('../../providers/ssh');
  const started = Date.now();
  const pty = new DeployTerminal(vscode.l10n.t('Deploy {0} · {1}', plan.name, cluster.name), vscode.l10n.t('Cluster {0}: {1} VMs from {2} on {3}', plan.name, plan.vms.length, plan.template.name, cluster.name));
  const { terminal } = deps.operations.terminals.create('task', pty, new vscode.ThemeIcon('rocket'));
  terminal.show(true);
  const tuning = deps.tuning;
  const steps = new ProxmoxDeploySteps(client, {
    plan, sshKeys, ciuser,
    knownHosts: new KnownHosts(deps.knownHostsPath),
    log: (vm, line) => pty.line(`${vm.name}: ${line}`),
    sshAddress: tuning.sshAddress,
    pollMs: tuning.pollMs ?? deps.operations.pollMs,
    agentTimeoutMs: tuning.agentTimeoutMs,
    sshTimeoutMs: tuning.sshTimeoutMs,
    sshIntervalMs: tuning.sshIntervalMs,
    cloneRetryDelayMs: tuning.cloneRetryDelayMs,
  });
  const parallelism = Math.max(1, settings.get('cluster.parallelism'));
  const deployment = new ClusterDeployment(plan, steps, {
    parallelism,
    confirmHostKeys: (keys) => confirmHostKeys(deps, plan, keys, (line) => pty.line(line)),
    onProgress: (p) => {
      if (p.state === 'failed' && p.error) pty.line(`${p.vm.name}: ${vscode.l10n.t('FAILED at {0}: {1}', p.step, p.error)}`);
      pty.setProgress(deployment.progress);
    },
  });
  pty.setProgress(deployment.progress);
  pty.line(vscode.l10n.t('{0} VMs, {1} at a time. Press Ctrl+C to cancel.', plan.vms.length, parallelism));

  const runWithProgress = (title: string, work: (signal: AbortSignal) => Promise<DeployOutcome>) =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const ac = new AbortController();
      const subs = [token.onCancellationRequested(() => ac.abort()), pty.onInterrupt(() => ac.abort())];
      const stopTool = () => ac.abort();
      if (tool?.signal.aborted) ac.abort();
      tool?.signal.addEventListener('abort', stopTool);
      let last = '';
      const report = setInterval(() => {
        const done = deployment.progress.filter((p) => p.state === 'done').length;
        const message = vscode.l10n.t('{0} of {1} VMs ready', done, plan.vms.length);
        progress.report({ message });
        if (message !== last) tool?.progress.report((last = message));
      }, 500);
      try {
        return await work(ac.signal);
      } finally {
        clearInterval(report);
        subs.forEach((d) => d.dispose());
        tool?.signal.removeEventListener('abort', stopTool);
      }
    });

  const finish = async (status: DeployResult['status'], result: string, files?: string[]): Promise<DeployResult> => {
    pty.finish(result);
    await deps.operations.endOperation(cluster.id);
    await reportActivity(deps, { what: vscode.l10n.t('Deploy cluster {0}', plan.name), cluster: cluster.name, target: plan.tag, durationMs: Date.now() - started, result });
    return { status, plan, progress: deployment.progress, files };
  };

  let outcome = await runWithProgress(vscode.l10n.t('Deploying {0}…', plan.name), (signal) => deployment.run(signal));
  for (;;) {
    pty.flush();
    if (outcome.ok) {
      const files = await writeClusterFiles(deps, cluster, plan, deployment.progress, ciuser);
      // The next link of the chain: K3s on these VMs (it reads the cluster file just written).
      const k3s = vscode.l10n.t('Bootstrap Kubernetes (K3s)');
      void vscode.window.showInformationMessage(vscode.l10n.t('Cluster {0} is deployed: {1} VMs answer SSH. Inventory: {2}', plan.name, plan.vms.length, files[1]), ...(files.length ? [k3s] : []))
        .then((choice) => (choice === k3s ? vscode.commands.executeCommand('homelab.k3s.bootstrap', { clusterId: cluster.id, name: plan.name }) : undefined))
        .then(undefined, (e) => deps.log.warn(`cluster ${plan.name}: K3s bootstrap: ${e instanceof Error ? e.message : e}`));
      return finish('deployed', vscode.l10n.t('deployed: {0} VMs', plan.vms.length), files);
    }
    const failed = outcome.failed.map((p) => vscode.l10n.t('{0} ({1}) failed at {2}: {3}', p.vm.name, p.vm.vmid, p.step, p.error ?? '?'));
    const question = outcome.cancelled
      ? vscode.l10n.t('Deployment of {0} was cancelled. {1} VMs were created.', plan.name, deployment.created.size)
      : vscode.l10n.t('Deployment of {0}: {1} of {2} VMs failed.', plan.name, outcome.failed.length, plan.vms.length);
    const retry = vscode.l10n.t('Retry Failed VMs');
    const rollback = vscode.l10n.t('Roll Back');
    const keep = vscode.l10n.t('Keep');
    const detail = [...failed, '', vscode.l10n.t('Roll Back deletes the {0} VMs this deployment created (and only those).', deployment.created.size)].join('\n');
    let choice: string;
    // A tool run keeps what was made and reports it (the user retries from the palette or destroys
    // the cluster by its tag); the palette asks.
    if (tool) choice = keep;
    else try {
      choice = await deps.prompts.confirm(question, detail, retry, rollback, keep);
    } catch (e) {
      if (!(e instanceof CancelledError)) throw e;
      choice = keep;
    }
    if (choice === retry) {
      pty.line(vscode.l10n.t('— retrying {0} VMs —', outcome.failed.length + outcome.progress.filter((p) => p.state === 'cancelled').length));
      outcome = await runWithProgress(vscode.l10n.t('Retrying {0}…', plan.name), (signal) => deployment.run(signal));
      continue;
    }
    if (choice === rollback) {
      pty.line(vscode.l10n.t('— rolling back {0} VMs —', deployment.created.size));
      const failures = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Rolling back {0}…', plan.name) },
        () => deployment.rollback(new AbortController().signal),
      );
      pty.flush();
      if (failures.length) {
        const left = failures.map((p) => `${p.vm.name} (${p.vm.vmid}) on ${p.vm.node}: ${p.error}`).join('; ');
        await finish('kept', vscode.l10n.t('rollback incomplete: {0}', left));
        throw new Error(vscode.l10n.t('Rollback of {0} left {1} VMs: {2}. They carry the tag {3}: run "Destroy Cluster" on it when their node answers again.', plan.name, failures.length, left, plan.tag));
      }
      void vscode.window.showInformationMessage(vscode.l10n.t('Rolled back {0}: the VMs it created were deleted.', plan.name));
      return finish('rolled-back', vscode.l10n.t('rolled back'));
    }
    // Kept: the files describe the VMs that exist (those this deployment created), not the plan.
    const kept = { ...plan, vms: plan.vms.filter((v) => deployment.created.has(v.vmid)) };
    const files = kept.vms.length ? await writeClusterFiles(deps, cluster, kept, deployment.progress, ciuser) : undefined;
    return finish(outcome.cancelled ? 'cancelled' : 'kept', vscode.l10n.t('kept with {0} failed VMs', outcome.failed.length), files);
  }
}

async function writeClusterFiles(deps: ClusterDeployDeps, cluster: ClusterConfig, plan: Plan, progress: VmProgress[], ciuser: string): Promise<string[]> {
  const { clusterYaml, ansibleInventory, recordFromPlan, clusterFiles } = await import('../../providers/cluster/inventory');
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    deps.log.warn(`cluster ${plan.name}: no workspace folder, cluster file and inventory not written`);
    void vscode.window.showWarningMessage(vscode.l10n.t('Open a folder to get homelab/clusters/{0}.yaml and its Ansible inventory.', plan.name));
    return [];
  }
  const ips = new Map(progress.filter((p) => p.ip).map((p) => [p.vm.vmid, p.ip!]));
  const record = recordFromPlan(plan, cluster.name, ciuser, ips);
  const where = clusterFiles(folder.uri.path, plan.name);
  const yaml = folder.uri.with({ path: where.yaml });
  const ini = folder.uri.with({ path: where.ini });
  const files = new WorkspaceFileStore(); // atomic replace, parent folders made
  await files.replace(keyOf(yaml), new TextEncoder().encode(clusterYaml({ ...record, template: { ...record.template } }) + `templateNode: ${plan.template.node}\n`));
  await files.replace(keyOf(ini), new TextEncoder().encode(ansibleInventory(record)));
  return [vscode.workspace.asRelativePath(yaml), vscode.workspace.asRelativePath(ini)];
}

/** The deploy engine for the catalog's cluster_deploy_apply: the plan it confirmed, run as the palette runs it. */
export function deployRunner(deps: ClusterDeployDeps): DeployAccess {
  const clusterOf = (id: string) => {
    const c = deps.clusters.get(id);
    if (!c) throw new Error(vscode.l10n.t('No cluster with id "{0}".', id));
    return c;
  };
  return {
    async takenAddresses(clusterId, network) {
      const client = await deps.connections.client(clusterOf(clusterId));
      return addressesInUse(client, await client.resources('vm'), network);
    },
    async apply(o) {
      const cluster = clusterOf(o.clusterId);
      const client = await deps.connections.client(cluster);
      const r = await execute(deps, cluster, client, o.plan, o.sshKeys, o.ciuser, { signal: o.signal, progress: o.progress });
      return {
        status: r.status,
        files: r.files,
        vms: r.progress.map((p) => ({ vmid: p.vm.vmid, name: p.vm.name, state: p.state, step: p.step, ip: p.ip, error: p.error })),
      };
    },
  };
}

export function registerClusterDeployCommands(registry: CommandRegistry, deps: ClusterDeployDeps): void {
  registry.register('homelab.cluster.deploy', (...args: unknown[]) => deployCluster(deps, args));
}
