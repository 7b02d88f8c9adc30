import * as vscode from 'vscode';
import type { KubernetesSession, ObjectsChange, PortForwards, WatchDemand } from '../../services/kubernetes';
import { settings } from '../../services/settings';
import { allGroupId, allObjId, ctxId, forwardsId, groupId, nsId, objId, type KubeElement } from './elements';
import { nodeId, nodesId } from './nodes';
import type { Applications } from '../../services/kubernetes/applications';
import type { ApplicationsTree } from './applications';

/** What the coordinator needs of the tree: its element cache and its change events. */
export interface RefreshTarget {
  getElement(id: string): KubeElement | undefined;
  elements(): Iterable<KubeElement>;
  fire(elements: KubeElement[] | undefined): void;
  /** The kubeconfig was reread: forget every element. */
  reset(): void;
}

const DEBOUNCE_MS = 20; // several watch batches arriving together make one tree event

/**
 * Every reason the Kubernetes tree changes, in one place (in the manner of vscode-containers'
 * RefreshManager): session events first (watch batches, kubeconfig files, errors), settings, and
 * the view's own expand/collapse/visibility, which decide what the session watches. Changes are
 * debounced into one event naming the elements they touch, and held back while the view is
 * hidden (watches stop then; one refresh on showing covers whatever changed). No polling.
 */
export class KubernetesRefresh implements vscode.Disposable {
  private readonly expanded = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private view?: vscode.TreeView<KubeElement>;
  /** VS Code asks for children only to render them: the view is shown even if its visibility event is still on its way. */
  private rendering = false;
  private pending = new Set<KubeElement>();
  private staleWhileHidden = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly session: KubernetesSession, forwards: PortForwards | undefined, private readonly tree: RefreshTarget,
    private readonly apps?: { service: Applications; tree: ApplicationsTree }) {
    // Applications: their service says which namespaces changed; the group or the app row redraws.
    if (apps) this.disposables.push(apps.service.onDidChange((changes) => { for (const e of apps.tree.changed(changes)) this.queue(e); }));
    // Port-forwards: the context shows or hides its group, the group lists them again.
    if (forwards) this.disposables.push(forwards.onDidChange(() => {
      for (const e of [...this.tree.elements()]) if (e.kind === 'context') { this.queue(e); this.queue(this.tree.getElement(forwardsId(e.context))); }
    }));
    this.disposables.push(
      session.onDidChangeContexts((e) => {
        if (e.reset) this.tree.reset();
        this.fireAll();
      }),
      session.onDidChangeObjects((changes) => { for (const c of changes) this.onObjects(c); }),
      settings.onDidChange((e) => {
        if (e.affects('kubernetes.allNamespaces')) this.schedule();
        if (e.affects('kubernetes.namespaceFilter') || e.affects('kubernetes.allNamespaces')) this.fireContexts();
      }),
    );
  }

  attach(view: vscode.TreeView<KubeElement>): void {
    this.view = view;
    this.disposables.push(
      view.onDidExpandElement((e) => this.expand(e.element)),
      view.onDidCollapseElement((e) => { this.expanded.delete(e.element.id); this.schedule(); }),
      view.onDidChangeVisibility((e) => {
        this.rendering = e.visible;
        this.schedule();
        if (e.visible && this.staleWhileHidden) { this.staleWhileHidden = false; this.fireAll(); }
      }),
    );
  }

  /** The tree is rendering children (so it is visible). */
  rendered(): void {
    this.rendering = true;
  }

  /** An element shows its children: watch what they need. */
  expand(e: KubeElement): void {
    this.expanded.add(e.id);
    this.schedule();
  }

  private visible(): boolean {
    return this.view ? this.view.visible || this.rendering : true;
  }

  /** Tells the session what is expanded and visible: the namespace list of an open context, the kinds of open groups. */
  private schedule(): void {
    const demands: WatchDemand[] = [];
    const allMode = settings.get('kubernetes.allNamespaces');
    if (this.visible()) {
      for (const id of this.expanded) {
        const e = this.tree.getElement(id);
        if (e?.kind === 'context') demands.push({ context: e.context, kind: 'namespaces' });
        else if (e?.kind === 'nodes' && this.expanded.has(ctxId(e.context))) demands.push({ context: e.context, kind: 'nodes' });
        else if (e?.kind === 'group' && this.expanded.has(ctxId(e.context)) && this.expanded.has(nsId(e.context, e.namespace)) && !allMode.includes(e.context)) {
          demands.push({ context: e.context, kind: e.resource, namespace: e.namespace });
        } else if (e?.kind === 'allGroup' && this.expanded.has(ctxId(e.context)) && allMode.includes(e.context)) {
          demands.push({ context: e.context, kind: e.resource }); // one list and one watch across namespaces
        }
      }
    }
    this.session.setDemand('tree', demands);
    this.apps?.tree.demand(this.expanded, this.visible());
  }

  private onObjects(c: ObjectsChange): void {
    const get = (id: string) => this.tree.getElement(id);
    if (c.kind === 'namespaces') {
      if (c.all || c.listChanged.length) this.queue(get(ctxId(c.context)));
      return;
    }
    if (c.kind === 'nodes') {
      // The group's count and list; a node's row and its conditions.
      this.queue(get(nodesId(c.context)));
      for (const o of c.modified) { const n = get(nodeId(c.context, o.name)); this.queue(n); }
      return;
    }
    if (c.all) {
      for (const e of this.tree.elements()) {
        if (e.kind === 'group' && e.context === c.context && e.resource === c.kind && (c.namespace === undefined || e.namespace === c.namespace)) this.queue(e);
      }
    }
    for (const ns of c.listChanged) this.queue(get(groupId(c.context, ns, c.kind))); // the list of children changed
    for (const o of c.modified) if (!c.listChanged.includes(o.namespace)) this.queue(get(objId(c.context, o.namespace, c.kind, o.name)));
    // The all-namespaces view of the same kind.
    if (c.all || c.listChanged.length) this.queue(get(allGroupId(c.context, c.kind)));
    else for (const o of c.modified) this.queue(get(allObjId(c.context, o.namespace, c.kind, o.name)));
  }

  private queue(e: KubeElement | undefined): void {
    if (!e) return;
    this.pending.add(e);
    this.timer ??= setTimeout(() => this.flush(), DEBOUNCE_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const list = [...this.pending];
    this.pending = new Set();
    if (!list.length) return;
    if (!this.visible()) { this.staleWhileHidden = true; return; }
    this.tree.fire(list);
  }

  private fireAll(): void {
    this.tree.fire(undefined);
  }

  private fireContexts(): void {
    const list = [...this.tree.elements()].filter((e) => e.kind === 'context');
    if (list.length) this.tree.fire(list);
  }

  /** Watch keys the session runs (tests, bench). */
  activeWatches(): string[] {
    return this.session.activeWatches();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.session.setDemand('tree', []);
    this.apps?.service.setDemand('tree', { contexts: [], apps: [] });
    for (const d of this.disposables) d.dispose();
  }
}
