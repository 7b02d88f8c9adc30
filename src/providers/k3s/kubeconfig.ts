// The cluster's kubeconfig: read from the first server's /etc/rancher/k3s/k3s.yaml (sudo over SSH),
// its server URL rewritten to the API address, cluster/user/context renamed homelab-<cluster>; then
// either a standalone 0600 file or merged into an existing kubeconfig (atomic, with a backup; an
// entry of the same name is never replaced unless the caller says so).
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { K3sError, KubeconfigConflictError } from './errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { load(s: string): unknown; dump(o: unknown, opts?: Record<string, unknown>): string } = require('js-yaml');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
type Named = { name: string } & Obj;

export interface KubeconfigDoc {
  apiVersion: 'v1';
  kind: 'Config';
  'current-context'?: string;
  clusters: Named[];
  users: Named[];
  contexts: Named[];
  preferences?: Obj;
  [k: string]: unknown;
}

function parse(text: string, where: string): KubeconfigDoc {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (e) {
    throw new K3sError('kubeconfig', `${where} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === undefined || doc === null) doc = {};
  if (!isObj(doc)) throw new K3sError('kubeconfig', `${where} is not a kubeconfig (expected a mapping with clusters, users and contexts).`);
  for (const key of ['clusters', 'users', 'contexts']) {
    const v = doc[key];
    if (v === undefined || v === null) doc[key] = [];
    else if (!Array.isArray(v) || v.some((e) => !isObj(e) || typeof e.name !== 'string')) throw new K3sError('kubeconfig', `${where}: "${key}" must be a list of named entries.`);
  }
  return { apiVersion: 'v1', kind: 'Config', ...doc } as KubeconfigDoc;
}

const dump = (doc: KubeconfigDoc) => yaml.dump(doc, { lineWidth: -1, noRefs: true });

/**
 * Turns K3s' k3s.yaml (one cluster/user/context named "default", server https://127.0.0.1:6443)
 * into Homelab's: one entry of each, named `name`, server `apiUrl`, current-context set.
 */
export function rewriteK3sKubeconfig(k3sYaml: string, name: string, apiUrl: string, source = 'k3s.yaml'): string {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) throw new K3sError('kubeconfig', `"${name}" is not a valid context name.`);
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new K3sError('kubeconfig', `"${apiUrl}" is not a URL.`);
  }
  if (url.protocol !== 'https:') throw new K3sError('kubeconfig', `The API address must be https, not ${apiUrl}.`);
  const doc = parse(k3sYaml, source);
  const ctxName = doc['current-context'] || doc.contexts[0]?.name;
  const ctx = doc.contexts.find((c) => c.name === ctxName);
  const inner = isObj(ctx?.context) ? ctx.context : undefined;
  const cluster = doc.clusters.find((c) => c.name === inner?.cluster);
  const user = doc.users.find((u) => u.name === inner?.user);
  if (!ctx || !inner || !cluster || !isObj(cluster.cluster) || !user || !isObj(user.user)) {
    throw new K3sError('kubeconfig', `${source} has no complete context (cluster, user and context): is K3s fully started?`);
  }
  if (!cluster.cluster['certificate-authority-data']) throw new K3sError('kubeconfig', `${source} carries no certificate-authority-data: Homelab verifies the API's certificate and needs the cluster CA.`);
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': name,
    clusters: [{ name, cluster: { ...cluster.cluster, server: apiUrl.replace(/\/+$/, '') } }],
    users: [{ name, user: { ...user.user } }],
    contexts: [{ name, context: { ...inner, cluster: name, user: name } }],
  });
}

/** Writes a file atomically (temp file in the same directory, fsync, rename) with the given mode. */
export async function writeFileAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const h = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, mode);
    try {
      await h.writeFile(text);
      await h.chmod(mode);
      await h.sync();
    } finally {
      await h.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new K3sError('kubeconfig-write', `Cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}. Check that its folder exists and is writable.`, { cause: e });
  }
}

/** Stores Homelab's kubeconfig on its own, readable by the user only. */
export async function writeStandaloneKubeconfig(path: string, kubeconfigYaml: string): Promise<void> {
  parse(kubeconfigYaml, 'the new kubeconfig');
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 }).catch((e) => {
    throw new K3sError('kubeconfig-write', `Cannot create ${dirname(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  });
  await writeFileAtomic(path, kubeconfigYaml, 0o600);
}

export interface MergeResult {
  /** Where the previous content was saved, when the file existed. */
  backup?: string;
  /** True when entries of that name were replaced (replace: true). */
  replaced: boolean;
}

async function readExisting(path: string): Promise<{ text: string; mode: number } | undefined> {
  try {
    const [text, st] = await Promise.all([fs.readFile(path, 'utf8'), fs.stat(path)]);
    return { text, mode: st.mode & 0o777 };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new K3sError('kubeconfig-write', `Cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
}

const backupPath = (path: string) => `${path}.homelab-backup`;

/**
 * Merges a one-context kubeconfig into `path` (e.g. ~/.kube/config). Entries of the same name
 * throw KubeconfigConflictError unless `replace`; the old file is copied to `<path>.homelab-backup`
 * first; the write is atomic and keeps the file's mode (0600 for a new file). `setCurrent` makes
 * the new context the current one.
 */
export async function mergeKubeconfig(path: string, kubeconfigYaml: string, o: { replace?: boolean; setCurrent?: boolean } = {}): Promise<MergeResult> {
  const incoming = parse(kubeconfigYaml, 'the new kubeconfig');
  const existing = await readExisting(path);
  const doc = existing ? parse(existing.text, path) : parse('', path);
  let replaced = false;
  for (const ctx of incoming.contexts) {
    const name = ctx.name;
    const clash = (['cluster', 'user', 'context'] as const).filter((k) => doc[`${k}s`].some((e) => e.name === name));
    if (clash.length && !o.replace) throw new KubeconfigConflictError(path, name, clash);
    if (clash.length) replaced = true;
  }
  const names = new Set(incoming.contexts.map((c) => c.name));
  for (const key of ['clusters', 'users', 'contexts'] as const) {
    const incomingNames = new Set(incoming[key].map((e) => e.name));
    doc[key] = [...doc[key].filter((e) => !incomingNames.has(e.name)), ...incoming[key]];
  }
  if (o.setCurrent && incoming['current-context']) doc['current-context'] = incoming['current-context'];
  else if (!doc['current-context']) doc['current-context'] = [...names][0];
  let backup: string | undefined;
  if (existing) {
    backup = backupPath(path);
    await writeFileAtomic(backup, existing.text, 0o600); // it holds credentials: private whatever the original's mode
  } else {
    await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 }).catch(() => undefined);
  }
  await writeFileAtomic(path, dump(doc), existing?.mode ?? 0o600);
  return { backup, replaced };
}

/** Removes the cluster, user and context named `name` (Uninstall); atomic, with a backup. False when none was there. */
export async function removeKubeconfigEntries(path: string, name: string): Promise<boolean> {
  const existing = await readExisting(path);
  if (!existing) return false;
  const doc = parse(existing.text, path);
  const before = doc.clusters.length + doc.users.length + doc.contexts.length;
  for (const key of ['clusters', 'users', 'contexts'] as const) doc[key] = doc[key].filter((e) => e.name !== name);
  if (doc.clusters.length + doc.users.length + doc.contexts.length === before) return false;
  if (doc['current-context'] === name) doc['current-context'] = doc.contexts[0]?.name ?? '';
  await writeFileAtomic(backupPath(path), existing.text, 0o600);
  await writeFileAtomic(path, dump(doc), existing.mode);
  return true;
}
