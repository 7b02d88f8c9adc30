import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import type { KubeClient } from '../../providers/kubernetes/client';
import type { KubeError } from '../../providers/kubernetes/errors';
import type { Informer, InformerBatch, InformerSet, WatchKey } from '../../providers/kubernetes/informer';
import type { Kubeconfig, KubeContextInfo } from '../../providers/kubernetes/kubeconfig';
import type { KindName, KubeObject } from '../../providers/kubernetes/resources';
import { conditionRows, CONTEXT_VALUES, healthIcon, KIND_ICONS, objectTooltip, visibleNamespaces, WORKLOAD_KINDS } from './items';
import { loadKubernetes, type KubernetesModules } from './modules';

/** Tree elements. Instances are kept per id so watch events fire for exactly what changed. */
export type KubeElement =
  | { kind: 'context'; id: string; context: string }
  | { kind: 'namespace'; id: string; context: string; namespace: string }
  | { kind: 'group'; id: string; context: string; namespace: string; resource: KindName }
  | { kind: 'object'; id: string; context: string; namespace: string; resource: KindName; name: string }
  | { kind: 'condition'; id: string; parent: string; text: string; detail: string; ok: boolean }
  | { kind: 'message'; id: string; context?: string; parent?: string; text: string; detail: string; severity: 'error' | 'info'; command?: vscode.Command };

export type ObjectElement = Extract<KubeElement, { kind: 'object' }>;
export type ContextElement = Extract<KubeElement, { kind: 'context' }>;

interface ContextState {
  client?: KubeClient;
  error?: unknown;
  informers?: InformerSet;
  /** Last error per watch key (`kind@namespace`), cleared by the next successful batch. */
  errors: Map<string, KubeError>;
  /** Watch keys that delivered their first list: later errors keep the data (the informer retries). */
  synced: Set<string>;
  /** Listing namespaces is forbidden (RBAC): the context's own namespace and the filter are shown. */
  namespacesForbidden?: boolean;
  waiters: Map<string, (() => void)[]>;
  /** Kinds watched across all namespaces (many namespaces expanded): one connection instead of one per namespace. */
  wide: Set<KindName>;
  /** Kinds whose cluster-wide list is forbidden (namespace-scoped RBAC): always per namespace. */
  wideForbidden: Set<KindName>;
}

const FIRE_MS = 20; // merges batches of several informers that arrive together into one tree event
const SYNC_WAIT_MS = 15_000;
/** From this many expanded namespaces on, a kind is watched once for all namespaces. */
const WIDE_FROM = 4;

/** Group labels (literal strings so the l10n tooling finds them). */
function kindLabel(kind: KindName): string {
  switch (kind) {
    case 'deployments': return vscode.l10n.t('Deployments');
    case 'statefulsets': return vscode.l10n.t('StatefulSets');
    case 'daemonsets': return vscode.l10n.t('DaemonSets');
    case 'replicasets': return vscode.l10n.t('ReplicaSets');
    case 'pods': return vscode.l10n.t('Pods');
    case 'services': return vscode.l10n.t('Services');
    case 'ingresses': return vscode.l10n.t('Ingresses');
    case 'persistentvolumeclaims': return vscode.l10n.t('Persistent Volume Claims');
    case 'configmaps': return vscode.l10n.t('ConfigMaps');
    case 'secrets': return vscode.l10n.t('Secrets');
    case 'namespaces': return vscode.l10n.t('Namespaces');
  }
}

const keyString = (k: WatchKey) => `${k.kind}@${k.namespace ?? '*'}`;
const ctxId = (context: string) => `k8s/${context}`;
const nsId = (context: string, ns: string) => `k8s/${context}/ns/${ns}`;
const groupId = (context: string, ns: string, kind: KindName) => `k8s/${context}/ns/${ns}/k/${kind}`;
const objId = (context: string, ns: string, kind: KindName, name: string) => `k8s/${context}/ns/${ns}/k/${kind}/o/${name}`;

/**
 * Kubernetes contexts → namespaces → kinds → objects, live from watches: one informer (list, then
 * watch from its resourceVersion) per kind and namespace that is expanded while the view is
 * visible; collapsing or hiding stops it. Informers batch events; the tree fires one change event
 * for the elements a batch touched. Nothing is polled.
 */
export class KubernetesTreeProvider implements vscode.TreeDataProvider<KubeElement>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<KubeElement | KubeElement[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly updated = new vscode.EventEmitter<KubeElement[]>();
  /** Fires right after a tree change event caused by watch data, with the elements (tests, bench). */
  readonly onDidUpdate = this.updated.event;
  private readonly elements = new Map<string, KubeElement>();
  private readonly states = new Map<string, ContextState>();
  private readonly expanded = new Set<string>();
  private readonly extraFiles: string[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private pendingFire = new Set<KubeElement>();
  private fireTimer?: NodeJS.Timeout;
  private config?: Kubeconfig;
  private k8s?: KubernetesModules;
  private view?: vscode.TreeView<KubeElement>;
  private fileWatchers: FSWatcher[] = [];
  private fileTimer?: NodeJS.Timeout;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('homelab.kubernetes.kubeconfig')) void this.refresh();
        else if (e.affectsConfiguration('homelab.kubernetes.namespaceFilter')) this.fireContexts();
      }),
    );
  }

  /** Watches follow the view: expanded and visible only. */
  attach(view: vscode.TreeView<KubeElement>): void {
    this.view = view;
    this.disposables.push(
      view.onDidExpandElement((e) => { this.expanded.add(e.element.id); this.updateWatches(); }),
      view.onDidCollapseElement((e) => { this.expanded.delete(e.element.id); this.updateWatches(); }),
      view.onDidChangeVisibility((e) => { this.rendering = e.visible; this.updateWatches(); }),
    );
  }

  /** The provider modules (loaded on first use). */
  modules(): Promise<KubernetesModules> {
    return loadKubernetes();
  }

  /** Kubeconfig files: the setting, else KUBECONFIG, else ~/.kube/config; plus files Homelab added. */
  private paths(k: KubernetesModules): string[] {
    const setting = vscode.workspace.getConfiguration('homelab.kubernetes').get<string[]>('kubeconfig', []).filter((p) => p.trim());
    return [...new Set([...(setting.length ? setting : k.kubeconfig.kubeconfigPaths(process.env)), ...this.extraFiles])];
  }

  /** Adds a kubeconfig file (a Kubernetes cluster Homelab set up) to the merged list. */
  async addKubeconfigFile(path: string): Promise<void> {
    if (!this.extraFiles.includes(path)) this.extraFiles.push(path);
    await this.refresh();
  }

  async kubeconfig(): Promise<Kubeconfig> {
    this.k8s ??= await loadKubernetes();
    if (!this.config) {
      this.config = this.k8s.kubeconfig.loadKubeconfig({ paths: this.paths(this.k8s) });
      this.watchFiles(this.config.files);
    }
    return this.config;
  }

  /** kubectl (or anyone) editing a kubeconfig file shows here: watch the folders of the files. */
  private watchFiles(files: string[]): void {
    for (const w of this.fileWatchers) w.close();
    this.fileWatchers = [];
    const byDir = new Map<string, Set<string>>();
    for (const f of files) byDir.set(dirname(f), (byDir.get(dirname(f)) ?? new Set()).add(basename(f)));
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, (_event, name) => {
          if (!name || !names.has(String(name))) return;
          clearTimeout(this.fileTimer);
          this.fileTimer = setTimeout(() => void this.reloadFiles(), 300);
        });
        w.on('error', () => w.close());
        this.fileWatchers.push(w);
      } catch { /* the folder does not exist (yet): Refresh picks the file up */ }
    }
  }

  /** A changed current-context only re-marks the contexts; other changes rebuild the tree. */
  private async reloadFiles(): Promise<void> {
    if (!this.k8s || !this.config) return;
    const next = this.k8s.kubeconfig.loadKubeconfig({ paths: this.paths(this.k8s) });
    const sig = (c: Kubeconfig) => JSON.stringify([
      c.contexts.map((x) => [x.name, x.file, x.server, x.user, x.namespace, x.error?.message]), c.fileProblems,
      [...c.clusters].map(([n, v]) => [n, v.data]), [...c.users].map(([n, v]) => [n, v.data]),
    ]);
    if (sig(next) !== sig(this.config)) return this.refresh();
    if (next.currentContext !== this.config.currentContext) {
      this.config.currentContext = next.currentContext;
      this.changed.fire(undefined);
    }
  }

  /** Rereads the kubeconfig and rebuilds every context (informers restart on demand). */
  async refresh(): Promise<void> {
    for (const st of this.states.values()) st.informers?.stopAll();
    this.states.clear();
    this.elements.clear();
    this.config = undefined;
    this.changed.fire(undefined);
  }

  /** Makes `name` the current context in the kubeconfig file and marks it in the tree. */
  async useContext(name: string): Promise<string> {
    const cfg = await this.kubeconfig();
    const file = this.k8s!.kubeconfig.setCurrentContext(cfg, name);
    this.changed.fire(undefined);
    return file;
  }

  /** A client for a context (created once; credential plugins run on the first request). */
  async client(context: string): Promise<KubeClient> {
    const st = await this.state(context);
    if (!st.client) throw st.error;
    return st.client;
  }

  private async state(context: string): Promise<ContextState> {
    const cfg = await this.kubeconfig();
    let st = this.states.get(context);
    if (st) return st;
    st = { errors: new Map(), waiters: new Map(), synced: new Set(), wide: new Set(), wideForbidden: new Set() };
    this.states.set(context, st);
    const k = this.k8s!;
    try {
      const conn = k.kubeconfig.connectionFor(cfg, context);
      st.client = new k.client.KubeClient(conn);
      const state = st;
      st.informers = new k.informer.InformerSet(st.client, {
        batchMs: 150,
        onBatch: (key, batch, inf) => this.onBatch(context, state, key, batch, inf),
        onError: (key, err, retryInMs) => this.onError(context, state, key, err, retryInMs),
      });
    } catch (e) {
      st.error = e;
    }
    return st;
  }

  /** The informer that serves a kind in a namespace (its own, or the all-namespaces one). */
  informer(context: string, kind: KindName, namespace?: string): Informer | undefined {
    const st = this.states.get(context);
    return st?.informers?.get(this.keyFor(st, kind, namespace));
  }

  private keyFor(st: ContextState | undefined, kind: KindName, namespace?: string): WatchKey {
    return kind !== 'namespaces' && st?.wide.has(kind) ? { kind } : { kind, namespace };
  }

  /** Watch keys currently running per context (tests, bench). */
  activeWatches(): string[] {
    return [...this.states].flatMap(([c, st]) => (st.informers?.activeKeys() ?? []).map((k) => `${c}:${k}`));
  }

  /** VS Code asks for children only to render them: the view is being shown even if its visibility event is still on its way. */
  private rendering = false;

  private visible(): boolean {
    return this.view ? this.view.visible || this.rendering : true;
  }

  /** Starts informers for what is expanded and visible, stops the rest. */
  private updateWatches(): void {
    for (const [context, st] of this.states) {
      if (!st.informers) continue;
      const keys: WatchKey[] = [];
      const cId = ctxId(context);
      const byKind = new Map<KindName, string[]>();
      if (this.visible() && this.expanded.has(cId)) {
        if (!st.namespacesForbidden) keys.push({ kind: 'namespaces' });
        for (const id of this.expanded) {
          const e = this.elements.get(id);
          if (e?.kind === 'group' && e.context === context && this.expanded.has(nsId(context, e.namespace))) byKind.set(e.resource, [...(byKind.get(e.resource) ?? []), e.namespace]);
        }
      }
      for (const [kind, namespaces] of byKind) {
        const wide = namespaces.length >= WIDE_FROM && !st.wideForbidden.has(kind);
        if (wide !== st.wide.has(kind)) {
          if (wide) st.wide.add(kind); else st.wide.delete(kind);
          // The groups now read another informer: they refresh when its first list arrives.
          for (const ns of namespaces) st.synced.has(keyString(this.keyFor(st, kind, ns))) && this.queueFire(this.elements.get(groupId(context, ns, kind)));
        }
        keys.push(...(wide ? [{ kind }] : namespaces.map((namespace) => ({ kind, namespace }))));
      }
      st.informers.setWanted(keys);
    }
  }

  private onBatch(context: string, st: ContextState, key: WatchKey, batch: InformerBatch, inf: Informer): void {
    const hadError = st.errors.delete(keyString(key));
    st.synced.add(keyString(key));
    this.wake(st, key);
    if (key.kind === 'namespaces') {
      if (hadError || batch.added.length || batch.deleted.length) this.queueFire(this.elements.get(ctxId(context)));
      return;
    }
    const kind = key.kind;
    const groupOf = (ns: string) => this.elements.get(groupId(context, ns, kind));
    if (key.namespace === undefined && (batch.relisted || hadError)) {
      // An all-namespaces list: every expanded group of this kind reads it now.
      for (const e of this.elements.values()) if (e.kind === 'group' && e.context === context && e.resource === kind) this.queueFire(e);
      return;
    }
    const listChanged = new Set<string>([...batch.added, ...batch.deleted].map((o) => o.metadata.namespace ?? ''));
    if (hadError && key.namespace) listChanged.add(key.namespace);
    for (const ns of listChanged) this.queueFire(groupOf(ns)); // the list of children changed
    for (const obj of batch.modified) {
      const ns = obj.metadata.namespace ?? '';
      if (!listChanged.has(ns)) this.queueFire(this.elements.get(objId(context, ns, kind, obj.metadata.name)));
    }
    void inf;
  }

  private onError(context: string, st: ContextState, key: WatchKey, err: KubeError, retryInMs: number): void {
    const k = keyString(key);
    const before = st.errors.get(k)?.message;
    this.log.warn(`kubernetes ${context} ${k}: ${err.message} (retry in ${retryInMs} ms)`);
    if (key.kind === 'namespaces' && err.kind === 'forbidden') {
      st.namespacesForbidden = true; // show the context's namespace instead of watching forbidden ones
      this.updateWatches();
    }
    if (key.kind !== 'namespaces' && key.namespace === undefined && err.kind === 'forbidden') {
      st.wideForbidden.add(key.kind); // namespace-scoped access: watch each namespace instead
      this.wake(st, key);
      this.updateWatches();
      for (const e of this.elements.values()) if (e.kind === 'group' && e.context === context && e.resource === key.kind) this.queueFire(e);
      return;
    }
    if (err.kind === 'gone') return; // the informer relists by itself
    if (st.synced.has(k) && err.kind === 'unreachable') return; // a cut watch: the data stays, the informer resumes with backoff
    st.errors.set(k, err);
    this.wake(st, key);
    if (before !== err.message) {
      if (key.kind === 'namespaces') this.queueFire(this.elements.get(ctxId(context)));
      else if (key.namespace !== undefined) this.queueFire(this.elements.get(groupId(context, key.namespace, key.kind)));
      else for (const e of this.elements.values()) if (e.kind === 'group' && e.context === context && e.resource === key.kind) this.queueFire(e);
    }
  }

  private wake(st: ContextState, key: WatchKey): void {
    const k = keyString(key);
    for (const w of st.waiters.get(k) ?? []) w();
    st.waiters.delete(k);
  }

  /** Waits until an informer has its first list, or failed; false when it failed or timed out. */
  private async synced(st: ContextState, key: WatchKey): Promise<boolean> {
    const inf = st.informers?.get(key);
    if (!inf) return false;
    if (st.synced.has(keyString(key))) return true;
    if (st.errors.has(keyString(key))) return false;
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<boolean>((resolve) => {
      const list = st.waiters.get(keyString(key)) ?? [];
      list.push(() => resolve(!st.errors.has(keyString(key))));
      st.waiters.set(keyString(key), list);
      timer = setTimeout(() => resolve(false), SYNC_WAIT_MS);
    });
    const ok = await Promise.race([inf.waitForSync().then(() => true), failed]);
    clearTimeout(timer);
    return ok && !st.errors.has(keyString(key));
  }

  private queueFire(e: KubeElement | undefined): void {
    if (!e) return;
    this.pendingFire.add(e);
    this.fireTimer ??= setTimeout(() => {
      this.fireTimer = undefined;
      const list = [...this.pendingFire];
      this.pendingFire = new Set();
      this.changed.fire(list);
      this.updated.fire(list);
    }, FIRE_MS);
  }

  private fireContexts(): void {
    const list = [...this.elements.values()].filter((e) => e.kind === 'context');
    if (list.length) this.changed.fire(list);
  }

  private element<T extends KubeElement>(e: T): T {
    const existing = this.elements.get(e.id) as T | undefined;
    if (existing) return Object.assign(existing, e);
    this.elements.set(e.id, e);
    return e;
  }

  /** The live object behind an item (from its informer's cache). */
  object(e: ObjectElement): KubeObject | undefined {
    return this.informer(e.context, e.resource, e.namespace)?.get(e.name, e.namespace);
  }

  find(context: string, namespace: string, kind: KindName, name: string): ObjectElement | undefined {
    return this.elements.get(objId(context, namespace, kind, name)) as ObjectElement | undefined;
  }

  getElement(id: string): KubeElement | undefined {
    return this.elements.get(id);
  }

  getTreeItem(e: KubeElement): vscode.TreeItem {
    const t = vscode.l10n.t;
    switch (e.kind) {
      case 'context': {
        const current = this.config?.currentContext === e.context;
        const info = this.config?.contexts.find((c) => c.name === e.context);
        const st = this.states.get(e.context);
        const broken = info?.error ?? st?.error ?? this.contextError(st);
        const item = new vscode.TreeItem(e.context, current ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
        item.id = e.id;
        item.iconPath = broken ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')) : new vscode.ThemeIcon(current ? 'vm-active' : 'vm-outline', current ? new vscode.ThemeColor('testing.iconPassed') : undefined);
        item.description = [current ? t('current') : '', info?.server ?? '', broken ? t('unavailable') : ''].filter(Boolean).join(' · ');
        item.tooltip = new vscode.MarkdownString([`**${e.context}**${current ? ` (${t('current context')})` : ''}`, '', `${t('Server')}: ${info?.server ?? '?'}`, '', `${t('User')}: ${info?.user ?? '?'}`, '', `${t('Namespace')}: ${info?.namespace ?? 'default'}`, '', `${t('File')}: ${info?.file ?? '?'}`].join('\n'));
        item.contextValue = current ? 'k8s-context-current' : 'k8s-context';
        return item;
      }
      case 'namespace': {
        const item = new vscode.TreeItem(e.namespace, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = e.id;
        item.iconPath = new vscode.ThemeIcon('symbol-namespace');
        item.contextValue = 'k8s-namespace';
        return item;
      }
      case 'group': {
        const st = this.states.get(e.context);
        const key = this.keyFor(st, e.resource, e.namespace);
        const inf = st?.informers?.get(key);
        const err = st?.errors.get(keyString(key));
        const item = new vscode.TreeItem(kindLabel(e.resource), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = e.id;
        item.iconPath = err ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')) : new vscode.ThemeIcon(KIND_ICONS[e.resource]);
        if (inf && st?.synced.has(keyString(key)) && !err) item.description = String(key.namespace ? inf.list().length : inf.list().filter((o) => o.metadata.namespace === e.namespace).length);
        item.contextValue = `k8s-group-${e.resource}`;
        return item;
      }
      case 'object': {
        const obj = this.object(e);
        const workload = WORKLOAD_KINDS.includes(e.resource);
        const item = new vscode.TreeItem(e.name, workload ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = e.id;
        item.contextValue = CONTEXT_VALUES[e.resource];
        if (!obj || !this.k8s) return item;
        const s = this.k8s.resources.summarize(e.resource, obj);
        const icon = healthIcon(s.health);
        item.iconPath = new vscode.ThemeIcon(icon.icon, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
        item.description = s.description;
        // A click opens the YAML, except on workloads: there it expands their conditions.
        if (!workload) item.command = { title: t('View YAML'), command: 'homelab.kubernetes.viewYaml', arguments: [e] };
        return item;
      }
      case 'condition': {
        const item = new vscode.TreeItem(e.text, vscode.TreeItemCollapsibleState.None);
        item.id = e.id;
        item.description = e.detail;
        item.tooltip = e.detail;
        item.iconPath = new vscode.ThemeIcon(e.ok ? 'pass' : 'error', new vscode.ThemeColor(e.ok ? 'testing.iconPassed' : 'errorForeground'));
        item.contextValue = 'k8s-condition';
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(e.text, vscode.TreeItemCollapsibleState.None);
        item.id = e.id;
        item.iconPath = new vscode.ThemeIcon(e.severity === 'error' ? 'error' : 'info', e.severity === 'error' ? new vscode.ThemeColor('errorForeground') : undefined);
        item.description = e.detail;
        item.tooltip = e.command ? `${e.detail}\n\n${e.command.title}` : e.detail;
        item.command = e.command;
        item.contextValue = e.severity === 'error' ? 'k8s-message-error' : 'k8s-message';
        return item;
      }
    }
  }

  /** Tooltips are built when hovered, not for every item on every watch event. */
  resolveTreeItem(item: vscode.TreeItem, e: KubeElement): vscode.TreeItem {
    if (e.kind === 'object' && this.k8s) {
      const obj = this.object(e);
      if (obj) {
        const md = new vscode.MarkdownString(objectTooltip(e.resource, obj, this.k8s.resources.summarize(e.resource, obj), vscode.l10n.t), true);
        item.tooltip = md;
      }
    }
    return item;
  }

  private contextError(st: ContextState | undefined): KubeError | undefined {
    const err = st?.errors.get(keyString({ kind: 'namespaces' }));
    return err && err.kind !== 'forbidden' ? err : undefined;
  }

  getParent(e: KubeElement): KubeElement | undefined {
    switch (e.kind) {
      case 'context': return undefined;
      case 'namespace': return this.elements.get(ctxId(e.context));
      case 'group': return this.elements.get(nsId(e.context, e.namespace));
      case 'object': return this.elements.get(groupId(e.context, e.namespace, e.resource));
      case 'condition': return this.elements.get(e.parent);
      case 'message': return e.parent ? this.elements.get(e.parent) : undefined;
    }
  }

  async getChildren(e?: KubeElement): Promise<KubeElement[]> {
    this.rendering = true;
    if (!e) return this.roots();
    switch (e.kind) {
      case 'context': return this.contextChildren(e);
      case 'namespace':
        this.expanded.add(e.id);
        this.updateWatches();
        this.k8s ??= await loadKubernetes();
        return this.k8s.resources.TREE_KINDS.map((resource) => this.element({ kind: 'group', id: groupId(e.context, e.namespace, resource), context: e.context, namespace: e.namespace, resource }));
      case 'group': return this.groupChildren(e);
      case 'object': {
        const obj = this.object(e);
        if (!obj || !WORKLOAD_KINDS.includes(e.resource)) return [];
        const rows = conditionRows(obj);
        if (!rows.length) return [this.element({ kind: 'message', id: `${e.id}/none`, parent: e.id, severity: 'info', text: vscode.l10n.t('No conditions reported yet'), detail: '' })];
        return rows.map((r) => this.element({ kind: 'condition', id: `${e.id}/c/${r.type}`, parent: e.id, ok: r.ok, text: `${r.type}=${r.status}`, detail: [r.reason, r.message].filter(Boolean).join(': ') }));
      }
      default: return [];
    }
  }

  private async roots(): Promise<KubeElement[]> {
    let cfg: Kubeconfig;
    try {
      cfg = await this.kubeconfig();
    } catch (e) {
      return [this.element({ kind: 'message', id: 'k8s-error', severity: 'error', text: vscode.l10n.t('The kubeconfig could not be read'), detail: (e as Error).message })];
    }
    const out: KubeElement[] = cfg.contexts.map((c: KubeContextInfo) => this.element({ kind: 'context', id: ctxId(c.name), context: c.name }));
    // A broken file only hides its own contexts: say which file and why.
    for (const p of cfg.fileProblems) {
      // No file at all is the normal "no kubeconfig yet" case when nothing else exists: the welcome view explains it.
      if (!cfg.contexts.length && cfg.fileProblems.every((x) => / does not exist\.$/.test(x.message))) return [];
      out.push(this.element({ kind: 'message', id: `k8s-file/${p.file}`, severity: 'error', text: vscode.l10n.t('Kubeconfig file problem'), detail: p.message, command: { title: vscode.l10n.t('Open file'), command: 'vscode.open', arguments: [vscode.Uri.file(p.file)] } }));
    }
    return out;
  }

  private errorMessage(id: string, parent: string, context: string, err: unknown): KubeElement {
    const message = err instanceof Error ? err.message : String(err);
    const kind = (err as KubeError)?.kind;
    const text = kind === 'unauthorized' ? vscode.l10n.t('Credentials rejected (401)')
      : kind === 'forbidden' ? vscode.l10n.t('Forbidden (403)')
        : kind === 'unreachable' ? vscode.l10n.t('API server unreachable')
          : kind === 'config' ? vscode.l10n.t('Context cannot be used')
            : vscode.l10n.t('Error');
    return this.element({ kind: 'message', id, parent, context, severity: 'error', text, detail: message, command: { title: vscode.l10n.t('Refresh'), command: 'homelab.kubernetes.refresh' } });
  }

  private async contextChildren(e: ContextElement): Promise<KubeElement[]> {
    this.expanded.add(e.id);
    const cfg = await this.kubeconfig();
    const info = cfg.contexts.find((c) => c.name === e.context);
    if (info?.error) return [this.errorMessage(`${e.id}/error`, e.id, e.context, info.error)];
    const st = await this.state(e.context);
    if (!st.client) return [this.errorMessage(`${e.id}/error`, e.id, e.context, st.error)];
    this.updateWatches();
    let names: string[] | undefined;
    if (!st.namespacesForbidden) {
      const ok = await this.synced(st, { kind: 'namespaces' });
      const err = st.errors.get(keyString({ kind: 'namespaces' }));
      if (!ok && err && err.kind !== 'forbidden') return [this.errorMessage(`${e.id}/error`, e.id, e.context, err)];
      if (ok) names = st.informers!.get({ kind: 'namespaces' })!.list().map((n) => n.metadata.name);
    }
    const filter = vscode.workspace.getConfiguration('homelab.kubernetes').get<string[]>('namespaceFilter', []);
    return visibleNamespaces(names, filter, st.client.namespace).map((namespace) => this.element({ kind: 'namespace', id: nsId(e.context, namespace), context: e.context, namespace }));
  }

  private async groupChildren(e: Extract<KubeElement, { kind: 'group' }>): Promise<KubeElement[]> {
    this.expanded.add(e.id);
    const st = await this.state(e.context);
    if (!st.client) return [this.errorMessage(`${e.id}/error`, e.id, e.context, st.error)];
    this.updateWatches();
    let key = this.keyFor(st, e.resource, e.namespace);
    let ok = await this.synced(st, key);
    if (!ok && key.namespace === undefined && st.wideForbidden.has(e.resource)) {
      key = this.keyFor(st, e.resource, e.namespace); // the all-namespaces list was refused: per namespace
      ok = await this.synced(st, key);
    }
    const err = st.errors.get(keyString(key));
    if (!ok) return [this.errorMessage(`${e.id}/error`, e.id, e.context, err ?? new Error(vscode.l10n.t('No answer from the API server yet.')))];
    const all = st.informers!.get(key)!.list();
    const objects = (key.namespace ? all : all.filter((o) => o.metadata.namespace === e.namespace)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    if (!objects.length) {
      const label = kindLabel(e.resource);
      return [this.element({ kind: 'message', id: `${e.id}/empty`, parent: e.id, context: e.context, severity: 'info', text: vscode.l10n.t('No {0} in {1}', label, e.namespace), detail: '' })];
    }
    return objects.map((o) => this.element({ kind: 'object', id: objId(e.context, e.namespace, e.resource, o.metadata.name), context: e.context, namespace: e.namespace, resource: e.resource, name: o.metadata.name }));
  }

  dispose(): void {
    clearTimeout(this.fireTimer);
    clearTimeout(this.fileTimer);
    for (const w of this.fileWatchers) w.close();
    for (const st of this.states.values()) st.informers?.stopAll();
    this.changed.dispose();
    this.updated.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
