// Recent tasks of a cluster in a quick pick; any of them reopens in a terminal (its whole log,
// then live if it still runs).
import * as vscode from 'vscode';
import type { CommandRegistry } from '../registry';
import { resolveCluster } from './clusters';
import type { OperationDeps } from './operation';

interface ClusterTask {
  upid: string;
  node: string;
  type: string;
  id?: string;
  user: string;
  starttime: number;
  endtime?: number;
  /** Running: absent (or "running"); ended: the exit status. */
  status?: string;
}

async function showTasks(deps: OperationDeps, arg: unknown): Promise<string | undefined> {
  const cluster = await resolveCluster(deps, arg);
  const client = await deps.connections.client(cluster);
  const tasks = await client.get<ClusterTask[]>('/cluster/tasks');
  if (!tasks.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no recent tasks.', cluster.name));
    return undefined;
  }
  const items = tasks.slice(0, 200).map((t) => {
    const running = !t.endtime && (!t.status || t.status === 'running');
    const icon = running ? '$(sync~spin)' : t.status === 'OK' ? '$(pass)' : /^WARNINGS/.test(t.status ?? '') ? '$(warning)' : '$(error)';
    return {
      label: `${icon} ${t.type} ${t.id ?? ''}`.trim(),
      description: `${t.node} · ${new Date(t.starttime * 1000).toLocaleTimeString()}`,
      detail: running ? vscode.l10n.t('running · {0}', t.user) : `${t.status} · ${t.user}`,
      id: t.upid,
    };
  });
  const picked = await deps.prompts.pick(items, { title: vscode.l10n.t('Recent tasks of {0}', cluster.name), matchOnDescription: true, matchOnDetail: true });
  await deps.operations.follow(cluster, client, picked.id, { newTerminal: true });
  return picked.id;
}

export function registerTaskCommands(registry: CommandRegistry, deps: OperationDeps): void {
  registry.register('homelab.proxmox.showTasks', (arg) => showTasks(deps, arg));
}
