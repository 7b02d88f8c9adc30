import * as vscode from 'vscode';
import type { KubeClient } from '../../providers/kubernetes/client';
import type { KubeError } from '../../providers/kubernetes/errors';
import type { Informer, InformerBatch, InformerSet, WatchKey } from '../../providers/kubernetes/informer';
import type { Kubeconfig } from '../../providers/kubernetes/kubeconfig';
import type { KindName, KubeObject } from '../../providers/kubernetes/resources';
import { settings } from '../settings';
import { KubeconfigFiles } from './kubeconfig-files';
import { loadKubernetes, type KubernetesModules } from './modules';

/** What a view wants watched: a kind in a namespace, or across all namespaces (`namespace` omitted). */
export interface WatchDemand { context: string; kind: KindName; namespace?: string }

/**
 * Objects of one watch changed. `namespace` is the watch key's (undefined: the all-namespaces
 * watch, or the namespace list). `listChanged` names the namespaces whose set of objects changed;
 * `all` means every view of this kind must reread (a relist, an error that came or went).
 */
export interface ObjectsChange {
  context: string;
  kind: KindName;
  namespace?: string;
  all: boolean;
  listChanged: string[];
  modified: { namespace: string; name: string }[];
}

export interface WatchError { context: string; kind: KindName; namespace?: string; error: KubeError; retryInMs: number }

/** The state of the watch that serves a kind in a namespace. */
export interface WatchStatus { key: WatchKey; informer?: Informer; synced: boolean; error?: KubeError; /** The watch runs now (a stopped one keeps its last data). */ running: boolean }

interface ContextState {
  client?: KubeClient;
  error?: unknown;
  informers?: InformerSet;
  /** Last error per watch key, cleared by the next successful batch. */
  errors: Map<string, KubeError>;
  /** Keys that delivered their first list: later errors keep the data (the informer retries). */
  synced: Set<string>;
  /** Listing namespaces is forbidden (RBAC): views show the context's own namespace and the filter. */
  namespacesForbidden?: boolean;
  waiters: Map<string, (() => void)[]>;
  /** Kinds watched across all namespaces: one connection instead of one per namespace. */
  wide: Set<KindName>;
  /** Kinds whose cluster-wide list is forbidden (namespace-scoped RBAC): always per namespace. */
  wideForbidden: Set<KindName>;
}

const FIRE_MS = 20; // merges batches of several informers that arrive together into one event
const SYNC_WAIT_MS = 15_000;
/** Events kept of a namespace for display: an object's own are found among the newest this many. */
const RECENT_EVENTS = 2000;
/** From this many namespaces asked for one kind on, the kind is watched once for all namespaces. */
const WIDE_FROM = 4;

export const watchKeyString = (k: WatchKey) => `${k.kind}@${k.namespace ?? '*'}`;

/**
 * The live Kubernetes state, with no UI: kubeconfig files (merged and watched), one client and
 * informer set per context, and the watches views ask for (`setDemand`): a watch runs while some
 * view wants it and stops otherwise. Informer batches are merged and fired as typed events.
 */
export class KubernetesSession implements vscode.Disposable {
  private readonly contextsChanged = new vscode.EventEmitter<{ reset: boolean }>();
  /** The kubeconfig was reread (`reset`: every context restarts) or only the current context moved. */
  readonly onDidChangeContexts = this.contextsChanged.event;
  private readonly objectsChanged = new vscode.EventEmitter<ObjectsChange[]>();
  /** Watched objects changed (merged over ~20 ms). */
  readonly onDidChangeObjects = this.objectsChanged.event;
  private readonly errored = new vscode.EventEmitter<WatchError>();
  /** A watch failed (it retries by itself with backoff). */
  readonly onDidError = this.errored.event;

  private readonly states = new Map<string, ContextState>();
  private readonly demands = new Map<string, WatchDemand[]>();
  private readonly files: KubeconfigFiles;
  private readonly disposables: vscode.Disposable[] = [];
  private pending: ObjectsChange[] = [];
  private fireTimer?: NodeJS.Timeout;
  private config?: Kubeconfig;
  private k8s?: KubernetesModules;

  constructor(private readonly log: { warn(message: string): void }) {
    this.files = new KubeconfigFiles(() => void this.reloadFiles());
    this.disposables.push(this.files, settings.onDidChange((e) => { if (e.affects('kubernetes.kubeconfig')) void this.refresh(); }));
  }

  /** The provider modules (loaded on first use: activation never pays for client-node). */
  async modules(): Promise<KubernetesModules> {
    this.k8s ??= await loadKubernetes();
    return this.k8s;
  }

  /** Adds a kubeconfig file (a Kubernetes cluster Homelab set up) to the merged list. */
  async addKubeconfigFile(path: string): Promise<void> {
    this.files.add(path);
    await this.refresh();
  }

  /** Stops reading a file addKubeconfigFile added (K3s uninstalled). */
  async removeKubeconfigFile(path: string): Promise<void> {
    this.files.remove(path);
    await this.refresh();
  }

  /** The merged kubeconfig: the setting, else KUBECONFIG, else ~/.kube/config; plus added files. */
  async kubeconfig(): Promise<Kubeconfig> {
    const k = await this.modules();
    if (!this.config) {
      this.config = k.kubeconfig.loadKubeconfig({ paths: this.files.paths(k, settings.get('kubernetes.kubeconfig')) });
      this.files.watch(this.config.files);
    }
    return this.config;
  }

  /** The provider modules once loaded (views rendering synchronously). */
  get loadedModules(): KubernetesModules | undefined {
    return this.k8s;
  }

  /** The kubeconfig as last read, without reading it (views rendering synchronously). */
  get loadedKubeconfig(): Kubeconfig | undefined {
    return this.config;
  }

  /** A changed current-context only re-marks the contexts; other changes restart everything. */
  private async reloadFiles(): Promise<void> {
    if (!this.k8s || !this.config) return;
    const next = this.k8s.kubeconfig.loadKubeconfig({ paths: this.files.paths(this.k8s, settings.get('kubernetes.kubeconfig')) });
    const sig = (c: Kubeconfig) => JSON.stringify([
      c.contexts.map((x) => [x.name, x.file, x.server, x.user, x.namespace, x.error?.message]), c.fileProblems,
      [...c.clusters].map(([n, v]) => [n, v.data]), [...c.users].map(([n, v]) => [n, v.data]),
    ]);
    if (sig(next) !== sig(this.config)) return this.refresh();
    if (next.currentContext !== this.config.currentContext) {
      this.config.currentContext = next.currentContext;
      this.contextsChanged.fire({ reset: false });
    }
  }

  /** Rereads the kubeconfig and restarts every context (watches restart on demand). */
  async refresh(): Promise<void> {
    for (const st of this.states.values()) st.informers?.stopAll();
    this.states.clear();
    this.config = undefined;
    this.contextsChanged.fire({ reset: true });
  }

  /** Makes `name` the current context in its kubeconfig file; returns the file written. */
  async useContext(name: string): Promise<string> {
    const cfg = await this.kubeconfig();
    const file = this.k8s!.kubeconfig.setCurrentContext(cfg, name);
    this.contextsChanged.fire({ reset: false });
    return file;
  }

  /** A client for a context (created once; credential plugins run on the first request). */
  async client(context: string): Promise<KubeClient> {
    const st = await this.state(context);
    if (!st.client) throw st.error;
    return st.client;
  }

  /** Why a context cannot be used (bad entry, no client, unreachable API), if it cannot. */
  contextProblem(context: string): unknown {
    const st = this.states.get(context);
    const err = st?.errors.get(watchKeyString({ kind: 'namespaces' }));
    return this.config?.contexts.find((c) => c.name === context)?.error ?? st?.error ?? (err && err.kind !== 'forbidden' ? err : undefined);
  }

  /** True when listing namespaces was refused: only the context's namespace (or the filter) can be shown. */
  namespacesForbidden(context: string): boolean {
    return !!this.states.get(context)?.namespacesForbidden;
  }

  private async state(context: string): Promise<ContextState> {
    const cfg = await this.kubeconfig();
    let st = this.states.get(context);
    if (st) return st;
    st = { errors: new Map(), waiters: new Map(), synced: new Set(), wide: new Set(), wideForbidden: new Set() };
    this.states.set(context, st);
    const k = this.k8s!;
    try {
      st.client = new k.client.KubeClient(k.kubeconfig.connectionFor(cfg, context));
      const state = st;
      st.informers = new k.informer.InformerSet(st.client, {
        batchMs: 150,
        onBatch: (key, batch) => this.onBatch(context, state, key, batch),
        onError: (key, err, retryInMs) => this.onError(context, state, key, err, retryInMs),
      });
      this.schedule();
    } catch (e) {
      st.error = e;
    }
    return st;
  }

  /**
   * What one source (a view) wants watched now; replaces its earlier demand. The union of all
   * sources runs; everything else stops (keeping its cache, so it resumes without a list).
   */
  setDemand(source: string, demands: WatchDemand[]): void {
    this.demands.set(source, demands);
    this.schedule();
  }

  private schedule(): void {
    const all = [...this.demands.values()].flat();
    for (const [context, st] of this.states) {
      if (!st.informers) continue;
      const mine = all.filter((d) => d.context === context);
      const keys: WatchKey[] = [];
      const byKind = new Map<KindName, Set<string | undefined>>();
      for (const d of mine) {
        if (d.kind === 'namespaces') continue;
        byKind.set(d.kind, (byKind.get(d.kind) ?? new Set()).add(d.namespace));
      }
      if (mine.some((d) => d.kind === 'namespaces') && !st.namespacesForbidden) keys.push({ kind: 'namespaces' });
      for (const [kind, set] of byKind) {
        const namespaces = [...set].filter((n): n is string => n !== undefined);
        const wide = !st.wideForbidden.has(kind) && (set.has(undefined) || namespaces.length >= WIDE_FROM);
        if (wide !== st.wide.has(kind)) {
          if (wide) st.wide.add(kind); else st.wide.delete(kind);
          // The views now read another informer: they reread when it already has data.
          if (st.synced.has(watchKeyString(this.keyFor(st, kind)))) this.queue({ context, kind, all: true, listChanged: [], modified: [] });
        }
        if (wide) keys.push({ kind });
        else keys.push(...[...new Set([...namespaces, ...(set.has(undefined) ? this.knownNamespaces(context, st) : [])])].map((namespace) => ({ kind, namespace })));
      }
      st.informers.setWanted(keys);
    }
  }

  /**
   * Namespaces to watch one by one when all of them are asked for but the cluster-wide list is
   * refused (namespace-scoped RBAC): the namespace list (when allowed), the filter, the context's own.
   */
  private knownNamespaces(context: string, st: ContextState): string[] {
    const listed = st.namespacesForbidden ? [] : (st.informers?.get({ kind: 'namespaces' })?.list() ?? []).map((n) => n.metadata.name);
    const filter = settings.get('kubernetes.namespaceFilter');
    return [...new Set([...(filter.length ? listed.filter((n) => filter.includes(n)) : listed), ...filter, ...(st.client ? [st.client.namespace] : [])])];
  }

  /** True when listing a kind across namespaces was refused: views say it is shown namespace by namespace. */
  wideRefused(context: string, kind: KindName): boolean {
    return !!this.states.get(context)?.wideForbidden.has(kind);
  }

  private keyFor(st: ContextState | undefined, kind: KindName, namespace?: string): WatchKey {
    if (kind === 'namespaces') return { kind };
    return st?.wide.has(kind) || namespace === undefined ? { kind } : { kind, namespace };
  }

  /** The watch serving a kind in a namespace (its own, or the all-namespaces one). */
  status(context: string, kind: KindName, namespace?: string): WatchStatus {
    const st = this.states.get(context);
    const key = this.keyFor(st, kind, namespace);
    const k = watchKeyString(key);
    return { key, informer: st?.informers?.get(key), synced: !!st?.synced.has(k), error: st?.errors.get(k), running: !!st?.informers?.activeKeys().includes(k) };
  }

  /** Objects of a kind (in a namespace; all namespaces when omitted), from the watch cache. */
  objects(context: string, kind: KindName, namespace?: string): KubeObject[] {
    const st = this.states.get(context);
    if (namespace === undefined && kind !== 'namespaces' && st?.wideForbidden.has(kind)) {
      return st.informers?.activeKeys().filter((k) => k.startsWith(`${kind}@`) && !k.endsWith('@*')).flatMap((k) => st.informers!.get({ kind, namespace: k.slice(kind.length + 1) })?.list() ?? []) ?? [];
    }
    const s = this.status(context, kind, namespace);
    const list = s.informer?.list() ?? [];
    return s.key.namespace !== undefined || namespace === undefined ? list : list.filter((o) => o.metadata.namespace === namespace);
  }

  /** The live object, from the watch cache. */
  object(context: string, kind: KindName, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.status(context, kind, namespace).informer?.get(name, kind === 'namespaces' ? undefined : namespace);
  }

  /**
   * Waits until the watch serving (context, kind, namespace) has its first list, or failed; false
   * when it failed or timed out. A refused all-namespaces list falls back to the namespace's own.
   */
  async whenSynced(context: string, kind: KindName, namespace?: string): Promise<boolean> {
    const st = await this.state(context);
    this.schedule();
    if (namespace === undefined && kind !== 'namespaces') {
      if (!st.wideForbidden.has(kind)) {
        const ok = await this.synced(st, { kind });
        if (!st.wideForbidden.has(kind)) return ok;
      }
      // Refused across namespaces: each namespace on its own (those refused too are left out).
      await this.synced(st, { kind: 'namespaces' });
      this.schedule();
      const each = await Promise.all(this.knownNamespaces(context, st).map((n) => this.synced(st, { kind, namespace: n })));
      return each.some(Boolean) || !each.length;
    }
    let ok = await this.synced(st, this.keyFor(st, kind, namespace));
    if (!ok && st.wideForbidden.has(kind)) ok = await this.synced(st, this.keyFor(st, kind, namespace));
    return ok;
  }

  /**
   * The newest `keep` events of a namespace (newest first) and how many it holds: from its watch when
   * one runs, else one paged list (a hover needs no watch). A namespace may hold 10,000+ events.
   */
  async recentEvents(context: string, namespace: string, keep = RECENT_EVENTS): Promise<{ events: KubeObject[]; total: number }> {
    const k = await this.modules();
    const s = this.status(context, 'events', namespace);
    if (s.informer && s.synced && s.running) return k.events.keepNewest(this.objects(context, 'events', namespace), keep);
    return k.events.listNewestEvents(await this.client(context), k.resources.collectionPath('events', namespace), keep);
  }

  /** Watch keys currently running per context (tests, bench). */
  activeWatches(): string[] {
    return [...this.states].flatMap(([c, st]) => (st.informers?.activeKeys() ?? []).map((k) => `${c}:${k}`));
  }

  private onBatch(context: string, st: ContextState, key: WatchKey, batch: InformerBatch): void {
    const k = watchKeyString(key);
    const hadError = st.errors.delete(k);
    st.synced.add(k);
    this.wake(st, k);
    const listChanged = [...new Set([...batch.added, ...batch.deleted].map((o) => o.metadata.namespace ?? ''))];
    if (hadError && key.namespace) listChanged.push(key.namespace);
    const all = (key.namespace === undefined && (batch.relisted || hadError)) || (key.kind === 'namespaces' && hadError);
    const modified = batch.modified.map((o) => ({ namespace: o.metadata.namespace ?? '', name: o.metadata.name }));
    if (all || listChanged.length || modified.length) this.queue({ context, kind: key.kind, namespace: key.namespace, all, listChanged, modified });
  }

  private onError(context: string, st: ContextState, key: WatchKey, err: KubeError, retryInMs: number): void {
    const k = watchKeyString(key);
    const before = st.errors.get(k)?.message;
    this.log.warn(`kubernetes ${context} ${k}: ${err.message} (retry in ${retryInMs} ms)`);
    this.errored.fire({ context, kind: key.kind, namespace: key.namespace, error: err, retryInMs });
    const changeAll = () => this.queue({ context, kind: key.kind, namespace: key.namespace, all: true, listChanged: key.namespace ? [key.namespace] : [], modified: [] });
    if (key.kind === 'namespaces' && err.kind === 'forbidden') {
      st.namespacesForbidden = true; // views show the context's namespace instead
      this.schedule();
    }
    if (key.kind !== 'namespaces' && key.namespace === undefined && err.kind === 'forbidden') {
      st.wideForbidden.add(key.kind); // namespace-scoped access: watch each namespace instead
      st.wide.delete(key.kind);
      this.wake(st, k);
      this.schedule();
      changeAll();
      return;
    }
    if (err.kind === 'gone') return; // the informer relists by itself
    if (st.synced.has(k) && err.kind === 'unreachable') return; // a cut watch: the data stays, the informer resumes
    st.errors.set(k, err);
    this.wake(st, k);
    if (before !== err.message) changeAll();
  }

  private wake(st: ContextState, k: string): void {
    for (const w of st.waiters.get(k) ?? []) w();
    st.waiters.delete(k);
  }

  private async synced(st: ContextState, key: WatchKey): Promise<boolean> {
    const k = watchKeyString(key);
    const inf = st.informers?.get(key);
    if (!inf) return false;
    if (st.synced.has(k)) return true;
    if (st.errors.has(k)) return false;
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<boolean>((resolve) => {
      st.waiters.set(k, [...(st.waiters.get(k) ?? []), () => resolve(!st.errors.has(k))]);
      timer = setTimeout(() => resolve(false), SYNC_WAIT_MS);
    });
    const ok = await Promise.race([inf.waitForSync().then(() => true), failed]);
    clearTimeout(timer);
    return ok && !st.errors.has(k);
  }

  private queue(c: ObjectsChange): void {
    this.pending.push(c);
    this.fireTimer ??= setTimeout(() => {
      this.fireTimer = undefined;
      const list = this.pending;
      this.pending = [];
      this.objectsChanged.fire(list);
    }, FIRE_MS);
  }

  dispose(): void {
    clearTimeout(this.fireTimer);
    for (const st of this.states.values()) st.informers?.stopAll();
    for (const d of this.disposables) d.dispose();
    this.contextsChanged.dispose();
    this.objectsChanged.dispose();
    this.errored.dispose();
  }
}
