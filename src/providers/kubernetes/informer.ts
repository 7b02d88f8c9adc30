// List-then-watch per kind (+ namespace), like client-go's reflector: one list, then a watch
// resumed from the last resourceVersion for as long as it works. No periodic list: a list happens
// only at first start, after 410 Gone, or when no resourceVersion is known. Errors restart the
// watch with exponential backoff. Changes are batched (~150 ms) into one callback.
import type { IncomingMessage } from 'node:http';
import { KubeClient } from './client';
import { fromStatus, isKubeError, KubeError } from './errors';
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

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class Informer<T extends KubeObject = KubeObject> {
  private readonly cache = new Map<string, T>();
  private rv = '';
  private gen = 0;
  private abort: AbortController | undefined;
  private pending = new Map<string, Change<T>>();
  private pendingRelist = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private sleepTimer: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private failures = 0;
  private syncWaiters: (() => void)[] = [];
  private synced = false;
  private _state: InformerState = 'stopped';
  lastError: KubeError | undefined;

  constructor(private readonly o: InformerOptions<T>) {}

  get state(): InformerState { return this._state; }
  get resourceVersion(): string { return this.rv; }
  get kind(): ResourceKind { return kindOf(this.o.kind); }
  get namespace(): string | undefined { return this.o.namespace; }

  list(): T[] { return [...this.cache.values()]; }
  get(name: string, namespace?: string): T | undefined { return this.cache.get(`${namespace ?? ''}/${name}`); }

  /** Starts (or resumes: a known resourceVersion is watched from without a new list). */
  start(): void {
    if (this._state !== 'stopped') return;
    const gen = ++this.gen;
    void this.run(gen);
  }

  stop(): void {
    this.gen++;
    this.abort?.abort();
    this.abort = undefined;
    if (this.sleepTimer) { clearTimeout(this.sleepTimer.timer); this.sleepTimer.wake(); this.sleepTimer = undefined; }
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

  private async run(gen: number): Promise<void> {
    const backoff = { initialMs: 500, maxMs: 30_000, ...this.o.backoff };
    while (gen === this.gen) {
      try {
        if (!this.rv) { this.setState('listing'); await this.relist(gen); }
        if (gen !== this.gen) return;
        this.setState('watching');
        const { events, ms } = await this.watchOnce(gen);
        // a clean end (server timeout) resumes at once; an immediately empty end counts as a failure
        if (events > 0 || ms > 1000) { this.failures = 0; continue; }
        throw new KubeError('unreachable', `The watch on ${this.kind.label} closed immediately; retrying.`);
      } catch (e) {
        if (gen !== this.gen) return;
        const err = isKubeError(e) ? e : new KubeError('unreachable', (e as Error).message ?? String(e), { cause: e });
        if (err.kind === 'gone') { this.rv = ''; continue; } // relist now, as the apiserver asks
        this.lastError = err;
        this.failures++;
        const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (this.failures - 1));
        const delay = Math.round(base * (0.8 + Math.random() * 0.4));
        this.setState('backoff');
        this.o.onError?.(err, delay);
        await new Promise<void>((wake) => { this.sleepTimer = { timer: setTimeout(wake, delay), wake }; });
        this.sleepTimer = undefined;
      }
    }
  }

  private async relist(gen: number): Promise<void> {
    const path = collectionPath(this.kind, this.o.namespace);
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.o.client.request<KubeList<T>>('GET', path, { query: { limit: this.o.pageSize ?? 500, continue: cont, labelSelector: this.o.labelSelector } });
      if (gen !== this.gen) return;
      items.push(...page.items);
      rv ||= page.metadata.resourceVersion ?? '';
      cont = page.metadata.continue || undefined;
    } while (cont);
    const seen = new Set<string>();

    for (const obj of items) {
      const k = keyOf(obj);
      seen.add(k);
      const old = this.cache.get(k);
      if (!old) this.queue(k, 'added', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.queue(k, 'modified', obj);
      this.cache.set(k, obj);
    }
    for (const [k, obj] of [...this.cache]) if (!seen.has(k)) { this.cache.delete(k); this.queue(k, 'deleted', obj); }
    this.rv = rv;
    this.pendingRelist = true;
    this.failures = 0;
    this.markSynced();
    this.flush(); // a list is delivered at once: the tree should not wait for the batch window
  }

  private watchOnce(gen: number): Promise<{ events: number; ms: number }> {
    const started = Date.now();
    const ac = new AbortController();
    this.abort = ac;
    const path = collectionPath(this.kind, this.o.namespace);
    return new Promise((resolve, reject) => {
      let events = 0;
      let buf = '';
      let settled = false;
      const done = (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err) reject(err); else resolve({ events, ms: Date.now() - started });
      };
      this.o.client.stream(path, {
        watch: true, resourceVersion: this.rv, allowWatchBookmarks: true, labelSelector: this.o.labelSelector,
        timeoutSeconds: this.o.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300),
      }, ac.signal).then((res: IncomingMessage) => {
        if (gen !== this.gen) { res.destroy(); done(); return; }
        this.markSynced();
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (!line) continue;
            try { this.onEvent(JSON.parse(line) as { type: string; object: T }); events++; } catch (e) { done(e); res.destroy(); return; } // settle first: destroy emits 'aborted'
          }
        });
        res.on('end', () => done());
        res.on('aborted', () => done(new KubeError('unreachable', `The watch on ${this.kind.label} was cut by the server or network.`)));
        res.on('error', (e) => done(gen !== this.gen ? undefined : new KubeError('unreachable', `The watch on ${this.kind.label} broke: ${e.message}`, { cause: e })));
        res.on('close', () => done(res.complete ? undefined : new KubeError('unreachable', `The watch on ${this.kind.label} was cut before it ended.`)));
      }, (e: unknown) => done(gen !== this.gen ? undefined : e));
    });
  }

  private onEvent(ev: { type: string; object: T }): void {
    if (ev.type === 'ERROR') {
      const st = ev.object as unknown as { code?: number };
      throw fromStatus(Number(st.code ?? 500), ev.object, { path: collectionPath(this.kind, this.o.namespace) });
    }
    const obj = ev.object;
    const rv = obj?.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') { if (rv) this.rv = rv; return; }
    const k = keyOf(obj);
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
      const had = this.cache.has(k);
      this.cache.set(k, obj);
      this.queue(k, had ? 'modified' : 'added', obj);
    } else if (ev.type === 'DELETED') {
      this.cache.delete(k);
      this.queue(k, 'deleted', obj);
    }
    if (rv) this.rv = rv;
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
