// Lab-wide entries: the NixOS template pipeline's state, and a cluster deploy plan (dry run: what
// `Deploy Cluster from Template` would create, computed by the same planner, nothing created).
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { clusterTag, planCluster, PlanError, type NetworkPlan, type Plan, type Role } from '../providers/cluster/plan';
import { destroyTaggedVm } from '../providers/cluster/proxmox-steps';
import { CancelledError } from '../providers/cancellation';
import { guestPath } from '../providers/proxmox';
import { l10n } from './l10n';
import { clusterField, clusterOf, locateGuest, proxmoxOf, vmidField } from './proxmox-common';
import { OperationRefused, type ClusterRef, type JsonSchema, type Operation, type OperationHost } from './types';

export const pipelineStatus: Operation<Record<string, never>> = {
  id: 'pipeline_status',
  title: 'NixOS pipeline status',
  description: 'Shows the NixOS template pipeline (ISO build, upload, install, template): the last or current run, each step\'s status, duration and error, and what the run created. pipeline_start starts a run.',
  area: 'pipeline',
  effect: 'readOnly',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  async prepare(_input, host) {
    return {
      async run() {
        const s = await host.pipeline?.state();
        if (!s) return { text: l10n.t('No NixOS template pipeline has run in this workspace.') };
        const out = [`${s.pipeline} run ${s.runId}: ${s.status} (started ${s.startedAt}, updated ${s.updatedAt})${s.error ? ` error: ${s.error}` : ''}`];
        for (const st of s.steps) out.push(`  ${st.id} ${st.status}${st.durationMs !== undefined ? ` ${(st.durationMs / 1000).toFixed(1)} s` : ''}${st.error ? ` error: ${st.error}` : ''}`);
        if (s.created.length) out.push('created:', ...s.created.map((c) => `  ${c.kind} ${c.id}${c.node ? ` on ${c.node}` : ''}: ${c.description}`));
        return { text: out.join('\n'), data: s };
      },
    };
  },
};

export const pipelineStart: Operation<{ cluster?: string; node?: string; resume?: boolean }> = {
  id: 'pipeline_start',
  title: 'Start the NixOS template pipeline',
  description: 'Builds a NixOS template on a Proxmox node, as "Homelab: Build NixOS Template" does: builds the ISO (locally or on homelab.nix.buildHost), uploads it, installs a VM, converts it to a template. Takes minutes; follow it with pipeline_status. `resume` (default true) goes on after the last completed step of a stopped run; false starts over. Refused when the build host\'s SSH key is not trusted yet (the user runs the palette command once to compare and trust it). Runs inside VS Code only.',
  area: 'pipeline',
  effect: 'sideEffect',
  inputSchema: {
    type: 'object',
    properties: {
      cluster: clusterField,
      node: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$', description: 'Node to build the template on (default: homelab.template.node, or the only online node).' },
      resume: { type: 'boolean', default: true, description: 'Resume a stopped run after its last completed step (true) or start over (false).' },
    },
    additionalProperties: false,
  },
  async prepare(input, host) {
    const p = host.pipeline;
    if (!p?.preview || !p.start) throw new OperationRefused(l10n.t('The NixOS template pipeline runs inside VS Code (its build settings, terminal and Pipeline view): run "Homelab: Build NixOS Template" or this tool there. pipeline_status shows its state here.'));
    const c = clusterOf(host, input.cluster);
    const v = await p.preview({ clusterId: c.id, node: input.node });
    const b = v.builder;
    if (b.kind === 'remote') {
      const where = `${b.user}@${b.host}${b.port === 22 ? '' : `:${b.port}`}`;
      if (b.error) throw new OperationRefused(l10n.t('The build host {0} cannot be reached: {1}', where, b.error));
      // A model cannot answer the host-key question, and trusting silently would defeat it.
      if (!b.trusted) throw new OperationRefused(l10n.t('The SSH host key of the build host {0} is not trusted yet ({1} {2}). Run "Homelab: Build NixOS Template" from the Command Palette once: it shows this fingerprint to compare and trust. Nothing was started.', where, b.keyType ?? '?', b.fingerprint ?? '?'));
    }
    if (!v.node) throw new OperationRefused(v.nodes.length ? l10n.t('Name the node to build on ("node"): {0} has several online nodes ({1}).', c.name, v.nodes.join(', ')) : l10n.t('No node of {0} is online.', c.name));
    const node = v.node;
    const resume = !!v.resumable && input.resume !== false;
    const builder = b.kind === 'local' ? l10n.t('built on {0}', b.where) : l10n.t('built on {0} over SSH (host key {1})', b.host, b.fingerprint ?? '?');
    return {
      confirmation: resume
        ? l10n.t('Resume the NixOS template pipeline on {0} of {1} at "{2}" (ISO {3})?', node, c.name, v.resumable!.nextStep, builder)
        : l10n.t('Build a NixOS template on {0} of {1}: ISO {2}, upload, install a new VM, convert it to a template?', node, c.name, builder),
      detail: [
        v.resumable && !resume ? l10n.t('The last run stopped at "{0}"; starting over keeps what it made (listed in the Pipeline view).', v.resumable.nextStep) : undefined,
        l10n.t('Takes minutes; the pipeline\'s terminal and the Pipeline view show each step. Deleting old ISOs (retention) is asked separately.'),
      ].filter(Boolean).join('\n'),
      cluster: c.name,
      target: node,
      async run(progress, signal) {
        const s = await p.start!({ clusterId: c.id, node, resume, signal, progress });
        const vmid = s.steps.find((x) => x.id === 'create-vm')?.result?.vmid;
        return { text: l10n.t('NixOS template ready: VM {0} on {1} (run {2}, {3}).', String(vmid ?? '?'), node, s.runId, s.status), data: s };
      },
    };
  },
};

const DISK = /^(scsi|virtio|sata|ide)\d+$/;
const CLUSTER_NAME: JsonSchema = { type: 'string', minLength: 1, maxLength: 40, pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' };

type PlanFields = { cluster?: string; name: string; template: number; controlPlanes?: number; workers?: number; cores?: number; memoryMiB?: number; diskGiB?: number; network?: string; gateway?: string };

const planProperties: Record<string, JsonSchema> = {
  cluster: clusterField,
  name: CLUSTER_NAME,
  template: { ...vmidField, description: 'VM ID of the template to clone.' },
  controlPlanes: { type: 'integer', minimum: 1, maximum: 7, default: 1 },
  workers: { type: 'integer', minimum: 0, maximum: 50, default: 2 },
  cores: { type: 'integer', minimum: 1, maximum: 64, default: 2 },
  memoryMiB: { type: 'integer', minimum: 512, maximum: 262_144, default: 4096 },
  diskGiB: { type: 'integer', minimum: 4, maximum: 4096, default: 32 },
  network: { type: 'string', maxLength: 64, default: 'dhcp' },
  gateway: { type: 'string', maxLength: 64 },
};

/** The deploy planner over the cluster as it is now: the one plan the dry run shows and the apply runs. */
async function computePlan(input: PlanFields, host: OperationHost): Promise<{ plan: Plan; cluster: ClusterRef; templateName: string }> {
  const loc = await locateGuest(host, { cluster: input.cluster, vmid: input.template });
  const client = loc.client;
  const [vms, nodes, storages, conf] = await Promise.all([
    client.resources('vm'), client.nodes(), client.resources('storage'), client.get<Record<string, unknown>>(guestPath(loc.guest, 'config')),
  ]);
  const shared = new Set(storages.filter((s) => s.shared === 1 && s.storage).map((s) => s.storage!));
  const disks = Object.entries(conf).filter(([k, v]) => DISK.test(k) && typeof v === 'string' && !/cloudinit|media=cdrom/.test(v)).map(([, v]) => String(v).split(':')[0]);
  const network: NetworkPlan = !input.network || input.network === 'dhcp' ? { kind: 'dhcp' } : { kind: 'static', firstAddress: input.network, gateway: input.gateway ?? '' };
  const size = { cores: input.cores ?? 2, memoryMiB: input.memoryMiB ?? 4096, diskGiB: input.diskGiB ?? 32 };
  const templateName = loc.guest.name ?? String(loc.guest.vmid);
  try {
    const plan = planCluster({
      name: input.name,
      template: { vmid: loc.guest.vmid, name: templateName, node: loc.guest.node, isTemplate: !!conf.template, sharedStorage: disks.length > 0 && disks.every((d) => shared.has(d)) },
      controlPlanes: input.controlPlanes ?? 1,
      workers: input.workers ?? 2,
      sizes: { 'control-plane': size, worker: size } as Record<Role, typeof size>,
      nodes: nodes.map((n) => ({ name: n.node, online: n.status === 'online', freeMemoryMiB: Math.floor(((n.maxmem ?? 0) - (n.mem ?? 0)) / 2 ** 20) })),
      network,
      firstVmid: Number(await client.get('/cluster/nextid')),
      takenVmids: new Set(vms.map((v) => v.vmid!).filter((v) => v !== undefined)),
      takenAddresses: network.kind === 'static' ? await host.deploy?.takenAddresses?.(loc.cluster.id, network) : undefined,
    });
    return { plan, cluster: loc.cluster, templateName };
  } catch (e) {
    if (e instanceof PlanError) throw new OperationRefused(l10n.t('Cannot deploy {0}: {1}', input.name, e.problems.join(' ')));
    throw e;
  }
}

const planLines = (plan: Plan) => plan.vms.map((v) => `  ${v.vmid} ${v.name} ${v.role} on ${v.node}: ${v.cores} vCPU, ${v.memoryMiB} MiB, ${v.diskGiB} GiB, ${v.ipconfig}`);

export const deployPlan: Operation<PlanFields> = {
  id: 'cluster_deploy_plan',
  title: 'Plan a Kubernetes cluster deploy (dry run)',
  description: 'Computes, without creating anything, the VMs a cluster deploy from a template would create: VM IDs, names (<name>-cp-N, <name>-worker-N), nodes, sizes and addresses. `network` is "dhcp" or the first static address as CIDR (with `gateway`). cluster_deploy_apply with the same input creates them.',
  area: 'proxmox',
  effect: 'readOnly',
  inputSchema: { type: 'object', properties: planProperties, required: ['name', 'template'], additionalProperties: false },
  async prepare(input, host) {
    await locateGuest(host, { cluster: input.cluster, vmid: input.template });
    return {
      async run() {
        const { plan, templateName } = await computePlan(input, host);
        return { text: [l10n.t('Plan for cluster {0} from {1} (dry run, nothing created; tag {2}):', plan.name, templateName, plan.tag), ...planLines(plan)].join('\n'), data: plan };
      },
    };
  },
};

/** The public key of an existing key file, validated (never a private key, never generated here). */
async function publicKeyOf(path: string): Promise<string> {
  const { validatePublicKeyLine } = await import('../providers/ssh/keys');
  const full = path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
  if (!isAbsolute(full)) throw new OperationRefused(l10n.t('sshPublicKeyPath must be an absolute path (or start with ~/): {0}', path));
  if (!full.endsWith('.pub')) throw new OperationRefused(l10n.t('sshPublicKeyPath must name a public key file (.pub), not {0}.', path));
  let text: string;
  try {
    const st = await stat(full);
    if (!st.isFile() || st.size > 16_384) throw new OperationRefused(l10n.t('{0} is not a public key file.', full));
    text = await readFile(full, 'utf8');
  } catch (e) {
    if (e instanceof OperationRefused) throw e;
    throw new OperationRefused(l10n.t('No SSH public key at {0}: give the path of an existing .pub file (the palette command can generate a new key pair).', full));
  }
  const r = validatePublicKeyLine(text.trim());
  if (!r.ok) throw new OperationRefused(l10n.t('{0}: {1}', full, r.message));
  return r.line;
}

export const deployApply: Operation<PlanFields & { sshPublicKeyPath: string; ciuser?: string }> = {
  id: 'cluster_deploy_apply',
  title: 'Deploy a Kubernetes cluster\'s VMs',
  description: 'Creates the VMs of cluster_deploy_plan (same input, the same plan shown for confirmation): clones the template, sets cloud-init (user, the given SSH public key, addresses), starts each VM and waits until it answers SSH. `sshPublicKeyPath` is an existing .pub file (no key is generated). The new VMs\' host keys are shown to the user once to trust. Writes homelab/clusters/<name>.yaml and its Ansible inventory. Runs inside VS Code only.',
  area: 'proxmox',
  effect: 'sideEffect',
  inputSchema: {
    type: 'object',
    properties: {
      ...planProperties,
      sshPublicKeyPath: { type: 'string', minLength: 1, maxLength: 1024, description: 'Absolute path (or ~/...) of an existing SSH public key file (.pub) for the cloud-init user.' },
      ciuser: { type: 'string', pattern: '^[a-z_][a-z0-9_-]{0,31}$', default: 'nixos', description: 'The cloud-init user.' },
    },
    required: ['name', 'template', 'sshPublicKeyPath'],
    additionalProperties: false,
  },
  async prepare(input, host) {
    const deploy = host.deploy;
    if (!deploy) throw new OperationRefused(l10n.t('Deploying a cluster runs inside VS Code (its deploy terminal and the host-key question to the user): use "Homelab: Deploy Cluster from Template" or this tool there. cluster_deploy_plan shows the plan here.'));
    const sshKey = await publicKeyOf(input.sshPublicKeyPath);
    const { plan, cluster, templateName } = await computePlan(input, host);
    const ciuser = input.ciuser ?? 'nixos';
    return {
      confirmation: l10n.t('Deploy cluster "{0}" on {1}: create {2} VMs from {3}?', plan.name, cluster.name, plan.vms.length, templateName) + '\n' + planLines(plan).join('\n'),
      detail: l10n.t('Cloud-init user {0} with the key {1}. Each VM is tagged {2}; the new VMs\' SSH host keys are shown to you once to trust.', ciuser, input.sshPublicKeyPath, plan.tag),
      cluster: cluster.name,
      target: plan.tag,
      async run(progress, signal) {
        const r = await deploy.apply({ clusterId: cluster.id, plan, sshKeys: [sshKey], ciuser, signal, progress });
        const lines = r.vms.map((v) => `  ${v.vmid} ${v.name}: ${v.state}${v.state === 'done' ? '' : ` at ${v.step}`}${v.ip ? ` ${v.ip}` : ''}${v.error ? ` error: ${v.error}` : ''}`);
        const head = r.status === 'deployed'
          ? l10n.t('Cluster {0} deployed: {1} VMs answer SSH.', plan.name, plan.vms.length)
          : l10n.t('Cluster {0}: {1}.', plan.name, r.status);
        const text = [head, ...lines, ...(r.files?.length ? [l10n.t('Files: {0}', r.files.join(', '))] : [])].join('\n');
        if (r.status === 'cancelled') throw new CancelledError(text);
        if (r.status !== 'deployed' && r.status !== 'rolled-back') throw new Error(text);
        return { text, data: r };
      },
    };
  },
};

export const clusterDestroy: Operation<{ cluster?: string; name: string }> = {
  id: 'cluster_destroy',
  title: 'Destroy a Kubernetes cluster\'s VMs',
  description: 'Stops and deletes, with their disks, every VM of a cluster made by the cluster deploy: only VMs whose configuration carries the tag homelab-cluster-<name> (re-read before each delete). Cannot be undone.',
  area: 'proxmox',
  effect: 'destructive',
  alwaysConfirm: true,
  inputSchema: { type: 'object', properties: { cluster: clusterField, name: { type: 'string', minLength: 1, maxLength: 40, pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$', description: 'The cluster\'s name, as deployed.' } }, required: ['name'], additionalProperties: false },
  async prepare(input, host) {
    const c = clusterOf(host, input.cluster);
    const client = await proxmoxOf(host).client(c.id);
    const tag = clusterTag(input.name);
    const vms = (await client.resources('vm')).filter((r) => r.type === 'qemu' && r.vmid !== undefined && (r.tags ?? '').split(/[;, ]+/).includes(tag)).sort((a, b) => a.vmid! - b.vmid!);
    if (!vms.length) throw new OperationRefused(l10n.t('No VM in {0} carries the tag {1}: there is no cluster "{2}" to destroy.', c.name, tag, input.name));
    return {
      confirmation: l10n.t('Destroy cluster "{0}": stop and delete its {1} VMs with their disks ({2})?', input.name, vms.length, vms.map((v) => `${v.vmid} ${v.name ?? ''} on ${v.node} ${v.status ?? ''}`.trim()).join(', ')),
      detail: l10n.t('Only VMs whose configuration carries the tag {0} are deleted. This cannot be undone.', tag),
      cluster: c.name,
      target: tag,
      async run(progress, signal) {
        const deleted: number[] = [];
        const failed: string[] = [];
        for (const v of vms) {
          signal.throwIfAborted();
          progress.report(`${v.vmid} ${v.name ?? ''}`);
          try {
            if ((await destroyTaggedVm(client, { vmid: v.vmid!, name: v.name ?? String(v.vmid) }, tag, signal, (line) => progress.report(line), 500)) === 'deleted') deleted.push(v.vmid!);
          } catch (e) {
            if (signal.aborted) throw e;
            failed.push(`${v.vmid}: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
        await proxmoxOf(host).changed?.(c.id);
        if (failed.length) throw new Error(l10n.t('Destroyed {0} VMs of {1}; {2} remain: {3}', deleted.length, input.name, failed.length, failed.join('; ')));
        return { text: l10n.t('Cluster {0} destroyed: VMs {1} deleted.', input.name, deleted.join(', ')), data: { deleted } };
      },
    };
  },
};
