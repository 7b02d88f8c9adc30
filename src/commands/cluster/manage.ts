// Actions on a deployed cluster (its group in the Proxmox tree): SSH shells on every VM, start or
// stop all of them, destroy it. The members are the VMs tagged homelab-cluster-<name>; destroy
// re-reads each VM's config and deletes nothing that does not carry the tag.
import * as vscode from 'vscode';
import { clusterGroups } from '../../providers/cluster/groups';
import { buildInventory } from '../../providers/proxmox/inventory';
import type { ClusterResource } from '../../providers/proxmox/types';
import type { ClusterConfig } from '../../services/proxmox/clusters';
import type { ProxmoxElement } from '../../views/proxmox/tree';
import { CancelledError } from '../../providers/cancellation';
import type { CommandRegistry } from '../registry';
import { expectOk, label, reportActivity, vmPath, type OperationDeps } from '../proxmox/operation';

type Member = ClusterResource & { vmid: number; node: string };

interface Target {
  cluster: ClusterConfig;
  name: string;
  tag: string;
  vms: Member[];
}

/** The deployed cluster a command acts on: a tree group, `{clusterId, name}`, or the user's pick. */
async function resolveTarget(deps: OperationDeps, arg: unknown): Promise<Target> {
  const el = arg as (ProxmoxElement & { kind: 'vmCluster' }) | { clusterId?: string; name?: string } | undefined;
  const { resolveCluster } = await import('../proxmox/clusters');
  const cluster = await resolveCluster(deps, el && 'clusterId' in el ? el.clusterId : undefined);
  const client = await deps.connections.client(cluster);
  const groups = clusterGroups(buildInventory(await client.resources('vm')));
  let name = el && 'name' in el ? el.name : undefined;
  if (!name) {
    if (!groups.size) throw new Error(vscode.l10n.t('{0} has no deployed cluster (no VM is tagged homelab-cluster-…).', cluster.name));
    const picked = await deps.prompts.pick([...groups].map(([n, vms]) => ({ label: n, id: n, description: vscode.l10n.t('{0} VMs', vms.length) })), { title: vscode.l10n.t('Which cluster?') });
    name = picked.id;
  }
  const vms = (groups.get(name) ?? []).filter((g): g is Member => g.vmid !== undefined && !!g.node);
  if (!vms.length) throw new Error(vscode.l10n.t('No VM in {0} carries the tag homelab-cluster-{1}.', cluster.name, name));
  return { cluster, name, tag: `homelab-cluster-${name}`, vms };
}

async function openShells(deps: OperationDeps, arg: unknown): Promise<string[]> {
  const t = await resolveTarget(deps, arg);
  const running = t.vms.filter((g) => g.status === 'running');
  if (!running.length) throw new Error(vscode.l10n.t('No VM of {0} is running: start them first.', t.name));
  const opened: string[] = [];
  for (const g of running) {
    const name = await vscode.commands.executeCommand<string | undefined>('homelab.proxmox.openShell', { clusterId: t.cluster.id, vmid: g.vmid });
    if (name) opened.push(name);
  }
  return opened;
}

async function power(deps: OperationDeps, arg: unknown, action: 'start' | 'stop'): Promise<number> {
  const t = await resolveTarget(deps, arg);
  const todo = t.vms.filter((g) => (action === 'start' ? g.status !== 'running' : g.status === 'running'));
  if (!todo.length) {
    void vscode.window.showInformationMessage(action === 'start' ? vscode.l10n.t('Every VM of {0} is running already.', t.name) : vscode.l10n.t('Every VM of {0} is stopped already.', t.name));
    return 0;
  }
  if (action === 'stop') {
    const stop = vscode.l10n.t('Stop All');
    await deps.prompts.confirm(
      vscode.l10n.t('Stop the {0} running VMs of {1}?', todo.length, t.name),
      vscode.l10n.t('A hard stop, like pulling the plug:') + '\n' + todo.map((g) => `${label(g)} · ${g.node}`).join('\n'),
      stop,
    );
  }
  const client = await deps.connections.client(t.cluster);
  const started = Date.now();
  const results = await Promise.allSettled(todo.map(async (g) => {
    const upid = await client.post<string>(`${vmPath(g)}/status/${action}`);
    expectOk(await deps.operations.follow(t.cluster, client, upid, { vmName: g.name }), `${action === 'start' ? 'Starting' : 'Stopping'} ${label(g)}`);
  }));
  const failed = results.map((r, i) => (r.status === 'rejected' ? `${label(todo[i])}: ${r.reason instanceof Error ? r.reason.message : r.reason}` : '')).filter(Boolean);
  await reportActivity(deps, { what: action === 'start' ? vscode.l10n.t('Start cluster {0}', t.name) : vscode.l10n.t('Stop cluster {0}', t.name), cluster: t.cluster.name, target: t.tag, durationMs: Date.now() - started, result: failed.length ? `${failed.length} failed` : 'ok' });
  if (failed.length) throw new Error(vscode.l10n.t('{0} of {1} VMs failed: {2}', failed.length, todo.length, failed.join('; ')));
  return todo.length;
}

async function destroy(deps: OperationDeps, arg: unknown): Promise<{ deleted: number[] }> {
  const t = await resolveTarget(deps, arg);
  const yes = vscode.l10n.t('Destroy {0} VMs', t.vms.length);
  // Snapshots go with the VMs: what survives a destroy is a backup, so that is what is offered first.
  const backupFirst = vscode.l10n.t('Back Up, Then Destroy');
  const choice = await deps.prompts.confirm(
    vscode.l10n.t('Destroy cluster "{0}": stop and delete its {1} VMs with their disks?', t.name, t.vms.length),
    [...t.vms.map((g) => `${g.vmid}  ${g.name ?? ''}  ${g.node}  ${g.status ?? ''}`), '', vscode.l10n.t('Only VMs whose configuration carries the tag {0} are deleted. This cannot be undone.', t.tag), vscode.l10n.t('"Back Up, Then Destroy" backs every VM up first and destroys nothing if a backup fails.')].join('\n'),
    yes,
    backupFirst,
  );
  if (choice === backupFirst) {
    const { backupMembers } = await import('../proxmox/backups');
    await backupMembers(deps, t.cluster, t.vms, vscode.l10n.t('Back up cluster "{0}" before destroying it', t.name));
  }
  const { destroyTaggedVm } = await import('../../providers/cluster/proxmox-steps');
  const client = await deps.connections.client(t.cluster);
  const started = Date.now();
  const deleted: number[] = [];
  const failed: string[] = [];
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Destroying {0}…', t.name), cancellable: true }, async (progress, token) => {
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    try {
      for (const g of t.vms) {
        if (ac.signal.aborted) throw new CancelledError();
        progress.report({ message: label(g) });
        try {
          const r = await destroyTaggedVm(client, { vmid: g.vmid, name: g.name ?? String(g.vmid) }, t.tag, ac.signal, (line) => deps.log.info(`destroy ${t.name}: ${line}`), deps.operations.pollMs);
          if (r === 'deleted') deleted.push(g.vmid);
        } catch (e) {
          if (ac.signal.aborted) throw new CancelledError();
          failed.push(`${label(g)}: ${e instanceof Error ? e.message : e}`);
        }
      }
    } finally {
      sub.dispose();
    }
  });
  await deps.operations.endOperation(t.cluster.id);
  await reportActivity(deps, { what: vscode.l10n.t('Destroy cluster {0}', t.name), cluster: t.cluster.name, target: t.tag, durationMs: Date.now() - started, result: failed.length ? `${deleted.length} deleted, ${failed.length} failed` : `${deleted.length} deleted` });
  if (failed.length) throw new Error(vscode.l10n.t('Destroyed {0} VMs of {1}; {2} remain: {3}', deleted.length, t.name, failed.length, failed.join('; ')));
  await removeClusterFiles(t.name);
  void vscode.window.showInformationMessage(vscode.l10n.t('Cluster {0} was destroyed: {1} VMs deleted.', t.name, deleted.length));
  return { deleted };
}

/** The cluster file and inventory describe VMs that are gone now. */
async function removeClusterFiles(name: string): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return;
  // The name came from a VM tag: clusterFiles refuses one that would name a path outside homelab/clusters.
  const { clusterFiles } = await import('../../providers/cluster/inventory');
  const where = clusterFiles(folder.uri.path, name);
  for (const uri of [folder.uri.with({ path: where.yaml }), folder.uri.with({ path: where.dir })]) {
    await deleteToTrash(uri);
  }
}

/** Deletes to the trash where the file system has one (a user can get the files back), else for good. */
async function deleteToTrash(uri: vscode.Uri): Promise<void> {
  try {
    await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true });
  } catch (e) {
    if (e instanceof vscode.FileSystemError && e.code === 'FileNotFound') return;
    if (!/trash/i.test(e instanceof Error ? e.message : String(e))) return;
    await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false }).then(() => {}, () => {});
  }
}

export function registerClusterManageCommands(registry: CommandRegistry, deps: OperationDeps): void {
  registry.register('homelab.cluster.openShells', (arg: unknown) => openShells(deps, arg));
  registry.register('homelab.cluster.startAll', (arg: unknown) => power(deps, arg, 'start'));
  registry.register('homelab.cluster.stopAll', (arg: unknown) => power(deps, arg, 'stop'));
  registry.register('homelab.cluster.destroy', (arg: unknown) => destroy(deps, arg));
}
