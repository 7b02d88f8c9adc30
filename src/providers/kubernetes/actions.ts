// Everyday actions: scale, rollout restart, delete, view YAML, server-side apply of manifests,
// pod logs and exec. Each validates locally what it can and reports failures as KubeError.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { KubeClient, WsClientSocket } from './client';
import { isKubeError, KubeError } from './errors';
import { KindName, KubeObject, objectPath } from './resources';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { loadAll(s: string): unknown[]; dump(o: unknown, opts?: { noRefs?: boolean; lineWidth?: number; sortKeys?: boolean }): string } = require('js-yaml');

export const FIELD_MANAGER = 'homelab';
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
export const MAX_REPLICAS = 1000;

export type ScalableKind = 'deployments' | 'statefulsets';
export type RestartableKind = 'deployments' | 'statefulsets' | 'daemonsets';

/** Checks a replica count typed by a user; returns the number or throws KubeError('invalid'). */
export function parseReplicas(input: string | number): number {
  const n = typeof input === 'number' ? input : /^\s*\d+\s*$/.test(input) ? Number(input) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > MAX_REPLICAS) {
    throw new KubeError('invalid', `Replicas must be a whole number from 0 to ${MAX_REPLICAS}; got "${String(input).trim()}".`);
  }
  return n;
}

/** Sets replicas through the scale subresource; returns the new desired count. */
export async function scale(client: KubeClient, kind: ScalableKind, namespace: string, name: string, replicas: string | number): Promise<number> {
  if (kind !== 'deployments' && kind !== 'statefulsets') throw new KubeError('invalid', `${String(kind)} cannot be scaled; only Deployments and StatefulSets.`);
  const n = parseReplicas(replicas);
  const res = await client.request<{ spec: { replicas: number } }>('PATCH', objectPath(kind, namespace, name, 'scale'), {
    body: { spec: { replicas: n } }, contentType: 'application/merge-patch+json', query: { fieldManager: FIELD_MANAGER },
  });
  return res.spec.replicas;
}

/** `kubectl rollout restart`: stamps the pod template so the controller replaces every pod. */
export async function restart(client: KubeClient, kind: RestartableKind, namespace: string, name: string, now = new Date()): Promise<KubeObject> {
  if (!['deployments', 'statefulsets', 'daemonsets'].includes(kind)) throw new KubeError('invalid', `${String(kind)} cannot be restarted; only Deployments, StatefulSets and DaemonSets.`);
  return client.request<KubeObject>('PATCH', objectPath(kind, namespace, name), {
    body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: now.toISOString() } } } } },
    contentType: 'application/strategic-merge-patch+json', query: { fieldManager: FIELD_MANAGER },
  });
}

/** Deletes an object (dependents go in the background, like kubectl). `resourceVersion` makes it conditional. */
export async function remove(client: KubeClient, kind: KindName, namespace: string | undefined, name: string, opts: { resourceVersion?: string } = {}): Promise<void> {
  await client.request('DELETE', objectPath(kind, namespace, name), {
    body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', ...(opts.resourceVersion ? { preconditions: { resourceVersion: opts.resourceVersion } } : {}) },
  });
}

const REDACTED = '<redacted>';

/** An object as YAML for viewing: managedFields dropped; Secret values hidden unless `reveal`. */
export function toYaml(kind: KindName, obj: KubeObject, opts: { reveal?: boolean } = {}): string {
  const o = JSON.parse(JSON.stringify(obj)) as KubeObject;
  delete o.metadata.managedFields;
  if (kind === 'secrets' && !opts.reveal) {
    for (const field of ['data', 'stringData'] as const) {
      const d = o[field];
      if (d) for (const k of Object.keys(d)) d[k] = REDACTED;
    }
    // kubectl's client-side apply keeps the whole manifest, values included, in an annotation
    const ann = o.metadata.annotations;
    if (ann?.['kubectl.kubernetes.io/last-applied-configuration']) ann['kubectl.kubernetes.io/last-applied-configuration'] = REDACTED;
  }
  return yaml.dump(o, { noRefs: true, lineWidth: 120 });
}

export async function getYaml(client: KubeClient, kind: KindName, namespace: string | undefined, name: string, opts: { reveal?: boolean } = {}): Promise<string> {
  return toYaml(kind, await client.request<KubeObject>('GET', objectPath(kind, namespace, name)), opts);
}

// ---------------------------------------------------------------- apply

export type ApplyOutcome = 'created' | 'configured' | 'unchanged' | 'failed';
export interface ApplyResult { source: string; kind: string; name: string; namespace?: string; outcome: ApplyOutcome; error?: KubeError }
export interface ApplyOptions { dryRun?: boolean; defaultNamespace?: string; force?: boolean }

interface Manifest { source: string; doc: KubeObject }

/** Files of a manifest path: the file itself, or the .yaml/.yml/.json files of a folder (sorted, recursive). */
export function manifestFiles(path: string): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((n) => {
    const p = join(path, n);
    if (statSync(p).isDirectory()) return manifestFiles(p);
    return ['.yaml', '.yml', '.json'].includes(extname(n).toLowerCase()) ? [p] : [];
  });
}

/** Parses multi-document YAML (and `kind: List`) into objects; throws KubeError('invalid') naming the file. */
export function parseManifests(text: string, source: string): KubeObject[] {
  let docs: unknown[];
  try { docs = yaml.loadAll(text); } catch (e) {
    throw new KubeError('invalid', `${source} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const out: KubeObject[] = [];
  const add = (d: unknown, i: number) => {
    if (d === null || d === undefined) return;
    const o = d as KubeObject;
    if (typeof d !== 'object' || Array.isArray(d) || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
      throw new KubeError('invalid', `${source}, document ${i + 1}: not a Kubernetes object (apiVersion and kind are required).`);
    }
    const items = (o as { items?: unknown }).items;
    if (o.kind.endsWith('List') && Array.isArray(items)) { items.forEach((x) => add(x, i)); return; }
    if (!o.metadata || typeof o.metadata.name !== 'string' || !o.metadata.name) throw new KubeError('invalid', `${source}, document ${i + 1} (${o.kind}): metadata.name is required.`);
    out.push(o);
  };
  docs.forEach(add);
  return out;
}

interface Discovered { plural: string; namespaced: boolean }
const discoveryCache = new WeakMap<KubeClient, Map<string, Promise<{ resources: { name: string; kind: string; namespaced: boolean }[] }>>>();

/** Maps apiVersion+kind to its plural and scope through API discovery (works for any kind the server serves). */
export async function discover(client: KubeClient, apiVersion: string, kind: string): Promise<Discovered> {
  let m = discoveryCache.get(client);
  if (!m) { m = new Map(); discoveryCache.set(client, m); }
  let p = m.get(apiVersion);
  if (!p) {
    p = client.request('GET', apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
    m.set(apiVersion, p);
    p.catch(() => m!.delete(apiVersion));
  }
  let list: Awaited<typeof p>;
  try { list = await p; } catch (e) {
    if (isKubeError(e, 'notFound')) throw new KubeError('invalid', `The cluster does not serve apiVersion ${apiVersion}.`);
    throw e;
  }
  const r = list.resources.find((x) => x.kind === kind && !x.name.includes('/'));
  if (!r) throw new KubeError('invalid', `The cluster does not know kind ${kind} in ${apiVersion}.`);
  return { plural: r.name, namespaced: r.namespaced };
}

/** Canonical JSON (sorted keys) of an object without server bookkeeping and status. */
function comparable(o: KubeObject): string {
  const c = JSON.parse(JSON.stringify(o)) as KubeObject;
  for (const k of ['resourceVersion', 'managedFields', 'generation', 'uid', 'creationTimestamp']) delete c.metadata[k];
  delete c.status;
  const canon = (v: unknown): unknown => Array.isArray(v) ? v.map(canon)
    : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(canon(c));
}

/** Server-side applies one object (fieldManager `homelab`). */
export async function applyObject(client: KubeClient, doc: KubeObject, opts: ApplyOptions = {}, source = '(inline)'): Promise<ApplyResult> {
  const result: ApplyResult = { source, kind: doc.kind ?? '?', name: doc.metadata?.name ?? '?', outcome: 'failed' };
  try {
    const d = await discover(client, doc.apiVersion!, doc.kind!);
    const ns = d.namespaced ? doc.metadata.namespace ?? opts.defaultNamespace ?? client.namespace : undefined;
    result.namespace = ns;
    const body = JSON.parse(JSON.stringify(doc)) as KubeObject;
    if (ns) body.metadata.namespace = ns;
    const [group, version] = doc.apiVersion!.includes('/') ? doc.apiVersion!.split('/') : ['', doc.apiVersion!];
    const path = `${group ? `/apis/${group}/${version}` : `/api/${version}`}${ns ? `/namespaces/${encodeURIComponent(ns)}` : ''}/${d.plural}/${encodeURIComponent(doc.metadata.name)}`;
    let before: KubeObject | undefined;
    try { before = await client.request<KubeObject>('GET', path); } catch (e) { if (!isKubeError(e, 'notFound')) throw e; }
    const after = await client.request<KubeObject>('PATCH', path, {
      body: JSON.stringify(body), contentType: 'application/apply-patch+yaml',
      query: { fieldManager: FIELD_MANAGER, force: opts.force ? true : undefined, dryRun: opts.dryRun ? 'All' : undefined },
    });
    // Compare content, not resourceVersion: a controller's status write between our GET and the
    // apply bumps it without our manifest having changed anything (and dry-run never bumps it).
    const same = before !== undefined && comparable(before) === comparable(after);
    result.outcome = !before ? 'created' : same ? 'unchanged' : 'configured';
  } catch (e) {
    result.error = isKubeError(e) ? e : new KubeError('invalid', (e as Error).message);
    result.outcome = 'failed';
  }
  return result;
}

/** Applies a manifest file or folder. Namespaces go first; one failing object does not stop the rest. */
export async function applyPath(client: KubeClient, path: string, opts: ApplyOptions = {}): Promise<ApplyResult[]> {
  const manifests: Manifest[] = [];
  for (const file of manifestFiles(path)) for (const doc of parseManifests(readFileSync(file, 'utf8'), file)) manifests.push({ source: file, doc });
  manifests.sort((a, b) => Number(b.doc.kind === 'Namespace') - Number(a.doc.kind === 'Namespace'));
  const results: ApplyResult[] = [];
  for (const m of manifests) results.push(await applyObject(client, m.doc, opts, m.source));
  return results;
}

export function applySummary(results: ApplyResult[]): string {
  return results.map((r) => `${r.kind.toLowerCase()}/${r.name}${r.namespace ? ` (${r.namespace})` : ''} ${r.outcome}${r.error ? ': ' + r.error.message : ''}`).join('\n');
}

// ---------------------------------------------------------------- logs

export interface LogOptions {
  container?: string;
  tailLines?: number;
  follow?: boolean;
  previous?: boolean;
  sinceSeconds?: number;
  timestamps?: boolean;
  onLine(line: string): void;
}
export interface LogStream { done: Promise<void>; stop(): void }

/** Streams a pod's log line by line. Resolves once the stream is open (so 400/404 throw here). */
export async function streamLogs(client: KubeClient, namespace: string, pod: string, o: LogOptions): Promise<LogStream> {
  const ac = new AbortController();
  const res = await client.stream(objectPath('pods', namespace, pod, 'log'), {
    container: o.container, tailLines: o.tailLines, follow: o.follow ? true : undefined, previous: o.previous ? true : undefined,
    sinceSeconds: o.sinceSeconds, timestamps: o.timestamps ? true : undefined,
  }, ac.signal);
  res.setEncoding('utf8');
  let buf = '';
  const done = new Promise<void>((resolve) => {
    res.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) { o.onLine(buf.slice(0, i)); buf = buf.slice(i + 1); }
    });
    const end = () => { if (buf) { o.onLine(buf); buf = ''; } resolve(); };
    res.on('end', end);
    res.on('close', end);
    res.on('error', end);
  });
  return { done, stop: () => ac.abort() };
}

// ---------------------------------------------------------------- exec

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

export interface ExecOptions {
  command: string[];
  container?: string;
  tty?: boolean;
  stdin?: boolean;
  onStdout(data: Buffer): void;
  onStderr?(data: Buffer): void;
  /** Subprotocols to offer, most preferred first (default v5 then v4). */
  protocols?: string[];
}
export interface ExecExit { code: number; message?: string }
export interface ExecSession {
  protocol: string;
  write(data: string | Buffer): void;
  /** Ends stdin (v5 protocol only; on v4 the session must be closed instead). */
  closeStdin(): void;
  resize(cols: number, rows: number): void;
  close(): void;
  exit: Promise<ExecExit>;
}

/** Runs a command in a container over WebSocket (channel.k8s.io v5, else v4). */
export async function exec(client: KubeClient, namespace: string, pod: string, o: ExecOptions): Promise<ExecSession> {
  if (!o.command.length) throw new KubeError('invalid', 'A command is required.');
  const sock: WsClientSocket = await client.websocket(objectPath('pods', namespace, pod, 'exec'), {
    command: o.command, container: o.container, stdin: o.stdin ? true : undefined, stdout: true, stderr: o.tty ? undefined : true, tty: o.tty ? true : undefined,
  }, o.protocols ?? EXEC_PROTOCOLS);
  let exitStatus: ExecExit | undefined;
  const exit = new Promise<ExecExit>((resolve) => {
    sock.on('message', (data: Buffer) => {
      if (!data.length) return;
      const ch = data[0];
      const payload = data.subarray(1);
      if (ch === 1) o.onStdout(payload);
      else if (ch === 2) (o.onStderr ?? o.onStdout)(payload);
      else if (ch === 3 && payload.length) {
        try {
          const st = JSON.parse(payload.toString('utf8')) as { status?: string; message?: string; reason?: string; details?: { causes?: { reason?: string; message?: string }[] } };
          if (st.status === 'Success') exitStatus = { code: 0 };
          else {
            const code = st.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
            exitStatus = { code: code !== undefined ? Number(code) : -1, message: st.message };
          }
        } catch { exitStatus = { code: -1, message: payload.toString('utf8') }; }
      }
    });
    sock.on('close', () => resolve(exitStatus ?? { code: -1, message: 'The exec connection closed before the command reported an exit status.' }));
    sock.on('error', () => { /* close follows */ });
  });
  const send = (ch: number, data: Buffer) => { if (sock.readyState === 1) sock.send(Buffer.concat([Buffer.from([ch]), data])); };
  return {
    protocol: sock.protocol,
    write: (d) => send(0, Buffer.isBuffer(d) ? d : Buffer.from(d)),
    closeStdin: () => { if (sock.protocol.startsWith('v5')) send(255, Buffer.from([0])); },
    resize: (cols, rows) => send(4, Buffer.from(JSON.stringify({ Width: Math.max(1, Math.floor(cols)), Height: Math.max(1, Math.floor(rows)) }))),
    close: () => sock.close(1000),
    exit,
  };
}

