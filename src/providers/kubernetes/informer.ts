// List-then-watch per kind (+ namespace) on client-node's makeInformer: it lists, watches from
// the list's resourceVersion, and relists by itself after 410 Gone. On any other error it stops;
// we restart it with exponential backoff. No periodic list: a list happens only at first start,
// after 410, or when no resourceVersion is known. Changes are batched (~150 ms) into one callback.
import { KubeClient } from './client';
import { isKubeError, KubeError } from './errors';
import { k8s, type K8s } from './lib';
import { collectionPath, KindName, kindOf, KubeList, KubeObject, ResourceKind } from './resources';

export interface InformerBatch<T extends KubeObject = KubeObject> {
  added: T[];
  modified: T[];
  deleted: T[];
  /** True when the batch results from a (re)list rather than watch events. */
  relisted: boolean;
}

export type InformerState = 'stopped' | 'listing' | 'watching' | 'backoff';

export interface InformerOptions<T extends KubeObject = KubeObject> {
  client: KubeClient;
  kind: KindName | ResourceKind;
  /** Omit for all namespaces (namespaced kinds) or for cluster-scoped kinds. */
  namespace?: string;
  labelSelector?: string;
  batchMs?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  /** Server-side watch timeout; when it ends the watch resumes from the last resourceVersion. */
  watchTimeoutSeconds?: number;
  /** Page size of lists. */
  pageSize?: number;
  onBatch(batch: InformerBatch<T>): void;
  /** Called for each failure; the informer retries by itself after `retryInMs`. */
  onError?(err: KubeError, retryInMs: number): void;
  onStateChange?(state: InformerState): void;
}

type Change<T> = { type: 'added' | 'modified' | 'deleted'; obj: T };
type ListWatch<T extends KubeObject> = K8s.Informer<T & K8s.KubernetesObject> & { latestResourceVersion(): string };

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class Informer<T extends KubeObject = KubeObject> {
  private readonly cache = new Map<string, T>();
  private rv = '';
  /** The client-node informer currently running; callbacks of older ones are ignored. */
  private lw: ListWatch<T> | undefined;
  private token = 0;
  private pending = new Map<string, Change<T>>();
  private pendingRelist = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private connectedAt = 0;
  private eventsSinceConnect = 0;
  private syncWaiters: (() => void)[] = [];
  private synced = false;
  private _state: InformerState = 'stopped';
  lastError: KubeError | undefined;

  constructor(private readonly o: InformerOptions<T>) {}

  get state(): InformerState { return this._state; }
  get resourceVersion(): string { return this.lw?.latestResourceVersion() || this.rv; }
  get kind(): ResourceKind { return kindOf(this.o.kind); }
  get namespace(): string | undefined { return this.o.namespace; }

  list(): T[] { return [...this.cache.values()]; }
  get(name: string, namespace?: string): T | undefined { return this.cache.get(`${namespace ?? ''}/${name}`); }

  /** Starts (or resumes: a known resourceVersion is watched from without a new list). */
  start(): void {
    if (this._state !== 'stopped') return;
    this.launch();
  }

  stop(): void {
    this.token++;
    this.retire();
    if (this.sleepTimer) { clearTimeout(this.sleepTimer); this.sleepTimer = undefined; }
    this.flush();
    this.setState('stopped');
  }

  /** Resolves after the first list (or resumed watch) is established. */
  waitForSync(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((r) => this.syncWaiters.push(r));
  }

  private setState(s: InformerState): void {
    if (this._state === s) return;
    this._state = s;
    this.o.onStateChange?.(s);
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    this.syncWaiters.splice(0).forEach((w) => w());
  }

  /** Stops the running client-node informer, keeping its resourceVersion to resume from. */
  private retire(): void {
    const lw = this.lw;
    if (!lw) return;
    this.rv = lw.latestResourceVersion();
    this.lw = undefined;
    void lw.stop(); // its aborted watch reports an error later: ignored, it is no longer this.lw
  }

  private watchPath(): string {
    // client-node's watch adds watch, resourceVersion and labelSelector to these
    const timeout = this.o.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    return `${collectionPath(this.kind, this.o.namespace)}?allowWatchBookmarks=true&timeoutSeconds=${timeout}`;
  }

  /**
   * Starts a fresh client-node informer. When we know a resourceVersion, its first "list" is
   * served from our cache, so it resumes the watch without a request (a stale version gets 410
   * and it relists for real). A fresh one per start also keeps the aborted watch of a stopped
   * one from disturbing the next.
   */
  private launch(): void {
    let seed = this.rv ? { rv: this.rv, items: [...this.cache.values()] } : undefined;
    const listFn = async (): Promise<KubeList<T & K8s.KubernetesObject>> => {
      if (seed) { const s = seed; seed = undefined; return { metadata: { resourceVersion: s.rv }, items: s.items as (T & K8s.KubernetesObject)[] }; }
      if (lw !== this.lw) throw new KubeError('unreachable', 'stopped');
      this.setState('listing');
      return this.relist(lw) as Promise<KubeList<T & K8s.KubernetesObject>>;
    };
    const lw = k8s().makeInformer<T & K8s.KubernetesObject>(this.o.client.kc, this.watchPath(), listFn, this.o.labelSelector) as unknown as ListWatch<T>;
    this.lw = lw;
    this.connectedAt = 0;
    const mine = () => lw === this.lw;
    lw.on('add', (obj) => { if (mine()) this.upsert(obj); });
    lw.on('update', (obj) => { if (mine()) this.upsert(obj); });
    lw.on('delete', (obj) => { if (mine()) this.removed(obj); });
    lw.on('connect', () => { if (mine()) this.onConnect(lw); });
    lw.on('error', (err) => this.onFailure(lw, err));
    this.setState(this.rv ? 'watching' : 'listing');
    lw.start().then(() => {
      if (!mine()) return;
      this.setState('watching');
      this.markSynced();
    }, (err) => this.onFailure(lw, err));
  }

  /** Each (re)connect of the watch. One that follows the previous within a second without any
   * event (and without a pending relist) means the server closes watches at once: back off
   * instead of spinning. */
  private onConnect(lw: ListWatch<T>): void {
    const now = Date.now();
    const relisting = lw.latestResourceVersion() === ''; // after 410: a relist, not a spin
    if (this.connectedAt && now - this.connectedAt < 1000 && this.eventsSinceConnect === 0 && !relisting) {
      this.onFailure(lw, new KubeError('unreachable', `The watch on ${this.kind.label} closed immediately; retrying.`));
      return;
    }
    if (this.connectedAt) this.failures = 0; // the previous watch ran: a clean server-side timeout
    this.connectedAt = now;
    this.eventsSinceConnect = 0;
  }

  private toError(e: unknown): KubeError {
    if (isKubeError(e)) return e;
    const status = (e as { statusCode?: number })?.statusCode;
    if (typeof status === 'number') return this.o.client.toKubeError(e, { method: 'GET', path: collectionPath(this.kind, this.o.namespace) });
    return new KubeError('unreachable', `The watch on ${this.kind.label} was cut by the server or network (${(e as Error)?.message ?? String(e)}).`, { cause: e });
  }

  private onFailure(lw: ListWatch<T>, e: unknown): void {
    if (lw !== this.lw) return; // a retired informer's late news
    this.retire();
    const err = this.toError(e);
    this.lastError = err;
    if (err.kind === 'unauthorized') this.o.client.forgetCredential(); // the retry gets a fresh one
    // a watch that ran a while (or delivered events) before failing starts the backoff over
    if (this.connectedAt && (Date.now() - this.connectedAt > 1000 || this.eventsSinceConnect > 0)) this.failures = 0;
    this.failures++;
    const backoff = { initialMs: 500, maxMs: 30_000, ...this.o.backoff };
    const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (this.failures - 1));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.setState('backoff');
    this.o.onError?.(err, delay);
    const token = ++this.token;
    this.sleepTimer = setTimeout(() => {
      this.sleepTimer = undefined;
      if (token === this.token && this._state === 'backoff') this.launch();
    }, delay);
  }

  /** One full list, page by page (consistent: all pages at the first page's resourceVersion). */
  private async relist(lw: ListWatch<T>): Promise<KubeList<T>> {
    // Raw JSON like the watch events (a typed list would put Date objects and drop unknown
    // fields in the same cache the watch fills with plain JSON).
    const path = collectionPath(this.kind, this.o.namespace);
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.o.client.request<KubeList<T>>('GET', path, { query: { limit: this.o.pageSize ?? 500, continue: cont, labelSelector: this.o.labelSelector } });
      if (lw !== this.lw) throw new KubeError('unreachable', 'stopped');
      items.push(...page.items);
      rv ||= page.metadata.resourceVersion ?? '';
      cont = page.metadata.continue || undefined;
    } while (cont);
    // what vanished meanwhile (client-node reports it too when it still holds the objects)
    const seen = new Set(items.map(keyOf));
    for (const [k, obj] of [...this.cache]) if (!seen.has(k)) { this.cache.delete(k); this.queue(k, 'deleted', obj); }
    this.pendingRelist = true;
    this.failures = 0;
    // client-node applies the list right after this returns: deliver it at once, not after the
    // batch window, and only then count as synced (so list() holds it)
    setImmediate(() => { if (lw !== this.lw) return; this.flush(); this.markSynced(); });
    return { metadata: { resourceVersion: rv }, items };
  }

  private upsert(obj: T): void {
    const k = keyOf(obj);
    const old = this.cache.get(k);
    if (old && old.metadata.resourceVersion !== undefined && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    this.cache.set(k, obj);
    this.eventsSinceConnect++;
    this.queue(k, old ? 'modified' : 'added', obj);
  }

  private removed(obj: T): void {
    const k = keyOf(obj);
    const old = this.cache.get(k);
    if (!old) return;
    this.cache.delete(k);
    this.eventsSinceConnect++;
    this.queue(k, 'deleted', obj);
  }

  private queue(k: string, type: Change<T>['type'], obj: T): void {
    const prev = this.pending.get(k);
    if (prev?.type === 'added' && type === 'modified') type = 'added';
    if (prev?.type === 'added' && type === 'deleted') { this.pending.delete(k); return; }
    if (prev?.type === 'deleted' && type === 'added') type = 'modified';
    this.pending.set(k, { type, obj });
    if (!this.flushTimer) { this.flushTimer = setTimeout(() => this.flush(), this.o.batchMs ?? 150); }
  }

  private flush(): void {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = undefined; }
    if (!this.pending.size && !this.pendingRelist) return;
    const batch: InformerBatch<T> = { added: [], modified: [], deleted: [], relisted: this.pendingRelist };
    for (const c of this.pending.values()) batch[c.type].push(c.obj);
    this.pending = new Map();
    this.pendingRelist = false;
    this.o.onBatch(batch);
  }
}

export interface WatchKey { kind: KindName; namespace?: string }
const watchKeyString = (w: WatchKey) => `${w.kind}@${w.namespace ?? '*'}`;

/**
 * The set of informers the UI wants: only expanded and visible kinds are watched. Stopped
 * informers keep their cache and resourceVersion, so showing them again resumes without a list
 * unless the server says 410.
 */
export class InformerSet {
  private readonly informers = new Map<string, Informer>();
  private readonly active = new Set<string>();

  constructor(private readonly client: KubeClient, private readonly opts: {
    onBatch(key: WatchKey, batch: InformerBatch, informer: Informer): void;
    onError?(key: WatchKey, err: KubeError, retryInMs: number): void;
    batchMs?: number;
    backoff?: { initialMs?: number; maxMs?: number };
  }) {}

  setWanted(keys: WatchKey[]): void {
    const want = new Map(keys.map((k) => [watchKeyString(k), k]));
    for (const id of [...this.active]) if (!want.has(id)) { this.informers.get(id)?.stop(); this.active.delete(id); }
    for (const [id, key] of want) {
      let inf = this.informers.get(id);
      if (!inf) {
        const created: Informer = new Informer({
          client: this.client, kind: key.kind, namespace: key.namespace, batchMs: this.opts.batchMs, backoff: this.opts.backoff,
          onBatch: (b) => this.opts.onBatch(key, b, created),
          onError: (e, ms) => this.opts.onError?.(key, e, ms),
        });
        inf = created;
        this.informers.set(id, inf);
      }
      if (!this.active.has(id)) { inf.start(); this.active.add(id); }
    }
  }

  get(key: WatchKey): Informer | undefined { return this.informers.get(watchKeyString(key)); }
  activeKeys(): string[] { return [...this.active]; }

  stopAll(): void {
    for (const inf of this.informers.values()) inf.stop();
    this.active.clear();
  }
}
