// The catalog's host inside VS Code: the extension's own services. A task followed for a catalog
// entry is an Operations task (terminal, notification, refresh), secrets stay in SecretStorage
// (Connections), files go through the one atomic store, and audit lines go to the ActivityLog.
import * as vscode from 'vscode';
import type { DeployAccess, JournalAccess, KubernetesAccess, KubernetesModules, OperationHost, PipelineAccess, ProxmoxAccess } from '../operations/types';
import { readVersioned, writeAtomic } from '../providers/markdown/store';
import { journalFolder, type ActivityLog } from './activity';
import { readMigrationStates } from '../providers/postgres/migration-state';
import { keyOf, WorkspaceFileStore } from './files';
import type { KubernetesSession } from './kubernetes/session';
import type { Operations } from './operations';
import type { PipelineRuns } from './pipeline';
import type { ClusterStore } from './proxmox/clusters';
import type { Connections } from './proxmox/connections';
import { settings } from './settings';

export interface OperationHostDeps {
  clusters: ClusterStore;
  connections: Connections;
  operations: Operations;
  activity: ActivityLog;
  kubernetes?: KubernetesSession;
  pipeline?: PipelineRuns;
  /** Starting a pipeline run (the template command's own engine), given by the caller that has it. */
  pipelineRunner?: Omit<PipelineAccess, 'state'>;
  /** The cluster deploy engine with its terminal. */
  deploy?: DeployAccess;
}

function proxmoxAccess(d: OperationHostDeps): ProxmoxAccess {
  const cluster = (id: string) => {
    const c = d.clusters.get(id);
    if (!c) throw new Error(vscode.l10n.t('No cluster with id "{0}".', id));
    return c;
  };
  return {
    clusters: () => d.clusters.list().map((c) => ({ id: c.id, name: c.name })),
    client: (id) => d.connections.client(cluster(id)),
    async followTask(id, client, upid, o) {
      const stop = () => d.operations.cancel(upid);
      o.signal?.addEventListener('abort', stop);
      try {
        return await d.operations.follow(cluster(id), client, upid, { vmName: o.vmName, title: o.title });
      } finally {
        o.signal?.removeEventListener('abort', stop);
      }
    },
    shutdownTimeout: () => settings.get('proxmox.shutdownTimeout'),
    changed: (id) => d.operations.endOperation(id),
  };
}

function kubernetesAccess(session: KubernetesSession): KubernetesAccess {
  return {
    modules: async () => (await session.modules()) as unknown as KubernetesModules,
    async contexts() {
      const cfg = await session.kubeconfig();
      return cfg.contexts.map((c) => ({ name: c.name, cluster: c.cluster, namespace: c.namespace, current: c.name === cfg.currentContext }));
    },
    async client(context) {
      const name = context ?? (await session.kubeconfig()).currentContext;
      if (!name) throw new Error(vscode.l10n.t('No Kubernetes context is selected.'));
      return session.client(name);
    },
  };
}

const isFile = (u: vscode.Uri) => vscode.workspace.fs.stat(u).then((s) => (s.type & vscode.FileType.File) !== 0, () => false);

function journalAccess(): JournalAccess {
  const store = new WorkspaceFileStore();
  const folder = () => {
    const f = journalFolder();
    if (!f) throw new Error(vscode.l10n.t('Open a workspace folder: the journal lives in it.'));
    return f;
  };
  let trackerPaths = new Map<string, vscode.Uri>();
  // Tracker files may live anywhere in the workspace; their names are workspace-relative paths.
  const uri = (name: string) => trackerPaths.get(name) ?? vscode.Uri.joinPath(folder(), name);
  const read = async (name: string) => {
    const u = uri(name);
    return (await isFile(u)) ? new TextDecoder().decode(await vscode.workspace.fs.readFile(u)) : undefined;
  };
  return {
    async list() {
      const entries = await vscode.workspace.fs.readDirectory(folder()).then((e) => e, () => [] as [string, vscode.FileType][]);
      return entries.filter(([n, t]) => t === vscode.FileType.File && n.endsWith('.md')).map(([n]) => n).sort();
    },
    read,
    async create(name, text) {
      const u = uri(name);
      if (await isFile(u)) throw new Error(vscode.l10n.t('{0} already exists.', name));
      await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(u, '..'));
      await writeAtomic(store, keyOf(u), new TextEncoder().encode(text));
    },
    async replace(name, before, text) {
      const u = uri(name);
      const now = await readVersioned(store, keyOf(u));
      if (now.bytes.toString('utf8') !== before) throw new Error(vscode.l10n.t('{0} changed meanwhile: read it again.', name));
      await writeAtomic(store, keyOf(u), new TextEncoder().encode(text));
    },
    async trackers() {
      const globs = settings.get('tracker.globs');
      const found = (await Promise.all(globs.map((g) => vscode.workspace.findFiles(g, '**/node_modules/**', 20)))).flat();
      trackerPaths = new Map(found.map((u) => [vscode.workspace.asRelativePath(u, false), u]));
      return [...trackerPaths.keys()].sort();
    },
  };
}

export function operationHost(d: OperationHostDeps): OperationHost {
  return {
    proxmox: proxmoxAccess(d),
    kubernetes: d.kubernetes && kubernetesAccess(d.kubernetes),
    pipeline: d.pipeline && { state: async () => (await d.pipeline!.ensureLoaded(), d.pipeline!.current), ...d.pipelineRunner },
    deploy: d.deploy,
    journal: journalAccess(),
    migrations: { list: () => { const ws = vscode.workspace.workspaceFolders?.[0]; return ws?.uri.scheme === 'file' ? readMigrationStates(ws.uri.fsPath) : Promise.resolve([]); } },
    activity: (r) => d.operations.report(r),
  };
}
