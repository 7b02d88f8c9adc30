// The catalog's host in the standalone MCP server: pinned Proxmox clients from the config file,
// tasks followed directly (no terminal: progress goes to the MCP client), kubeconfig files from the
// config, the journal folder on disk, and the audit line in its activity.md (and on stderr).
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { JournalAccess, KubernetesAccess, OperationHost, ProxmoxAccess } from '../operations/types';
import { clusterTrust, followTask, ProxmoxClient } from '../providers/proxmox';
import { appendActivity, editFile, formatActivityLine, nodeFileStore, readVersioned, writeAtomic } from '../providers/markdown';
import * as kubernetesModules from '../providers/kubernetes';
import { PIPELINE_STATE_FILE } from '../providers/nix/pipeline-file';
import { readMigrationStates } from '../providers/postgres/migration-state';
import type { PipelineState } from '../providers/nix/pipeline';
import { authOf, readSecret, type McpConfig } from './config';

async function pipelineState(file: string): Promise<PipelineState | undefined> {
  try {
    return JSON.parse((await nodeFileStore().read(file)).toString()) as PipelineState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export interface McpHost extends OperationHost {
  close(): Promise<void>;
}

function proxmoxAccess(cfg: McpConfig): ProxmoxAccess & { close(): Promise<void> } {
  const clients = new Map<string, Promise<ProxmoxClient>>();
  const create = async (id: string) => {
    const c = cfg.clusters.find((x) => x.id === id);
    if (!c) throw new Error(`No cluster with id "${id}".`);
    // The same rule as the extension's Connections: the pin wins, else the CA file; never neither.
    const { caPem } = await clusterTrust(c);
    if (!c.fingerprint && !caPem) throw new Error(`Cluster "${c.name}" has neither a pinned fingerprint nor a CA file.`);
    return new ProxmoxClient({ url: c.url, fingerprint: c.fingerprint, caPem, auth: authOf(c, readSecret(c)), timeoutMs: cfg.requestTimeoutMs });
  };
  return {
    clusters: () => cfg.clusters.map((c) => ({ id: c.id, name: c.name })),
    client(id) {
      let p = clients.get(id);
      if (!p) {
        p = create(id);
        clients.set(id, p);
        p.catch(() => clients.delete(id));
      }
      return p;
    },
    followTask: (_id, client, upid, o) => followTask(client, upid, {
      signal: o.signal, pollMs: 500,
      onLog: (lines) => { const last = lines[lines.length - 1]; if (last) o.progress?.report(last.slice(0, 200)); },
    }),
    shutdownTimeout: () => cfg.shutdownTimeout,
    async close() {
      for (const p of clients.values()) await p.then((c) => c.close(), () => {});
    },
  };
}

function kubernetesAccess(cfg: McpConfig): KubernetesAccess | undefined {
  if (!cfg.kubeconfig.length) return undefined;
  // A process of its own: the Kubernetes provider is part of the bundle, no lazy loading needed.
  const modules = async () => kubernetesModules;
  const clients = new Map<string, import('../operations/types').KubeClient>();
  const load = async () => (await modules()).kubeconfig.loadKubeconfig({ paths: cfg.kubeconfig });
  return {
    modules,
    async contexts() {
      const k = await load();
      return k.contexts.map((c) => ({ name: c.name, cluster: c.cluster, namespace: c.namespace, current: c.name === k.currentContext }));
    },
    async client(context) {
      const m = await modules();
      const k = await load();
      const name = context ?? k.currentContext;
      if (!name) throw new Error(`No current context in ${cfg.kubeconfig.join(', ')}: name one in "context".`);
      let c = clients.get(name);
      if (!c) {
        c = new m.client.KubeClient(m.kubeconfig.connectionFor(k, name));
        clients.set(name, c);
      }
      return c;
    },
  };
}

function journalAccess(cfg: McpConfig): JournalAccess | undefined {
  const folder = cfg.journal;
  if (!folder) return undefined;
  const store = nodeFileStore();
  const trackers = new Map(cfg.trackers.map((p) => [basename(p), p]));
  const pathOf = (name: string) => {
    const t = trackers.get(name);
    if (t) return t;
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new Error(`"${name}" is not a file name of the journal.`);
    return join(folder, name);
  };
  const read = async (name: string) => {
    try {
      return (await store.read(pathOf(name))).toString();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  };
  return {
    async list() {
      try {
        return readdirSync(folder).filter((n) => n.endsWith('.md') && statSync(join(folder, n)).isFile()).sort();
      } catch {
        return [];
      }
    },
    read,
    async create(name, text) {
      if ((await read(name)) !== undefined) throw new Error(`${name} already exists.`);
      await writeAtomic(store, pathOf(name), Buffer.from(text, 'utf8'));
    },
    async replace(name, before, text) {
      const now = await readVersioned(store, pathOf(name));
      if (now.bytes.toString('utf8') !== before) throw new Error(`${name} changed meanwhile: read it again.`);
      await writeAtomic(store, pathOf(name), Buffer.from(text, 'utf8'));
    },
    trackers: async () => [...trackers.keys()],
  };
}

export function mcpHost(cfg: McpConfig, log: (line: string) => void): McpHost {
  const proxmox = cfg.clusters.length ? proxmoxAccess(cfg) : undefined;
  const store = nodeFileStore();
  let queue: Promise<void> = Promise.resolve();
  return {
    proxmox,
    kubernetes: kubernetesAccess(cfg),
    journal: journalAccess(cfg),
    pipeline: cfg.workspace ? { state: () => pipelineState(join(cfg.workspace!, PIPELINE_STATE_FILE)) } : undefined,
    migrations: cfg.workspace ? { list: () => readMigrationStates(cfg.workspace!) } : undefined,
    activity(r) {
      const line = formatActivityLine({ ...r, when: new Date() });
      log(`activity: ${line}`);
      if (!cfg.journal) return Promise.resolve();
      const file = join(cfg.journal, 'activity.md');
      // One append at a time, lossless: an outside edit in between is re-read and kept.
      queue = queue.then(async () => {
        let existing: Awaited<ReturnType<typeof readVersioned>> | undefined;
        try {
          existing = await readVersioned(store, file);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
        if (!existing) await writeAtomic(store, file, appendActivity(undefined, line));
        else await editFile(store, file, existing.version, (bytes) => appendActivity(bytes, line));
      }).catch((e: unknown) => log(`activity log: ${e instanceof Error ? e.message : String(e)}`));
      return queue;
    },
    close: async () => proxmox?.close(),
  };
}
