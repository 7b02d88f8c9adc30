// Lab-wide entries: the NixOS template pipeline's state, and a cluster deploy plan (dry run: what
// `Deploy Cluster from Template` would create, computed by the same planner, nothing created).
import { clusterTag, planCluster, PlanError, type NetworkPlan, type Role } from '../providers/cluster/plan';
import { destroyTaggedVm } from '../providers/cluster/proxmox-steps';
import { guestPath } from '../providers/proxmox';
import { l10n } from './l10n';
import { clusterField, clusterOf, locateGuest, proxmoxOf, vmidField } from './proxmox-common';
import { OperationRefused, type Operation } from './types';

export const pipelineStatus: Operation<Record<string, never>> = {
  id: 'pipeline_status',
  title: 'NixOS pipeline status',
  description: 'Shows the NixOS template pipeline (ISO build, upload, install, template): the last or current run, each step\'s status, duration and error, and what the run created. Starting a run is done from VS Code ("Homelab: Build NixOS Template").',
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

const DISK = /^(scsi|virtio|sata|ide)\d+$/;

export const deployPlan: Operation<{ cluster?: string; name: string; template: number; controlPlanes?: number; workers?: number; cores?: number; memoryMiB?: number; diskGiB?: number; network?: string; gateway?: string }> = {
  id: 'cluster_deploy_plan',
  title: 'Plan a Kubernetes cluster deploy (dry run)',
  description: 'Computes, without creating anything, the VMs a cluster deploy from a template would create: VM IDs, names (<name>-cp-N, <name>-worker-N), nodes, sizes and addresses. `network` is "dhcp" or the first static address as CIDR (with `gateway`).',
  area: 'proxmox',
  effect: 'readOnly',
  inputSchema: {
    type: 'object',
    properties: {
      cluster: clusterField,
      name: { type: 'string', minLength: 1, maxLength: 40, pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' },
      template: { ...vmidField, description: 'VM ID of the template to clone.' },
      controlPlanes: { type: 'integer', minimum: 1, maximum: 7, default: 1 },
      workers: { type: 'integer', minimum: 0, maximum: 50, default: 2 },
      cores: { type: 'integer', minimum: 1, maximum: 64, default: 2 },
      memoryMiB: { type: 'integer', minimum: 512, maximum: 262_144, default: 4096 },
      diskGiB: { type: 'integer', minimum: 4, maximum: 4096, default: 32 },
      network: { type: 'string', maxLength: 64, default: 'dhcp' },
      gateway: { type: 'string', maxLength: 64 },
    },
    required: ['name', 'template'],
    additionalProperties: false,
  },
  async prepare(input, host) {
    const loc = await locateGuest(host, { cluster: input.cluster, vmid: input.template });
    clusterOf(host, input.cluster);
    return {
      async run() {
        const client = await proxmoxOf(host).client(loc.cluster.id);
        const [vms, nodes, storages, conf] = await Promise.all([
          client.resources('vm'), client.nodes(), client.resources('storage'), client.get<Record<string, unknown>>(guestPath(loc.guest, 'config')),
        ]);
        const shared = new Set(storages.filter((s) => s.shared === 1 && s.storage).map((s) => s.storage!));
        const disks = Object.entries(conf).filter(([k, v]) => DISK.test(k) && typeof v === 'string' && !/cloudinit|media=cdrom/.test(v)).map(([, v]) => String(v).split(':')[0]);
        const network: NetworkPlan = !input.network || input.network === 'dhcp' ? { kind: 'dhcp' } : { kind: 'static', firstAddress: input.network, gateway: input.gateway ?? '' };
        const size = { cores: input.cores ?? 2, memoryMiB: input.memoryMiB ?? 4096, diskGiB: input.diskGiB ?? 32 };
        try {
          const plan = planCluster({
            name: input.name,
            template: { vmid: loc.guest.vmid, name: loc.guest.name ?? String(loc.guest.vmid), node: loc.guest.node, isTemplate: !!conf.template, sharedStorage: disks.length > 0 && disks.every((d) => shared.has(d)) },
            controlPlanes: input.controlPlanes ?? 1,
            workers: input.workers ?? 2,
            sizes: { 'control-plane': size, worker: size } as Record<Role, typeof size>,
            nodes: nodes.map((n) => ({ name: n.node, online: n.status === 'online', freeMemoryMiB: Math.floor(((n.maxmem ?? 0) - (n.mem ?? 0)) / 2 ** 20) })),
            network,
            firstVmid: Number(await client.get('/cluster/nextid')),
            takenVmids: new Set(vms.map((v) => v.vmid!).filter((v) => v !== undefined)),
          });
          const lines = plan.vms.map((v) => `  ${v.vmid} ${v.name} ${v.role} on ${v.node}: ${v.cores} vCPU, ${v.memoryMiB} MiB, ${v.diskGiB} GiB, ${v.ipconfig}`);
          return { text: [l10n.t('Plan for cluster {0} from {1} (dry run, nothing created; tag {2}):', plan.name, loc.guest.name ?? String(loc.guest.vmid), plan.tag), ...lines].join('\n'), data: plan };
        } catch (e) {
          if (e instanceof PlanError) throw new OperationRefused(l10n.t('Cannot deploy {0}: {1}', input.name, e.problems.join(' ')));
          throw e;
        }
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
