// HTTPS Kubernetes API test server: the subset of kube-apiserver the extension uses, served with
// the same paths, Status objects, watch framing and content types, plus fault hooks for tests.
import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Controller } from './controller';
import { EXEC_PROTOCOLS, runExec } from './exec';
import { runBoundExec, type BoundExec, type ExecBinding } from './exec-bound';
import { PORTFORWARD_PROTOCOLS, runPortForward } from './portforward';
import { issueClientCert, makeTestPki, TestPki } from './certs';
import { clone, deepEqual, deletePath, getPath, isObject, Json, JsonObject, jsonPatch, leafPaths, mergePatch, strategicMergePatch } from './patch';
import { apiVersionOf, findServed, SERVED, ServedResource } from './resources';
import { K8sObject, Store, StoreError, StoreEvent } from './store';
import { ws } from './ws';
import { KubeconfigSpec, writeKubeconfig } from './kubeconfig';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { load(s: string): unknown } = require('js-yaml');

export interface K8sServerOptions {
  /**
   * Port-forward streams start with each channel's port number (default true, as a kubelet does);
   * false sends data and errors at once (the client must not rely on the header).
   */
  portForwardHeaders?: boolean;
  /** Accepted bearer tokens; default one random token. Empty array disables token auth. */
  tokens?: string[];
  /** Accept client certificates signed by the server's client CA (default true). */
  clientCertAuth?: boolean;
  /** Events kept for watch resumption; older resourceVersions get 410 Gone (default 1000). */
  historyWindow?: number;
  /** Run the Deployment/StatefulSet/DaemonSet controller (default true). */
  controller?: boolean;
  /** Delay before a created pod becomes Running and ready (default 300 ms). */
  podReadyDelayMs?: number;
  /** Interval of BOOKMARK events on watches that allow them (default 1000 ms). */
  bookmarkIntervalMs?: number;
  /** Namespaces created at start (default ['default', 'kube-system']). */
  namespaces?: string[];
  /** How a watch from an expired resourceVersion fails: an ERROR event in a 200 stream as
   * kube-apiserver does (default), or an HTTP 410 Status response. */
  goneAs?: 'event' | 'status';
  pki?: TestPki;
}

export interface RequestCounts {
  total: number; list: number; watch: number; get: number; create: number; update: number; patch: number; delete: number;
  log: number; exec: number; discovery: number; unauthorized: number; forbidden: number;
}

export interface K8sTestServer {
  url: string;
  caPem: string;
  token: string;
  clientCertPem: string;
  clientKeyPem: string;
  /** Writes a kubeconfig (default: one context `test` with the token) and returns its path. */
  writeKubeconfig(path: string, spec?: Partial<KubeconfigSpec>): string;
  requestCounts: RequestCounts;
  resetCounts(): void;
  store: Store;
  /** Breaks every open watch connection (socket destroyed mid-stream; `graceful` ends it cleanly). */
  cutWatches(opts?: { graceful?: boolean }): number;
  /** Breaks every open log follow (socket destroyed mid-stream). */
  cutLogs(): number;
  /** Connections to `port` of a pod (`'*'`: any pod of the namespace) go to 127.0.0.1:`localPort` (port-forward). */
  bindPort(namespace: string, pod: string, port: number, localPort: number): void;
  /**
   * Execs into a pod of `namespace` whose name starts with `podNamePrefix` run the REAL command
   * locally (`spawn(command[0], rest, { env, cwd })`) instead of the tiny shell: stdin/stdout/stderr
   * streamed binary-safe, the real exit status on channel 3, the process killed when the stream closes.
   */
  bindExec(namespace: string, podNamePrefix: string, binding?: ExecBinding): void;
  /** Cuts running bound exec streams abruptly (socket destroyed, no status; process killed): all, or those of pods starting with `podNamePrefix`. Returns how many. */
  cutExec(podNamePrefix?: string): number;
  /** Bound exec streams running now. */
  openExecs(): number;
  /** Claims of this StorageClass bind: a PersistentVolume is made and the claim Bound (as K3s's local-path provisioner does). */
  provisionClass(name: string): void;
  /** Open port-forward connections (a deleted pod's are closed, as the kubelet's streams end). */
  openPortForwards(): number;
  /** Forgets history: resuming a watch from any earlier resourceVersion now gets 410 Gone. */
  expireHistory(opts?: { cutWatches?: boolean }): void;
  forbidNamespace(ns: string): void;
  allowNamespace(ns: string): void;
  /**
   * RBAC with namespace-scoped roles only: a list or watch of these resources across all namespaces
   * (or of the namespaces themselves) is refused with 403 "... at the cluster scope", as a
   * kube-apiserver refuses a user whose RoleBindings grant them namespace by namespace. Only for
   * `user` (a client certificate's CN, see issueClientCert) when given, else for everyone.
   */
  forbidClusterScope(plurals: string[], user?: string): void;
  allowClusterScope(): void;
  /**
   * RBAC that leaves one resource out of a namespace (a Role without `secrets`): every verb on it
   * there is refused with 403, and so are its lists and watches across namespaces (they would
   * include it). For `user` when given, else for everyone.
   */
  forbidResource(plural: string, namespace: string, user?: string): void;
  setLatency(ms: number): void;
  addToken(token: string): void;
  /** Makes a token invalid from now on, as an expired service-account token is (401). */
  revokeToken(token: string): void;
  issueClientCert(user: string): { certPem: string; keyPem: string };
  openWatches(): number;
  close(): Promise<void>;
}

interface Watcher { res: ServerResponse; socket: Duplex; stop(): void }

function status(code: number, reason: string, message: string, details?: JsonObject): JsonObject {
  const s: JsonObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return s;
}

class HttpError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details?: JsonObject) { super(message); }
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) { res.destroy(); return; }
  if (e instanceof StoreError || e instanceof HttpError) { sendJson(res, e.code, status(e.code, e.reason, e.message, e.details)); return; }
  sendJson(res, 500, status(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Equality-based label selectors (`a=b`, `a==b`, `a!=b`, `a`, `!a`) and `in (...)`. */
export function matchesLabels(selector: string | null, labels: Record<string, unknown> | undefined): boolean {
  if (!selector) return true;
  const l = labels ?? {};
  const parts = selector.match(/([^,(]+(\([^)]*\))?)/g) ?? [];
  return parts.every((raw) => {
    const p = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/))) { const vals = m[3].split(',').map((v) => v.trim()); const has = vals.includes(String(l[m[1]])); return m[2] === 'in' ? has : !has; }
    if ((m = p.match(/^([^!=]+)!=(.*)$/))) return l[m[1].trim()] !== m[2].trim();
    if ((m = p.match(/^([^!=]+)==?(.*)$/))) return l[m[1].trim()] === m[2].trim();
    if (p.startsWith('!')) return !(p.slice(1) in l);
    return p in l;
  });
}

function matchesFields(selector: string | null, o: K8sObject): boolean {
  if (!selector) return true;
  return selector.split(',').every((part) => {
    const neg = part.includes('!=');
    const [k, v] = part.split(/!?==?/);
    const actual = k === 'metadata.name' ? o.metadata.name : k === 'metadata.namespace' ? o.metadata.namespace : String(getPath(o as Json, '.' + k) ?? '');
    return neg ? actual !== v : actual === v;
  });
}

// --- server-side apply field ownership, stored like the apiserver's managedFields (FieldsV1) ---
function toFieldsV1(paths: Iterable<string>): JsonObject {
  const root: JsonObject = {};
  for (const p of paths) {
    let cur = root;
    for (const seg of p.split('.').slice(1)) { const k = `f:${seg}`; cur[k] = isObject(cur[k]) ? cur[k] : {}; cur = cur[k] as JsonObject; }
  }
  return root;
}
function fromFieldsV1(f: Json | undefined, prefix = ''): string[] {
  if (!isObject(f)) return [];
  const keys = Object.keys(f).filter((k) => k.startsWith('f:'));
  if (!keys.length) return prefix ? [prefix] : [];
  return keys.flatMap((k) => fromFieldsV1(f[k], `${prefix}.${k.slice(2)}`));
}
function appliedLeaves(applied: JsonObject): Map<string, Json> {
  const a = clone(applied);
  delete a.apiVersion; delete a.kind; delete a.status;
  if (isObject(a.metadata)) { for (const k of ['name', 'namespace', 'resourceVersion', 'uid', 'managedFields', 'creationTimestamp', 'generation']) delete a.metadata[k]; }
  return leafPaths(a);
}

export async function startK8sServer(opts: K8sServerOptions = {}): Promise<K8sTestServer> {
  const pki = opts.pki ?? makeTestPki();
  const tokens = new Set(opts.tokens ?? [randomBytes(24).toString('hex')]);
  const firstToken = [...tokens][0] ?? '';
  const clientCertAuth = opts.clientCertAuth ?? true;
  const store = new Store(opts.historyWindow ?? 1000);
  const controller = opts.controller === false ? undefined : new Controller(store, opts.podReadyDelayMs ?? 300);
  const forbidden = new Set<string>();
  const clusterForbidden = new Map<string, Set<string>>(); // user ('*': everyone) -> plurals
  const resourceForbidden = new Map<string, Set<string>>(); // `${namespace}/${plural}` -> users ('*': everyone)
  const watchers = new Set<Watcher>();
  const logFollowers = new Set<Watcher>();
  const bookmarkMs = opts.bookmarkIntervalMs ?? 1000;
  const goneAs = opts.goneAs ?? 'event';
  let latencyMs = 0;
  const zero = (): RequestCounts => ({ total: 0, list: 0, watch: 0, get: 0, create: 0, update: 0, patch: 0, delete: 0, log: 0, exec: 0, discovery: 0, unauthorized: 0, forbidden: 0 });
  const requestCounts = zero();
  const portBinds = new Map<string, number>();
  const forwards = new Map<{ close(): void }, { ns: string; pod: string }>();
  const execBinds = new Set<{ namespace: string; prefix: string; binding: ExecBinding }>();
  const boundExecs = new Set<BoundExec>();
  store.on('event', (ev: StoreEvent) => {
    if (ev.plural !== 'pods' || ev.type !== 'DELETED') return;
    for (const [f, at] of forwards) if (at.ns === ev.namespace && at.pod === ev.object.metadata.name) { forwards.delete(f); f.close(); }
  });
  const wss = ws.WebSocketServer ? new ws.WebSocketServer({ noServer: true, handleProtocols: (p) => EXEC_PROTOCOLS.find((x) => p.has(x)) ?? false }) : undefined;

  for (const ns of opts.namespaces ?? ['default', 'kube-system']) store.create('namespaces', { metadata: { name: ns } });

  const server: Server = createServer({ key: pki.serverKeyPem, cert: pki.serverCertPem, ca: pki.caPem, requestCert: clientCertAuth, rejectUnauthorized: false });

  /** The authenticated user, or undefined (401). */
  function authenticate(req: IncomingMessage): string | undefined {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return tokens.has(auth.slice(7).trim()) ? 'token-user' : undefined;
    const sock = req.socket as TLSSocket;
    if (clientCertAuth && sock.authorized) {
      const cert = sock.getPeerCertificate();
      return cert?.subject?.CN ? String(cert.subject.CN) : 'cert-user';
    }
    return undefined;
  }

  function discovery(path: string): JsonObject | undefined {
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const resourceList = (group: string, version: string): JsonObject | undefined => {
      const rs = SERVED.filter((r) => r.group === group && r.version === version);
      if (!rs.length) return undefined;
      const resources: Json[] = [];
      for (const r of rs) {
        resources.push({ name: r.plural, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: r.plural === 'selfsubjectaccessreviews' ? ['create'] : ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ...(r.shortNames ? { shortNames: r.shortNames } : {}) });
        for (const s of r.subresources ?? []) {
          const kind = s === 'scale' ? 'Scale' : s === 'exec' ? 'PodExecOptions' : s === 'log' ? 'Pod' : s === 'eviction' ? 'Eviction' : r.kind;
          resources.push({ name: `${r.plural}/${s}`, singularName: '', namespaced: r.namespaced, kind, verbs: s === 'exec' ? ['create', 'get'] : s === 'log' ? ['get'] : s === 'eviction' ? ['create'] : ['get', 'patch', 'update'], ...(s === 'scale' ? { group: 'autoscaling', version: 'v1' } : s === 'eviction' ? { group: 'policy', version: 'v1' } : {}) });
        }
      }
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
    };
    if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] };
    if (path === '/api/v1') return resourceList('', 'v1');
    const groups = [...new Set(SERVED.filter((r) => r.group).map((r) => r.group))];
    const groupObj = (g: string): JsonObject => {
      const v = SERVED.find((r) => r.group === g)!.version;
      return { name: g, versions: [{ groupVersion: `${g}/${v}`, version: v }], preferredVersion: { groupVersion: `${g}/${v}`, version: v } };
    };
    if (path === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(groupObj) };
    const m = path.match(/^\/apis\/([^/]+)(?:\/([^/]+))?$/);
    if (m && groups.includes(m[1])) return m[2] ? resourceList(m[1], m[2]) : { kind: 'APIGroup', apiVersion: 'v1', ...groupObj(m[1]) };
    if (path === '/version') return { major: '1', minor: '31', gitVersion: 'v1.31.4+k3s1', platform: 'linux/amd64' };
    return undefined;
  }

  interface Target { res: ServedResource; namespace?: string; name?: string; sub?: string }
  function parseTarget(path: string): Target | undefined {
    let m = path.match(/^\/api\/(v1)\/(.*)$/);
    let group = '';
    let rest: string;
    let version: string;
    if (m) { version = m[1]; rest = m[2]; } else {
      m = path.match(/^\/apis\/([^/]+)\/([^/]+)\/(.*)$/);
      if (!m) return undefined;
      group = m[1]; version = m[2]; rest = m[3];
    }
    const seg = rest.split('/').filter(Boolean).map(decodeURIComponent);
    let namespace: string | undefined;
    if (seg[0] === 'namespaces' && seg.length >= 3 && findServed(group, version, seg[2])) { namespace = seg[1]; seg.splice(0, 2); }
    const res = findServed(group, version, seg[0]);
    if (!res || seg.length > 3) return undefined;
    if (res.namespaced === false && namespace) return undefined;
    return { res, namespace, name: seg[1], sub: seg[2] };
  }

  function toScale(o: K8sObject): JsonObject {
    const spec = (o.spec ?? {}) as JsonObject;
    const sel = ((spec.selector as JsonObject | undefined)?.matchLabels ?? {}) as JsonObject;
    return {
      kind: 'Scale', apiVersion: 'autoscaling/v1',
      metadata: { name: o.metadata.name, namespace: o.metadata.namespace!, uid: o.metadata.uid!, resourceVersion: o.metadata.resourceVersion!, creationTimestamp: o.metadata.creationTimestamp! },
      spec: { replicas: Number(spec.replicas ?? 1) },
      status: { replicas: Number((o.status as JsonObject | undefined)?.replicas ?? 0), selector: Object.entries(sel).map(([k, v]) => `${k}=${String(v)}`).join(',') },
    };
  }

  function parseBody(text: string, contentType: string): Json {
    try {
      return (contentType.includes('yaml') ? yaml.load(text) : JSON.parse(text)) as Json;
    } catch (e) {
      throw new HttpError(400, 'BadRequest', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${(e as Error).message})`);
    }
  }

  function applyPatch(cur: Json, body: Json, contentType: string): Json {
    if (contentType.startsWith('application/merge-patch+json')) return mergePatch(cur, body);
    if (contentType.startsWith('application/strategic-merge-patch+json')) return strategicMergePatch(cur, body);
    if (contentType.startsWith('application/json-patch+json')) {
      try { return jsonPatch(cur, body); } catch (e) { throw new HttpError(422, 'Invalid', (e as Error).message); }
    }
    throw new HttpError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
  }

  function serverSideApply(t: Target, body: Json, q: URLSearchParams, dry: boolean): { code: number; obj: K8sObject } {
    const manager = q.get('fieldManager');
    if (!manager) throw new HttpError(400, 'BadRequest', 'PATCH, fieldManager is required for apply requests');
    const force = q.get('force') === 'true';
    if (!isObject(body)) throw new HttpError(400, 'BadRequest', 'apply patch must be an object');
    const meta = (isObject(body.metadata) ? body.metadata : {}) as JsonObject;
    if (body.kind !== t.res.kind || body.apiVersion !== apiVersionOf(t.res)) throw new HttpError(400, 'BadRequest', `the kind/apiVersion in the body (${String(body.apiVersion)} ${String(body.kind)}) does not match the request (${apiVersionOf(t.res)} ${t.res.kind})`);
    if (meta.name !== t.name) throw new HttpError(400, 'BadRequest', `the name of the object (${String(meta.name)}) does not match the name on the URL (${t.name})`);
    const leaves = appliedLeaves(body);
    const entry = (): JsonObject => ({ manager, operation: 'Apply', apiVersion: apiVersionOf(t.res), time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(leaves.keys()) });
    const cur = store.get(t.res.plural, t.namespace, t.name!);
    if (!cur) {
      const obj = clone(body) as JsonObject;
      (obj.metadata as JsonObject).managedFields = [entry()];
      return { code: 201, obj: store.create(t.res.plural, obj, { namespace: t.namespace, dryRun: dry }) };
    }
    const managed = ((cur.metadata.managedFields ?? []) as JsonObject[]).filter(isObject);
    const conflicts: JsonObject[] = [];
    for (const m of managed) {
      if (m.manager === manager || m.operation !== 'Apply') continue;
      for (const p of fromFieldsV1(m.fieldsV1)) if (leaves.has(p) && !deepEqual(getPath(cur as Json, p), leaves.get(p))) conflicts.push({ reason: 'FieldManagerConflict', message: `conflict with "${String(m.manager)}"`, field: p });
    }
    if (conflicts.length && !force) {
      throw new HttpError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${conflicts.map((c) => `${String(c.message)}: ${String(c.field)}`).join(', ')}`, { name: t.name!, group: t.res.group, kind: t.res.plural, causes: conflicts });
    }
    const mine = managed.find((m) => m.manager === manager && m.operation === 'Apply');
    const othersOwn = new Set(managed.filter((m) => m !== mine).flatMap((m) => fromFieldsV1(m.fieldsV1)));
    let merged = clone(cur) as JsonObject;
    for (const p of fromFieldsV1(mine?.fieldsV1)) if (!leaves.has(p) && !othersOwn.has(p)) deletePath(merged, p);
    const patchBody = clone(body);
    delete patchBody.status;
    merged = mergePatch(merged, patchBody) as JsonObject;
    const conflicted = new Set(conflicts.map((c) => String(c.field)));
    const newManaged = managed.map((m) => {
      if (m === mine || !conflicted.size) return m;
      return { ...m, fieldsV1: toFieldsV1(fromFieldsV1(m.fieldsV1).filter((p) => !conflicted.has(p))) };
    }).filter((m) => m !== mine);
    const sameFields = mine && deepEqual(new Set(fromFieldsV1(mine.fieldsV1)).size, leaves.size) && fromFieldsV1(mine.fieldsV1).every((p) => leaves.has(p));
    newManaged.push(sameFields ? mine! : entry());
    (merged.metadata as JsonObject).managedFields = newManaged;
    (merged.metadata as JsonObject).resourceVersion = cur.metadata.resourceVersion!;
    return { code: 200, obj: store.update(t.res.plural, merged, { dryRun: dry }) };
  }

  function serveWatch(req: IncomingMessage, res: ServerResponse, t: Target, q: URLSearchParams): void {
    requestCounts.watch++;
    const rvParam = q.get('resourceVersion') ?? '';
    const labelSel = q.get('labelSelector');
    const fieldSel = q.get('fieldSelector');
    const match = (e: { plural: string; namespace: string; object: K8sObject }) => e.plural === t.res.plural && (!t.namespace || e.namespace === t.namespace)
      && matchesLabels(labelSel, e.object.metadata.labels as Record<string, unknown>) && matchesFields(fieldSel, e.object);
    let replay: StoreEvent[] | undefined = [];
    let initial: K8sObject[] = [];
    if (!rvParam || rvParam === '0') initial = store.list(t.res.plural, t.namespace);
    else {
      const rv = Number(rvParam);
      if (!Number.isFinite(rv)) throw new HttpError(400, 'BadRequest', `invalid resource version: ${rvParam}`);
      replay = store.eventsSince(rv);
    }
    const goneMsg = `too old resource version: ${rvParam} (${store.compactedRv})`;
    if (replay === undefined && goneAs === 'status') throw new HttpError(410, 'Expired', goneMsg);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders(); // like the apiserver: the client sees 200 before the first event
    const write = (type: string, object: Json) => res.write(JSON.stringify({ type, object }) + '\n');
    if (replay === undefined) { write('ERROR', status(410, 'Expired', goneMsg)); res.end(); return; }
    for (const o of initial) if (match({ plural: t.res.plural, namespace: o.metadata.namespace ?? '', object: o })) write('ADDED', o);
    for (const e of replay) if (match(e)) write(e.type, e.object);
    const onEvent = (e: StoreEvent) => { if (match(e)) write(e.type, e.object); };
    store.on('event', onEvent);
    const timers: NodeJS.Timeout[] = [];
    if (q.get('allowWatchBookmarks') === 'true') {
      timers.push(setInterval(() => write('BOOKMARK', { kind: t.res.kind, apiVersion: apiVersionOf(t.res), metadata: { resourceVersion: String(store.resourceVersion), annotations: {} } }), bookmarkMs));
    }
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    // stop the bookmarks before ending: one firing between end and close would write after end
    if (timeout > 0) timers.push(setTimeout(() => { w.stop(); res.end(); }, timeout * 1000));
    const w: Watcher = {
      res, socket: req.socket,
      stop: () => { store.off('event', onEvent); timers.forEach((x) => clearTimeout(x)); watchers.delete(w); },
    };
    watchers.add(w);
    res.on('close', w.stop);
  }

  function serveLog(req: IncomingMessage, res: ServerResponse, t: Target, q: URLSearchParams): void {
    requestCounts.log++;
    const pod = store.get('pods', t.namespace, t.name!);
    if (!pod) throw new StoreError(404, 'NotFound', `pods "${t.name}" not found`, { name: t.name!, kind: 'pods' });
    const containers = ((((pod.spec as JsonObject).containers ?? []) as JsonObject[]).map((c) => String(c.name)));
    let container = q.get('container') ?? '';
    if (!container) {
      if (containers.length !== 1) throw new HttpError(400, 'BadRequest', `a container name must be specified for pod ${t.name}, choose one of: [${containers.join(' ')}]`);
      container = containers[0];
    }
    if (!containers.includes(container)) throw new HttpError(400, 'BadRequest', `container ${container} is not valid for pod ${t.name}`);
    const key = `${t.namespace}/${t.name}/${container}`;
    let lines = store.logs.get(key) ?? [];
    const tail = q.get('tailLines');
    if (tail !== null) lines = Number(tail) <= 0 ? [] : lines.slice(-Number(tail));
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    for (const l of lines) res.write(l + '\n');
    if (q.get('follow') !== 'true') { res.end(); return; }
    const onLog = (k: string, line: string) => { if (k === key) res.write(line + '\n'); };
    const onGone = (ns: string, name: string) => { if (ns === t.namespace && name === t.name) res.end(); };
    store.on('log', onLog);
    store.on('podGone', onGone);
    const w: Watcher = { res, socket: req.socket, stop: () => { store.off('log', onLog); store.off('podGone', onGone); logFollowers.delete(w); } };
    logFollowers.add(w);
    res.on('close', w.stop);
  }

  /**
   * The eviction subresource as kube-apiserver answers it: the pod's PodDisruptionBudgets (same
   * namespace, selector matching its labels) decide. More than one budget is a 500, a budget that
   * allows no disruption now is a 429 (the client retries later); otherwise the pod is deleted and
   * the budget's status counts the disruption.
   */
  function evict(namespace: string, name: string, body: Json, dry: boolean): void {
    if (!isObject(body) || body.kind !== 'Eviction') throw new HttpError(400, 'BadRequest', 'body must be a policy/v1 Eviction');
    const meta = isObject(body.metadata) ? body.metadata : {};
    if (meta.name !== undefined && meta.name !== name) throw new HttpError(400, 'BadRequest', `name in URL does not match name in Eviction object`);
    const pod = store.get('pods', namespace, name);
    if (!pod) throw new StoreError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
    if (pod.metadata.deletionTimestamp) return;
    const labels = (pod.metadata.labels ?? {}) as Record<string, unknown>;
    const selects = (pdb: K8sObject) => {
      const sel = isObject(pdb.spec) && isObject(pdb.spec.selector) ? pdb.spec.selector : undefined;
      const ml = sel && isObject(sel.matchLabels) ? sel.matchLabels : undefined;
      if (!ml || !Object.keys(ml).length) return false; // an empty selector matches nothing in policy/v1 for eviction purposes here
      return Object.entries(ml).every(([k, v]) => labels[k] === v);
    };
    const pdbs = store.list('poddisruptionbudgets', namespace).filter(selects);
    const phase = isObject(pod.status) ? pod.status.phase : undefined;
    // Pods that are not running (or already done) may always go: they do not count as healthy.
    if (pdbs.length > 1) throw new HttpError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    if (pdbs.length === 1 && phase === 'Running') {
      const pdb = pdbs[0];
      const spec = pdb.spec as JsonObject;
      const matching = store.list('pods', namespace).filter((p) => selects(pdb) && Object.entries(((pdb.spec as JsonObject).selector as JsonObject).matchLabels as JsonObject).every(([k, v]) => (p.metadata.labels as Record<string, unknown> | undefined)?.[k] === v));
      const healthy = matching.filter((p) => !p.metadata.deletionTimestamp && isObject(p.status) && Array.isArray(p.status.conditions) && p.status.conditions.some((c) => isObject(c) && c.type === 'Ready' && c.status === 'True')).length;
      // Pods evicted a moment ago still count as expected (the status remembers them), as the disruption controller does.
      const total = Math.max(matching.length, Number(isObject(pdb.status) ? pdb.status.expectedPods ?? 0 : 0));
      const amount = (v: Json | undefined, of: number) => (typeof v === 'string' && v.endsWith('%') ? Math.ceil((Number(v.slice(0, -1)) / 100) * of) : Number(v ?? 0));
      const desired = spec.minAvailable !== undefined ? amount(spec.minAvailable, total) : total - amount(spec.maxUnavailable, total);
      const allowed = healthy - desired;
      if (allowed <= 0) {
        throw new HttpError(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.', {
          causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdb.metadata.name} needs ${desired} healthy pods and has ${healthy} currently` }],
        });
      }
      if (!dry) {
        const next = clone(pdb);
        next.status = { ...(isObject(pdb.status) ? pdb.status : {}), currentHealthy: healthy - 1, desiredHealthy: desired, disruptionsAllowed: allowed - 1, expectedPods: total, observedGeneration: pdb.metadata.generation ?? 1 };
        try { store.update('poddisruptionbudgets', next, { subresource: 'status' }); } catch { /* changed meanwhile: the next eviction recounts */ }
      }
    }
    if (!dry) store.delete('pods', namespace, name);
  }

  /**
   * SelfSubjectAccessReview (create only, never stored), answered from the same rules as requests:
   * a forbidden namespace denies everything in it, cluster-scope rules deny lists across namespaces.
   */
  async function accessReview(req: IncomingMessage, res: ServerResponse, t: { name?: string }, user: string): Promise<void> {
    if (req.method !== 'POST' || t.name) throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    requestCounts.create++;
    const body = parseBody(await readBody(req), String(req.headers['content-type'] ?? 'application/json'));
    const attrs = isObject(body) && isObject(body.spec) && isObject(body.spec.resourceAttributes) ? body.spec.resourceAttributes : undefined;
    if (!attrs) throw new HttpError(422, 'Invalid', 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec: Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified');
    const ns = typeof attrs.namespace === 'string' && attrs.namespace ? attrs.namespace : undefined;
    const resource = String(attrs.resource ?? '');
    const sub = attrs.subresource ? `/${String(attrs.subresource)}` : '';
    let denied: string | undefined;
    if (ns && forbidden.has(ns)) denied = `user "${user}" cannot ${String(attrs.verb)} resource "${resource}${sub}" in the namespace "${ns}"`;
    else if (!ns && [user, '*'].some((u) => clusterForbidden.get(u)?.has(resource))) denied = `user "${user}" cannot ${String(attrs.verb)} resource "${resource}" at the cluster scope`;
    sendJson(res, 201, {
      kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec: (body as JsonObject).spec,
      status: denied ? { allowed: false, reason: denied } : { allowed: true, reason: 'RBAC: allowed by the test server' },
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requestCounts.total++;
    if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const q = url.searchParams;
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (path === '/healthz' || path === '/readyz' || path === '/livez') { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('ok'); return; }
    const user = authenticate(req);
    if (!user) { requestCounts.unauthorized++; throw new HttpError(401, 'Unauthorized', 'Unauthorized'); }
    const disc = method === 'GET' ? discovery(path) : undefined;
    if (disc) { requestCounts.discovery++; sendJson(res, 200, disc); return; }
    const t = parseTarget(path);
    if (!t) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    if (t.res.plural === 'selfsubjectaccessreviews') { await accessReview(req, res, t, user); return; }
    const isWatch = q.get('watch') === 'true' || q.get('watch') === '1';
    const verb = isWatch ? 'watch' : method === 'GET' ? (t.name ? 'get' : 'list') : method === 'POST' ? 'create' : method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch' : method === 'DELETE' ? 'delete' : method.toLowerCase();
    const nsForAuthz = t.namespace ?? (t.res.plural === 'namespaces' ? t.name : undefined);
    if (nsForAuthz && forbidden.has(nsForAuthz)) {
      requestCounts.forbidden++;
      const groupPart = `in API group "${t.res.group}"`;
      const sub = t.sub ? `/${t.sub}` : '';
      throw new HttpError(403, 'Forbidden', `${t.res.plural}${sub}${t.name && t.res.plural !== 'namespaces' ? ` "${t.name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${t.res.plural}${sub}" ${groupPart} in the namespace "${nsForAuthz}"`, { name: t.name ?? '', group: t.res.group, kind: t.res.plural });
    }
    const refusedHere = (ns: string) => [user, '*'].some((u) => resourceForbidden.get(`${ns}/${t.res.plural}`)?.has(u));
    if (t.namespace && refusedHere(t.namespace)) {
      requestCounts.forbidden++;
      throw new HttpError(403, 'Forbidden', `${t.res.plural}${t.name ? ` "${t.name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${t.res.plural}" in API group "${t.res.group}" in the namespace "${t.namespace}"`, { name: t.name ?? '', group: t.res.group, kind: t.res.plural });
    }
    const refusedWide = !t.namespace && !t.name && [...resourceForbidden.entries()].some(([k, users]) => k.endsWith(`/${t.res.plural}`) && (users.has(user) || users.has('*')));
    if (refusedWide || (!nsForAuthz && !t.name && [user, '*'].some((u) => clusterForbidden.get(u)?.has(t.res.plural)))) {
      requestCounts.forbidden++;
      throw new HttpError(403, 'Forbidden', `${t.res.plural} is forbidden: User "${user}" cannot ${verb} resource "${t.res.plural}" in API group "${t.res.group}" at the cluster scope`, { group: t.res.group, kind: t.res.plural });
    }
    const dry = q.getAll('dryRun').includes('All');
    if (q.has('dryRun') && !dry) throw new HttpError(400, 'BadRequest', `invalid dry run value: ${q.get('dryRun')}; supported: All`);
    const contentType = String(req.headers['content-type'] ?? 'application/json');

    if (!t.name) {
      if (method === 'GET' && isWatch) { serveWatch(req, res, t, q); return; }
      if (method === 'GET') {
        requestCounts.list++;
        const labelSel = q.get('labelSelector');
        const fieldSel = q.get('fieldSelector');
        let items = store.list(t.res.plural, t.namespace).filter((o) => matchesLabels(labelSel, o.metadata.labels as Record<string, unknown>) && matchesFields(fieldSel, o));
        let rv = store.resourceVersion;
        const limit = Number(q.get('limit') ?? 0);
        const cont = q.get('continue');
        if (cont) {
          let token: { rv: number; start: string };
          try { token = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as { rv: number; start: string }; } catch { throw new HttpError(400, 'BadRequest', 'continue key is not valid: illegal base64 data'); }
          if (token.rv < store.compactedRv) throw new HttpError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
          rv = token.rv;
          items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > token.start);
        }
        const meta: JsonObject = { resourceVersion: String(rv) };
        if (limit > 0 && items.length > limit) {
          const last = items[limit - 1];
          items = items.slice(0, limit);
          meta.continue = Buffer.from(JSON.stringify({ rv, start: `${last.metadata.namespace ?? ''}/${last.metadata.name}` })).toString('base64url');
          meta.remainingItemCount = 0;
        }
        sendJson(res, 200, { kind: `${t.res.kind}List`, apiVersion: apiVersionOf(t.res), metadata: meta, items });
        return;
      }
      if (method === 'POST') {
        requestCounts.create++;
        const body = parseBody(await readBody(req), contentType);
        if (!isObject(body)) throw new HttpError(400, 'BadRequest', 'body must be an object');
        const bodyNs = isObject(body.metadata) ? body.metadata.namespace : undefined;
        if (t.namespace && bodyNs && bodyNs !== t.namespace) throw new HttpError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
        sendJson(res, 201, store.create(t.res.plural, body, { namespace: t.namespace, dryRun: dry }));
        return;
      }
      throw new HttpError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }

    if (t.sub === 'log' && t.res.plural === 'pods' && method === 'GET') { serveLog(req, res, t, q); return; }
    if (t.sub === 'scale' && ['deployments', 'statefulsets', 'replicasets'].includes(t.res.plural)) {
      const cur = store.get(t.res.plural, t.namespace, t.name);
      if (!cur) throw new StoreError(404, 'NotFound', `${t.res.plural}.apps "${t.name}" not found`, { name: t.name, group: 'apps', kind: t.res.plural });
      if (method === 'GET') { requestCounts.get++; sendJson(res, 200, toScale(cur)); return; }
      let scale: Json;
      if (method === 'PUT') { requestCounts.update++; scale = parseBody(await readBody(req), contentType); }
      else if (method === 'PATCH') { requestCounts.patch++; scale = applyPatch(toScale(cur), parseBody(await readBody(req), contentType), contentType); }
      else throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      if (!isObject(scale) || !isObject(scale.spec)) throw new HttpError(422, 'Invalid', `Scale.autoscaling "${t.name}" is invalid: spec: Required value`);
      const replicas = scale.spec.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw new HttpError(422, 'Invalid', `Scale.autoscaling "${t.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, { name: t.name, group: 'autoscaling', kind: 'Scale', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, field: 'spec.replicas' }] });
      }
      const wantRv = isObject(scale.metadata) ? scale.metadata.resourceVersion : undefined;
      const next = clone(cur);
      (next.spec as JsonObject).replicas = replicas;
      next.metadata.resourceVersion = typeof wantRv === 'string' && wantRv ? wantRv : cur.metadata.resourceVersion!;
      sendJson(res, 200, toScale(store.update(t.res.plural, next, { dryRun: dry })));
      return;
    }
    if (t.sub === 'eviction' && t.res.plural === 'pods') {
      if (method !== 'POST') throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      requestCounts.create++;
      evict(t.namespace!, t.name, parseBody(await readBody(req), contentType), dry);
      sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      return;
    }
    if (t.sub && t.sub !== 'status') throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    const sub = t.sub === 'status' ? 'status' as const : undefined;

    if (method === 'GET') {
      requestCounts.get++;
      const o = store.get(t.res.plural, t.namespace, t.name);
      if (!o) throw new StoreError(404, 'NotFound', `${t.res.plural}${t.res.group ? '.' + t.res.group : ''} "${t.name}" not found`, { name: t.name, group: t.res.group, kind: t.res.plural });
      sendJson(res, 200, o);
      return;
    }
    if (method === 'PUT') {
      requestCounts.update++;
      const body = parseBody(await readBody(req), contentType);
      if (!isObject(body) || !isObject(body.metadata)) throw new HttpError(400, 'BadRequest', 'body must be an object with metadata');
      if (body.metadata.name !== t.name) throw new HttpError(400, 'BadRequest', `the name of the object (${String(body.metadata.name)}) does not match the name on the URL (${t.name})`);
      if (t.namespace) body.metadata.namespace = t.namespace;
      sendJson(res, 200, store.update(t.res.plural, body, { dryRun: dry, subresource: sub }));
      return;
    }
    if (method === 'PATCH') {
      requestCounts.patch++;
      const body = parseBody(await readBody(req), contentType);
      if (contentType.startsWith('application/apply-patch+yaml')) {
        if (sub) throw new HttpError(415, 'UnsupportedMediaType', 'apply is not supported on this subresource here');
        const r = serverSideApply(t, body, q, dry);
        sendJson(res, r.code, r.obj);
        return;
      }
      const cur = store.get(t.res.plural, t.namespace, t.name);
      if (!cur) throw new StoreError(404, 'NotFound', `${t.res.plural}${t.res.group ? '.' + t.res.group : ''} "${t.name}" not found`, { name: t.name, group: t.res.group, kind: t.res.plural });
      const next = applyPatch(cur as Json, body, contentType);
      if (!isObject(next) || !isObject(next.metadata)) throw new HttpError(422, 'Invalid', 'patch removed metadata');
      // a resourceVersion in the patch is a precondition; otherwise patches apply to the latest
      const patchRv = isObject(body) && isObject(body.metadata) ? body.metadata.resourceVersion : undefined;
      next.metadata.resourceVersion = typeof patchRv === 'string' ? patchRv : cur.metadata.resourceVersion!;
      next.metadata.name = cur.metadata.name;
      if (cur.metadata.namespace) next.metadata.namespace = cur.metadata.namespace;
      sendJson(res, 200, store.update(t.res.plural, next, { dryRun: dry, subresource: sub }));
      return;
    }
    if (method === 'DELETE') {
      requestCounts.delete++;
      const body = await readBody(req);
      if (body) {
        const opts = parseBody(body, 'application/json');
        const pre = isObject(opts) && isObject(opts.preconditions) ? opts.preconditions : undefined;
        const cur = store.get(t.res.plural, t.namespace, t.name);
        if (pre && cur && typeof pre.resourceVersion === 'string' && pre.resourceVersion !== cur.metadata.resourceVersion) {
          throw new HttpError(409, 'Conflict', `Operation cannot be fulfilled on ${t.res.plural} "${t.name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`, { name: t.name, kind: t.res.plural });
        }
      }
      sendJson(res, 200, store.delete(t.res.plural, t.namespace, t.name, { dryRun: dry }));
      return;
    }
    throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e) => sendError(res, e));
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const reject = (code: number, reason: string, message: string) => {
      const body = JSON.stringify(status(code, reason, message));
      socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    requestCounts.total++;
    requestCounts.exec++;
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const user = authenticate(req);
    if (!user) { requestCounts.unauthorized++; reject(401, 'Unauthorized', 'Unauthorized'); return; }
    const pf = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/);
    if (pf && wss) {
      const [ns, name] = [decodeURIComponent(pf[1]), decodeURIComponent(pf[2])];
      if (forbidden.has(ns)) { requestCounts.forbidden++; reject(403, 'Forbidden', `pods "${name}" is forbidden: User "${user}" cannot create resource "pods/portforward" in API group "" in the namespace "${ns}"`); return; }
      const pod = store.get('pods', ns, name);
      if (!pod) { reject(404, 'NotFound', `pods "${name}" not found`); return; }
      if ((pod.status as JsonObject | undefined)?.phase !== 'Running') { reject(400, 'BadRequest', `unable to upgrade connection: pod ${name} is not running`); return; }
      const ports = url.searchParams.getAll('ports').flatMap((p) => p.split(',')).map(Number);
      if (!ports.length || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) { reject(400, 'BadRequest', 'invalid port(s): ports must be 1-65535'); return; }
      const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
      if (!offered.some((p) => PORTFORWARD_PROTOCOLS.includes(p))) { reject(400, 'BadRequest', `unable to upgrade connection: no supported subprotocol offered (want ${PORTFORWARD_PROTOCOLS.join(', ')})`); return; }
      wss.handleUpgrade(req, socket, head, (sock) => {
        const f = runPortForward(sock, { namespace: ns, pod: name, ports, header: opts.portForwardHeaders ?? true, resolve: (n, p, port) => portBinds.get(`${n}/${p}:${port}`) ?? portBinds.get(`${n}/*:${port}`) });
        forwards.set(f, { ns, pod: name });
        sock.on('close', () => forwards.delete(f));
      });
      return;
    }
    const m = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/);
    if (!m || !wss) { reject(404, 'NotFound', 'the server could not find the requested resource'); return; }
    const [ns, name] = [decodeURIComponent(m[1]), decodeURIComponent(m[2])];
    if (forbidden.has(ns)) { requestCounts.forbidden++; reject(403, 'Forbidden', `pods "${name}" is forbidden: User "${user}" cannot create resource "pods/exec" in API group "" in the namespace "${ns}"`); return; }
    const pod = store.get('pods', ns, name);
    if (!pod) { reject(404, 'NotFound', `pods "${name}" not found`); return; }
    const containers = (((pod.spec as JsonObject).containers ?? []) as JsonObject[]);
    const cname = url.searchParams.get('container') || (containers.length === 1 ? String(containers[0].name) : '');
    const c = containers.find((x) => x.name === cname);
    if (!c) { reject(400, 'BadRequest', cname ? `container ${cname} is not valid for pod ${name}` : `a container name must be specified for pod ${name}, choose one of: [${containers.map((x) => String(x.name)).join(' ')}]`); return; }
    if ((pod.status as JsonObject | undefined)?.phase !== 'Running') { reject(400, 'BadRequest', `unable to upgrade connection: container not found ("${cname}")`); return; }
    const command = url.searchParams.getAll('command');
    if (!command.length) { reject(400, 'BadRequest', 'you must specify at least 1 command'); return; }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    if (!offered.some((p) => EXEC_PROTOCOLS.includes(p))) { reject(400, 'BadRequest', `unable to upgrade connection: no supported subprotocol offered (want one of ${EXEC_PROTOCOLS.join(', ')})`); return; }
    const env: Record<string, string> = {};
    for (const e of ((c.env ?? []) as JsonObject[])) if (typeof e.value === 'string') env[String(e.name)] = e.value;
    const binding = [...execBinds].find((b) => b.namespace === ns && name.startsWith(b.prefix));
    wss.handleUpgrade(req, socket, head, (sock) => {
      if (binding && url.searchParams.get('tty') !== 'true') {
        const run = runBoundExec(sock, { pod: name, command, stdin: url.searchParams.get('stdin') === 'true', binding: binding.binding });
        boundExecs.add(run);
        sock.on('close', () => boundExecs.delete(run));
        return;
      }
      runExec(sock, { pod: name, container: cname, env, command, stdin: url.searchParams.get('stdin') === 'true', tty: url.searchParams.get('tty') === 'true' });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const api: K8sTestServer = {
    url, caPem: pki.caPem, token: firstToken, clientCertPem: pki.clientCertPem, clientKeyPem: pki.clientKeyPem,
    writeKubeconfig: (path, spec) => writeKubeconfig(path, {
      currentContext: spec?.currentContext ?? spec?.contexts?.[0]?.name ?? 'test',
      contexts: spec?.contexts ?? [{ name: 'test', server: url, caPem: pki.caPem, token: firstToken, namespace: 'default' }],
    }),
    requestCounts,
    resetCounts: () => Object.assign(requestCounts, zero()),
    store,
    cutWatches: (o) => {
      const n = watchers.size;
      for (const w of [...watchers]) { w.stop(); if (o?.graceful) w.res.end(); else w.socket.destroy(); }
      return n;
    },
    bindPort: (namespace, pod, port, localPort) => { portBinds.set(`${namespace}/${pod}:${port}`, localPort); },
    bindExec: (namespace, prefix, binding = {}) => { execBinds.add({ namespace, prefix, binding }); },
    cutExec: (prefix) => {
      const hit = [...boundExecs].filter((e) => prefix === undefined || e.pod.startsWith(prefix));
      for (const e of hit) { boundExecs.delete(e); e.cut(); }
      return hit.length;
    },
    openExecs: () => boundExecs.size,
    provisionClass: (name) => { if (!controller) throw new Error('provisionClass needs the controller'); controller.provisionClass(name); },
    openPortForwards: () => forwards.size,
    cutLogs: () => {
      const n = logFollowers.size;
      for (const w of [...logFollowers]) { w.stop(); w.socket.destroy(); }
      return n;
    },
    expireHistory: (o) => { store.expireHistory(); if (o?.cutWatches) api.cutWatches(); },
    forbidNamespace: (ns) => { forbidden.add(ns); },
    allowNamespace: (ns) => { forbidden.delete(ns); },
    forbidClusterScope: (plurals, who = '*') => { clusterForbidden.set(who, new Set([...clusterForbidden.get(who) ?? [], ...plurals])); },
    allowClusterScope: () => { clusterForbidden.clear(); },
    forbidResource: (plural, namespace, who = '*') => { const k = `${namespace}/${plural}`; resourceForbidden.set(k, new Set([...resourceForbidden.get(k) ?? [], who])); },
    setLatency: (ms) => { latencyMs = ms; },
    addToken: (tk) => { tokens.add(tk); },
    revokeToken: (tk) => { tokens.delete(tk); },
    issueClientCert: (user) => issueClientCert(pki, user),
    openWatches: () => watchers.size,
    close: async () => {
      controller?.stop();
      for (const w of [...watchers]) { w.stop(); w.socket.destroy(); }
      for (const f of forwards.keys()) f.close();
      for (const e of boundExecs) e.cut();
      wss?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}
