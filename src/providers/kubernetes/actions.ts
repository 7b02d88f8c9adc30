// Everyday actions: scale, rollout restart, delete, view YAML, server-side apply of manifests,
// pod logs and exec. Each validates locally what it can and reports failures as KubeError.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { IncomingMessage } from 'node:http';
import type { ClientRequest } from 'node:http';
import { KubeClient } from './client';
import { isKubeError, KubeError } from './errors';
import { openKubeSocket, type WsClientSocket } from './websocket';
import { k8s, type K8s } from './lib';
import { apiVersionOf, KindName, KINDS, KubeObject, objectPath } from './resources';

// js-yaml, client-node's own YAML library. Not its dumpYaml/loadAllYaml: those run objects through
// the typed models, which drop fields they do not know (a typo in a manifest would vanish silently
// instead of being rejected by the server) and fail on empty documents.
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

/** A header-only object reference for client-node's KubernetesObjectApi. */
function ref(kind: KindName, namespace: string | undefined, name: string): { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } {
  const k = KINDS[kind];
  return { apiVersion: apiVersionOf(k), kind: k.kind, metadata: { name, ...(k.namespaced ? { namespace } : {}) } };
}

const patchAs = (type: string) => k8s().setHeaderOptions('Content-Type', type);

/** Sets replicas through the scale subresource; returns the new desired count. */
export async function scale(client: KubeClient, kind: ScalableKind, namespace: string, name: string, replicas: string | number): Promise<number> {
  if (kind !== 'deployments' && kind !== 'statefulsets') throw new KubeError('invalid', `${String(kind)} cannot be scaled; only Deployments and StatefulSets.`);
  const n = parseReplicas(replicas);
  const req = { name, namespace, body: { spec: { replicas: n } }, fieldManager: FIELD_MANAGER };
  const opts = patchAs(k8s().PatchStrategy.MergePatch);
  const res = await client.call({ method: 'PATCH', path: objectPath(kind, namespace, name, 'scale') }, () => kind === 'deployments'
    ? client.apps.patchNamespacedDeploymentScale(req, opts)
    : client.apps.patchNamespacedStatefulSetScale(req, opts));
  return Number(res.spec?.replicas ?? n);
}

/** `kubectl rollout restart`: stamps the pod template so the controller replaces every pod. */
export async function restart(client: KubeClient, kind: RestartableKind, namespace: string, name: string, now = new Date()): Promise<KubeObject> {
  if (!['deployments', 'statefulsets', 'daemonsets'].includes(kind)) throw new KubeError('invalid', `${String(kind)} cannot be restarted; only Deployments, StatefulSets and DaemonSets.`);
  const req = { name, namespace, body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: now.toISOString() } } } } }, fieldManager: FIELD_MANAGER };
  const opts = patchAs(k8s().PatchStrategy.StrategicMergePatch);
  const apps = client.apps;
  const res = await client.call({ method: 'PATCH', path: objectPath(kind, namespace, name) }, () => kind === 'deployments' ? apps.patchNamespacedDeployment(req, opts)
    : kind === 'statefulsets' ? apps.patchNamespacedStatefulSet(req, opts) : apps.patchNamespacedDaemonSet(req, opts));
  return res as unknown as KubeObject;
}

/** Deletes an object (dependents go in the background, like kubectl). `resourceVersion` makes it conditional. */
export async function remove(client: KubeClient, kind: KindName, namespace: string | undefined, name: string, opts: { resourceVersion?: string } = {}): Promise<void> {
  const body = { propagationPolicy: 'Background', ...(opts.resourceVersion ? { preconditions: { resourceVersion: opts.resourceVersion } } : {}) };
  await client.call({ method: 'DELETE', path: objectPath(kind, namespace, name) }, () => client.objects.delete(ref(kind, namespace, name), undefined, undefined, undefined, undefined, 'Background', body));
}

const REDACTED = '<redacted>';

/** An object as YAML for viewing: managedFields dropped; Secret values hidden unless `reveal`. */
export function toYaml(kind: KindName, obj: KubeObject, opts: { reveal?: boolean } = {}): string {
  // JSON round trip: typed client-node objects hold Dates and undefined fields js-yaml cannot dump
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
  const obj = await client.call({ method: 'GET', path: objectPath(kind, namespace, name) }, () => client.objects.read(ref(kind, namespace, name)));
  return toYaml(kind, obj as unknown as KubeObject, opts);
}

// ---------------------------------------------------------------- apply

export type ApplyOutcome = 'created' | 'configured' | 'unchanged' | 'failed';
export interface ApplyResult { source: string; kind: string; name: string; namespace?: string; outcome: ApplyOutcome; error?: KubeError }
export interface ApplyOptions { dryRun?: boolean; defaultNamespace?: string; force?: boolean; /** Default `homelab`. */ fieldManager?: string }

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
    const objects = client.objects;
    const ctx = { path };
    let before: KubeObject | undefined;
    try { before = await client.call({ ...ctx, method: 'GET' }, () => objects.read(body as K8s.KubernetesObject & { metadata: { name: string } })) as unknown as KubeObject; } catch (e) { if (!isKubeError(e, 'notFound')) throw e; }
    const after = await client.call({ ...ctx, method: 'PATCH' }, () => objects.patch(body as K8s.KubernetesObject, undefined, opts.dryRun ? 'All' : undefined, opts.fieldManager ?? FIELD_MANAGER, opts.force ? true : undefined, k8s().PatchStrategy.ServerSideApply)) as unknown as KubeObject;
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

/**
 * Streams a pod's log line by line through client-node's Log. Resolves once the stream is open
 * (so a missing pod or container throws here).
 */
export async function streamLogs(client: KubeClient, namespace: string, pod: string, o: LogOptions): Promise<LogStream> {
  // client-node's Log needs a container name: take kubectl's default when none is given, and
  // check a given one against the pod (its error answers carry no server message)
  const p = await client.call({ method: 'GET', path: objectPath('pods', namespace, pod) }, () => client.core.readNamespacedPod({ name: pod, namespace }));
  const spec = p.spec;
  const names = [...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...(spec?.ephemeralContainers ?? [])].map((c) => c.name);
  const container = o.container ?? p.metadata?.annotations?.['kubectl.kubernetes.io/default-container'] ?? spec?.containers?.[0]?.name ?? '';
  if (!names.includes(container)) {
    throw new KubeError('badRequest', `Bad request (400): container ${container || '(none)'} is not valid for pod ${pod}; it has ${names.join(', ') || 'no containers'}.`, { httpStatus: 400, namespace, resource: 'pods', objectName: pod });
  }
  const decoder = new StringDecoder('utf8');
  let buf = '';
  const lines = (text: string) => {
    buf += text;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) { o.onLine(buf.slice(0, i)); buf = buf.slice(i + 1); }
  };
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) { lines(decoder.write(chunk)); cb(); },
    final(cb) { lines(decoder.end()); if (buf) { o.onLine(buf); buf = ''; } cb(); },
  });
  const done = new Promise<void>((resolve) => { out.on('finish', resolve); out.on('close', resolve); out.on('error', () => resolve()); });
  // Log pipes the response into `out`; a pipe does not end its target when the source breaks
  // (connection cut), so watch the source ourselves
  out.on('pipe', (src: NodeJS.ReadableStream) => {
    const end = () => { if (!out.writableEnded) out.end(); };
    src.once('error', end);
    src.once('close', end);
  });
  const ac = await client.call({ method: 'GET', path: objectPath('pods', namespace, pod, 'log') }, () => new (k8s().Log)(client.kc).log(namespace, pod, container, out, {
    follow: o.follow, tailLines: o.tailLines, previous: o.previous, sinceSeconds: o.sinceSeconds, timestamps: o.timestamps,
  }));
  return { done, stop: () => { ac.abort(); if (!out.writableEnded) out.end(); } };
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

type WebSocketInterface = NonNullable<ConstructorParameters<typeof K8s.Exec>[1]>;

/**
 * The WebSocket connection for client-node's Exec: its own handler offers a fixed protocol list
 * and reports a refused upgrade without the server's Status, so we connect (with the same
 * kubeconfig auth and TLS options) and hand frames to Exec's handler.
 */
function execConnector(client: KubeClient, protocols: string[]): WebSocketInterface {
  return {
    connect: async (path: string, textHandler: ((text: string) => boolean) | null, binaryHandler: ((stream: number, buff: Buffer) => boolean) | null) => {
      const sock = await openKubeSocket(client, path, protocols, (s) => s.on('message', (data, isBinary) => {
        const keep = isBinary ? (binaryHandler?.(data[0], data.subarray(1)) ?? true) : (textHandler?.(data.toString('utf8')) ?? true);
        if (!keep) s.close(1000);
      }));
      return sock as never;
    },
  } as unknown as WebSocketInterface;
}

/** A Writable that looks like a terminal to client-node's Exec, which then sends its size changes. */
class TerminalOutput extends Writable {
  // own properties from the start: Exec checks `'rows' in stdout` to decide it is resizable
  rows: number | undefined = undefined;
  columns: number | undefined = undefined;
  constructor(private readonly sink: (b: Buffer) => void) { super(); }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void { this.sink(chunk); cb(); }
  setSize(cols: number, rows: number): void { this.columns = cols; this.rows = rows; this.emit('resize'); }
}

/** Runs a command in a container through client-node's Exec (channel.k8s.io v5, else v4). */
export async function exec(client: KubeClient, namespace: string, pod: string, o: ExecOptions): Promise<ExecSession> {
  if (!o.command.length) throw new KubeError('invalid', 'A command is required.');
  const stdout = new TerminalOutput((b) => o.onStdout(b));
  const stderr = o.tty ? null : new Writable({ write(chunk: Buffer, _enc, cb) { (o.onStderr ?? o.onStdout)(chunk); cb(); } });
  const stdin = o.stdin ? new PassThrough() : null;
  let exitStatus: ExecExit | undefined;
  const onStatus = (st: K8s.V1Status) => {
    if (st.status === 'Success') { exitStatus = { code: 0 }; return; }
    const code = st.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
    exitStatus = { code: code !== undefined ? Number(code) : -1, message: st.message };
  };
  const path = objectPath('pods', namespace, pod, 'exec');
  const lib = k8s();
  const sock = await client.call({ method: 'GET', path }, () => new lib.Exec(client.kc, execConnector(client, o.protocols ?? EXEC_PROTOCOLS))
    .exec(namespace, pod, o.container ?? '', o.command, stdout, stderr, stdin, !!o.tty, onStatus)) as unknown as WsClientSocket;
  const exit = new Promise<ExecExit>((resolve) => {
    sock.on('close', () => resolve(exitStatus ?? { code: -1, message: 'The exec connection closed before the command reported an exit status.' }));
    sock.on('error', () => { /* close follows */ });
  });
  // Exec's stdin and resize streams start flowing on the next tick; until then each buffers on its
  // own, and a resize followed by a write would reach the server in the wrong order
  await new Promise((r) => setImmediate(r));
  const v5 = sock.protocol.startsWith('v5');
  return {
    protocol: sock.protocol,
    write: (d) => { if (stdin && !stdin.writableEnded && sock.readyState === 1) stdin.write(Buffer.isBuffer(d) ? d : Buffer.from(d)); },
    // client-node ends stdin with a v5 close frame, but closes the whole socket on older protocols
    closeStdin: () => { if (stdin && v5 && !stdin.writableEnded) stdin.end(); },
    resize: (cols, rows) => stdout.setSize(Math.max(1, Math.floor(cols)), Math.max(1, Math.floor(rows))),
    close: () => sock.close(1000),
    exit,
  };
}
