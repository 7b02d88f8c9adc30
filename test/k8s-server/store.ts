// In-memory object store with a global resourceVersion counter, a bounded event history
// (what watches replay from) and direct manipulation helpers for tests ("another client").
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { clone, deepEqual, isObject, JsonObject } from './patch';
import { apiVersionOf, servedByPlural, ServedResource } from './resources';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface K8sObject extends JsonObject {
  metadata: JsonObject & { name: string; namespace?: string; resourceVersion?: string; uid?: string };
}
export interface StoreEvent { rv: number; type: WatchEventType; plural: string; namespace: string; object: K8sObject }

export class StoreError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details?: JsonObject) { super(message); }
}

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const WORKLOADS = new Set(['deployments', 'statefulsets', 'daemonsets', 'replicasets']);

export class Store extends EventEmitter {
  private rv = 1;
  /** Oldest resourceVersion a watch may resume from; older gets 410 Gone. */
  compactedRv = 1;
  private history: StoreEvent[] = [];
  private readonly objects = new Map<string, Map<string, K8sObject>>();
  /** Pod logs: `ns/pod/container` -> lines. */
  readonly logs = new Map<string, string[]>();

  constructor(public historyWindow = 1000) { super(); this.setMaxListeners(0); }

  get resourceVersion(): number { return this.rv; }

  private bucket(plural: string): Map<string, K8sObject> {
    let b = this.objects.get(plural);
    if (!b) { b = new Map(); this.objects.set(plural, b); }
    return b;
  }

  private record(type: WatchEventType, plural: string, obj: K8sObject): void {
    const ev: StoreEvent = { rv: Number(obj.metadata.resourceVersion), type, plural, namespace: obj.metadata.namespace ?? '', object: clone(obj) };
    this.history.push(ev);
    while (this.history.length > this.historyWindow) {
      const dropped = this.history.shift()!;
      this.compactedRv = Math.max(this.compactedRv, dropped.rv);
    }
    this.emit('event', ev);
  }

  /** Events after `rv`, or undefined when `rv` is older than the retained window (410 Gone). */
  eventsSince(rv: number): StoreEvent[] | undefined {
    if (rv < this.compactedRv) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  /** Forgets all history: every resourceVersion seen so far is now too old to watch from. */
  expireHistory(): void {
    this.history = [];
    this.compactedRv = this.rv;
    this.emit('expired');
  }

  private key(ns: string | undefined, name: string): string { return `${ns ?? ''}/${name}`; }

  get(plural: string, namespace: string | undefined, name: string): K8sObject | undefined {
    const o = this.bucket(plural).get(this.key(namespace, name));
    return o ? clone(o) : undefined;
  }

  list(plural: string, namespace?: string): K8sObject[] {
    const out = [...this.bucket(plural).entries()].filter(([, o]) => !namespace || o.metadata.namespace === namespace);
    out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return out.map(([, o]) => clone(o));
  }

  private validate(res: ServedResource, obj: K8sObject, cur?: K8sObject): void {
    const causes: JsonObject[] = kindRules(res.plural, obj, cur);
    const name = obj.metadata?.name;
    if (typeof name !== 'string' || !name) causes.push({ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' });
    else if (!DNS1123.test(name) || name.length > 253) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`, field: 'metadata.name' });
    const spec = obj.spec;
    if (WORKLOADS.has(res.plural) && isObject(spec) && spec.replicas !== undefined) {
      const r = spec.replicas;
      if (typeof r !== 'number' || !Number.isInteger(r) || r < 0) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(r)}: must be greater than or equal to 0`, field: 'spec.replicas' });
    }
    if ((res.plural === 'configmaps' || res.plural === 'secrets') && obj.data !== undefined) {
      if (!isObject(obj.data) || Object.values(obj.data).some((v) => typeof v !== 'string')) causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: data values must be strings', field: 'data' });
    }
    if (causes.length) {
      const what = res.group ? `${res.kind}.${res.group}` : res.kind;
      const list = causes.map((c) => `${c.field}: ${c.message}`);
      const msg = `${what} "${name ?? ''}" is invalid: ${list.length > 1 ? `[${list.join(', ')}]` : list[0]}`;
      throw new StoreError(422, 'Invalid', msg, { name: name ?? '', group: res.group, kind: res.kind, causes });
    }
  }

  private nextRv(): string { this.rv += 1; return String(this.rv); }

  /** Creates an object; fills uid, resourceVersion, creationTimestamp, generation. */
  create(plural: string, input: JsonObject, opts: { dryRun?: boolean; namespace?: string } = {}): K8sObject {
    const res = servedByPlural(plural);
    const obj = clone(input) as K8sObject;
    obj.metadata = isObject(obj.metadata) ? obj.metadata as K8sObject['metadata'] : { name: '' };
    if (!obj.metadata.name && typeof obj.metadata.generateName === 'string') obj.metadata.name = obj.metadata.generateName + randomUUID().slice(0, 5);
    if (res.namespaced) obj.metadata.namespace = opts.namespace ?? obj.metadata.namespace ?? 'default';
    else delete obj.metadata.namespace;
    obj.apiVersion = apiVersionOf(res);
    obj.kind = res.kind;
    applyDefaults(plural, obj);
    this.validate(res, obj);
    const ns = obj.metadata.namespace;
    if (res.namespaced && !this.bucket('namespaces').has(this.key(undefined, ns!))) {
      throw new StoreError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns!, kind: 'namespaces' });
    }
    if (res.namespaced && this.bucket('namespaces').get(this.key(undefined, ns!))?.metadata.deletionTimestamp) {
      throw new StoreError(403, 'Forbidden', `${plural} "${obj.metadata.name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`);
    }
    const k = this.key(ns, obj.metadata.name);
    if (this.bucket(plural).has(k)) {
      throw new StoreError(409, 'AlreadyExists', `${plural}${res.group ? '.' + res.group : ''} "${obj.metadata.name}" already exists`, { name: obj.metadata.name, group: res.group, kind: plural });
    }
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (obj.spec !== undefined) obj.metadata.generation = 1;
    if (plural === 'namespaces') { obj.spec = { finalizers: ['kubernetes'] }; obj.status = { phase: 'Active' }; }
    if (dryRun(opts)) { obj.metadata.resourceVersion = ''; return obj; }
    obj.metadata.resourceVersion = this.nextRv();
    this.bucket(plural).set(k, obj);
    this.record('ADDED', plural, obj);
    return clone(obj);
  }

  /** Replaces an object. A non-empty metadata.resourceVersion must match (optimistic concurrency). */
  update(plural: string, input: JsonObject, opts: { dryRun?: boolean; subresource?: 'status' } = {}): K8sObject {
    const res = servedByPlural(plural);
    const obj = clone(input) as K8sObject;
    const name = obj.metadata?.name;
    const ns = res.namespaced ? obj.metadata?.namespace ?? 'default' : undefined;
    const cur = this.bucket(plural).get(this.key(ns, name));
    if (!cur) throw new StoreError(404, 'NotFound', `${plural}${res.group ? '.' + res.group : ''} "${name}" not found`, { name, group: res.group, kind: plural });
    const want = obj.metadata.resourceVersion;
    if (want && want !== cur.metadata.resourceVersion) {
      throw new StoreError(409, 'Conflict', `Operation cannot be fulfilled on ${plural}${res.group ? '.' + res.group : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group: res.group, kind: plural });
    }
    // immutable and server-owned metadata
    obj.metadata = { ...obj.metadata, uid: cur.metadata.uid!, creationTimestamp: cur.metadata.creationTimestamp!, name } as K8sObject['metadata'];
    if (res.namespaced) obj.metadata.namespace = ns; else delete obj.metadata.namespace;
    obj.apiVersion = apiVersionOf(res); obj.kind = res.kind;
    if (opts.subresource === 'status') { const s = obj.status; Object.assign(obj, clone(cur)); obj.status = s; }
    else if (cur.status !== undefined) obj.status = clone(cur.status);
    applyDefaults(plural, obj);
    this.validate(res, obj, cur);
    const gen = Number(cur.metadata.generation ?? 0);
    if (cur.spec !== undefined || obj.spec !== undefined) obj.metadata.generation = deepEqual(cur.spec, obj.spec) ? gen : gen + 1;
    obj.metadata.resourceVersion = cur.metadata.resourceVersion!;
    if (deepEqual(cur, obj)) return clone(cur); // no-op writes keep the resourceVersion, as the apiserver does
    if (dryRun(opts)) return obj;
    obj.metadata.resourceVersion = this.nextRv();
    this.bucket(plural).set(this.key(ns, name), obj);
    this.record('MODIFIED', plural, obj);
    return clone(obj);
  }

  /** Test helper: read-modify-write as another client would. */
  modify(plural: string, namespace: string | undefined, name: string, fn: (o: K8sObject) => void): K8sObject {
    const o = this.get(plural, namespace, name);
    if (!o) throw new StoreError(404, 'NotFound', `${plural} "${name}" not found`);
    fn(o);
    return this.update(plural, o, { subresource: undefined });
  }

  /** Test helper: write status (controllers do this). */
  setStatus(plural: string, namespace: string | undefined, name: string, status: JsonObject): K8sObject {
    const o = this.get(plural, namespace, name);
    if (!o) throw new StoreError(404, 'NotFound', `${plural} "${name}" not found`);
    o.status = status;
    return this.update(plural, o, { subresource: 'status' });
  }

  delete(plural: string, namespace: string | undefined, name: string, opts: { dryRun?: boolean } = {}): K8sObject {
    const res = servedByPlural(plural);
    const ns = res.namespaced ? namespace ?? 'default' : undefined;
    const k = this.key(ns, name);
    const cur = this.bucket(plural).get(k);
    if (!cur) throw new StoreError(404, 'NotFound', `${plural}${res.group ? '.' + res.group : ''} "${name}" not found`, { name, group: res.group, kind: plural });
    if (dryRun(opts)) return clone(cur);
    if (plural === 'namespaces') {
      // Namespaces terminate: contents go first, then the namespace itself.
      const term = clone(cur);
      term.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      term.status = { phase: 'Terminating' };
      term.metadata.resourceVersion = this.nextRv();
      this.bucket(plural).set(k, term);
      this.record('MODIFIED', plural, term);
      setTimeout(() => this.finishNamespaceDeletion(name), 50).unref();
      return clone(term);
    }
    this.bucket(plural).delete(k);
    const gone = clone(cur);
    gone.metadata.resourceVersion = this.nextRv();
    this.record('DELETED', plural, gone);
    if (plural === 'pods') for (const key of [...this.logs.keys()]) if (key.startsWith(`${ns}/${name}/`)) this.logs.delete(key);
    this.emit('podGone', ns, name);
    return gone;
  }

  private finishNamespaceDeletion(ns: string): void {
    for (const [plural, bucket] of this.objects) {
      if (plural === 'namespaces') continue;
      for (const o of [...bucket.values()]) if (o.metadata.namespace === ns) this.delete(plural, ns, o.metadata.name);
    }
    if (this.bucket('namespaces').has(this.key(undefined, ns))) {
      const cur = this.bucket('namespaces').get(this.key(undefined, ns))!;
      this.bucket('namespaces').delete(this.key(undefined, ns));
      const gone = clone(cur);
      gone.metadata.resourceVersion = this.nextRv();
      this.record('DELETED', 'namespaces', gone);
    }
  }

  appendLog(namespace: string, pod: string, container: string, line: string): void {
    const k = `${namespace}/${pod}/${container}`;
    const lines = this.logs.get(k) ?? [];
    lines.push(line);
    this.logs.set(k, lines);
    this.emit('log', k, line);
  }
}

/** Defaults the apiserver fills in (so a no-op apply compares equal, as it does there). */
function applyDefaults(plural: string, obj: K8sObject): void {
  if (plural === 'storageclasses') {
    obj.reclaimPolicy ??= 'Delete';
    obj.volumeBindingMode ??= 'Immediate';
  }
  if (plural === 'persistentvolumeclaims') {
    // a new claim starts Pending whatever status the client sent; volumeMode defaults to Filesystem
    if (!obj.metadata.resourceVersion && !obj.metadata.uid) obj.status = { phase: 'Pending' };
    if (isObject(obj.spec)) obj.spec.volumeMode ??= 'Filesystem';
  }
  if (plural === 'csidrivers' && isObject(obj.spec)) {
    obj.spec.attachRequired ??= true;
    obj.spec.podInfoOnMount ??= false;
    obj.spec.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
    obj.spec.requiresRepublish ??= false;
    obj.spec.storageCapacity ??= false;
    obj.spec.seLinuxMount ??= false;
    obj.spec.volumeLifecycleModes ??= ['Persistent'];
  }
}

/**
 * Validation of the kinds NFS storage needs, with kube-apiserver's field paths and wording:
 * required fields, and the fields it refuses to change after creation.
 */
function kindRules(plural: string, obj: K8sObject, cur?: K8sObject): JsonObject[] {
  const causes: JsonObject[] = [];
  const req = (field: string, detail = '') => causes.push({ reason: 'FieldValueRequired', message: `Required value${detail}`, field });
  const forbid = (field: string, message: string) => causes.push({ reason: 'FieldValueForbidden', message: `Forbidden: ${message}`, field });
  const spec = isObject(obj.spec) ? obj.spec : undefined;
  if (plural === 'storageclasses') {
    if (typeof obj.provisioner !== 'string' || !obj.provisioner) req('provisioner');
    if (obj.reclaimPolicy !== undefined && !['Delete', 'Retain'].includes(String(obj.reclaimPolicy))) causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: "${String(obj.reclaimPolicy)}": supported values: "Delete", "Retain"`, field: 'reclaimPolicy' });
    if (cur) {
      if (!deepEqual(cur.parameters, obj.parameters)) forbid('parameters', 'updates to parameters are forbidden.');
      if (cur.provisioner !== obj.provisioner) forbid('provisioner', 'updates to provisioner are forbidden.');
      if (cur.reclaimPolicy !== obj.reclaimPolicy) forbid('reclaimPolicy', 'updates to reclaimPolicy are forbidden.');
      if (cur.volumeBindingMode !== obj.volumeBindingMode) forbid('volumeBindingMode', 'field is immutable');
    }
  }
  if (plural === 'clusterrolebindings' || plural === 'rolebindings') {
    const ref = obj.roleRef;
    if (!isObject(ref) || !ref.name) req('roleRef.name');
    if (!isObject(ref) || !ref.kind) req('roleRef.kind');
    if (cur && !deepEqual(cur.roleRef, obj.roleRef)) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(obj.roleRef)}: cannot change roleRef`, field: 'roleRef' });
  }
  if (plural === 'csidrivers') {
    if (!spec) req('spec');
    else if (cur && isObject(cur.spec) && cur.spec.attachRequired !== spec.attachRequired) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(spec.attachRequired)}: field is immutable`, field: 'spec.attachRequired' });
  }
  if (plural === 'persistentvolumeclaims') {
    const modes = spec && Array.isArray(spec.accessModes) ? spec.accessModes : [];
    if (!modes.length) req('spec.accessModes', ': at least 1 access mode is required');
    for (const m of modes) if (!['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'].includes(String(m))) causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: "${String(m)}": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"`, field: 'spec.accessModes' });
    const requests = spec && isObject(spec.resources) && isObject(spec.resources.requests) ? spec.resources.requests : undefined;
    if (!requests || requests.storage === undefined) req('spec.resources[storage]');
    if (cur && isObject(cur.spec) && spec) {
      const strip = (s: JsonObject) => { const c = clone(s); delete c.resources; delete c.volumeName; delete c.volumeAttributesClassName; return c; };
      if (!deepEqual(strip(cur.spec), strip(spec))) forbid('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims');
    }
  }
  return causes;
}

function dryRun(opts: { dryRun?: boolean }): boolean { return opts.dryRun === true; }

export function apiVersionForPlural(plural: string): string { return apiVersionOf(servedByPlural(plural)); }
