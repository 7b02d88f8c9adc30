import * as vscode from 'vscode';
import type { Kubeconfig } from '../../providers/kubernetes/kubeconfig';
import type { KubernetesSession, PortForwards } from '../../services/kubernetes';
import { settings } from '../../services/settings';
import { allGroupId, allObjId, ctxId, forwardId, forwardsId, groupId, kindLabel, nsId, objId, type AllGroupElement, type ContextElement, type GroupElement, type KubeElement, type ObjectElement } from './elements';
import { conditionRows, visibleNamespaces, WORKLOAD_KINDS } from './items';
import { KubernetesRefresh } from './refresh';
import { nodeChildren, nodesChildren, nodesId, type NodeVmLookup } from './nodes';
import { errorText, resolveItem, treeItem } from './tree-item';
import type { Applications } from '../../services/kubernetes/applications';
import { appId, appsId, ApplicationsTree } from './applications';

export type { ContextElement, KubeElement, ObjectElement } from './elements';

/**
 * Kubernetes contexts → namespaces → kinds → objects, displayed from what the session watches.
 * The tree only displays: the session owns clients and watches, the refresh coordinator decides
 * what is watched (expanded and visible) and which elements a change touches.
 */
export class KubernetesTreeProvider implements vscode.TreeDataProvider<KubeElement>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<KubeElement | KubeElement[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly updated = new vscode.EventEmitter<KubeElement[]>();
  /** Fires right after a tree change event caused by watch data, with the elements (tests, bench). */
  readonly onDidUpdate = this.updated.event;
  private readonly elements = new Map<string, KubeElement>();
  private readonly refresher: KubernetesRefresh;
  private readonly appsTree?: ApplicationsTree;

  constructor(private readonly session: KubernetesSession, private readonly forwards?: PortForwards, private readonly vmOf?: NodeVmLookup, apps?: Applications) {
    if (apps) this.appsTree = new ApplicationsTree(apps, (x) => this.element(x), (id) => this.elements.get(id), (e) => setTimeout(() => this.changed.fire(e), 0));
    this.refresher = new KubernetesRefresh(session, forwards, {
      getElement: (id) => this.elements.get(id),
      elements: () => this.elements.values(),
      fire: (list) => {
        this.changed.fire(list);
        if (list) this.updated.fire(list);
      },
      reset: () => this.elements.clear(),
    }, apps && this.appsTree ? { service: apps, tree: this.appsTree } : undefined);
  }

  /** Watches follow the view: expanded and visible only. */
  attach(view: vscode.TreeView<KubeElement>): void {
    this.refresher.attach(view);
  }

  /** Rereads the kubeconfig (tests and bench call it; the command asks the session itself). */
  refresh(): Promise<void> {
    return this.session.refresh();
  }

  /** Watch keys currently running per context (tests, bench). */
  activeWatches(): string[] {
    return this.refresher.activeWatches();
  }

  find(context: string, namespace: string, kind: ObjectElement['resource'], name: string): ObjectElement | undefined {
    return this.elements.get(objId(context, namespace, kind, name)) as ObjectElement | undefined;
  }

  getElement(id: string): KubeElement | undefined {
    return this.elements.get(id);
  }

  private element<T extends KubeElement>(e: T): T {
    const existing = this.elements.get(e.id) as T | undefined;
    if (existing) return Object.assign(existing, e);
    this.elements.set(e.id, e);
    return e;
  }

  getTreeItem(e: KubeElement): vscode.TreeItem {
    if (this.appsTree && (e.kind === 'apps' || e.kind === 'app' || e.kind === 'appPart' || e.kind === 'appRow')) return this.appsTree.treeItem(e);
    return treeItem(this.session, e, this.forwards, this.vmOf);
  }

  resolveTreeItem(item: vscode.TreeItem, e: KubeElement): vscode.TreeItem | Promise<vscode.TreeItem> {
    return resolveItem(this.session, item, e);
  }

  getParent(e: KubeElement): KubeElement | undefined {
    switch (e.kind) {
      case 'context': return undefined;
      case 'namespace': return this.elements.get(ctxId(e.context));
      case 'group': return this.elements.get(nsId(e.context, e.namespace));
      case 'allGroup': return this.elements.get(ctxId(e.context));
      case 'object': return this.elements.get(e.parent ?? (e.all ? allGroupId(e.context, e.resource) : groupId(e.context, e.namespace, e.resource)));
      case 'apps': return this.elements.get(ctxId(e.context));
      case 'app': return this.elements.get(appsId(e.context));
      case 'appPart': return this.elements.get(appId(e.context, e.namespace, e.app));
      case 'appRow': return this.elements.get(e.parent);
      case 'forwards': return this.elements.get(ctxId(e.context));
      case 'forward': return this.elements.get(forwardsId(e.context));
      case 'nodes': return this.elements.get(ctxId(e.context));
      case 'node': return this.elements.get(nodesId(e.context));
      case 'condition': return this.elements.get(e.parent);
      case 'message': return e.parent ? this.elements.get(e.parent) : undefined;
    }
  }

  async getChildren(e?: KubeElement): Promise<KubeElement[]> {
    this.refresher.rendered();
    if (!e) return this.roots();
    switch (e.kind) {
      case 'context': return this.contextChildren(e);
      case 'namespace': {
        this.refresher.expand(e);
        const k8s = await this.session.modules();
        return k8s.resources.TREE_KINDS.map((resource) => this.element({ kind: 'group', id: groupId(e.context, e.namespace, resource), context: e.context, namespace: e.namespace, resource }));
      }
      case 'group': return this.groupChildren(e);
      case 'forwards': return (this.forwards?.list(e.context) ?? []).map((f) => this.element({ kind: 'forward', id: forwardId(e.context, f.id), context: e.context, forwardId: f.id }));
      case 'allGroup': return this.allGroupChildren(e);
      case 'nodes':
        this.refresher.expand(e);
        return nodesChildren(this.session, e, (x) => this.element(x));
      case 'node': return nodeChildren(this.session, e, (x) => this.element(x));
      case 'apps':
      case 'app':
        this.refresher.expand(e);
        return this.appsTree?.children(e) ?? [];
      case 'appPart': return this.appsTree?.children(e) ?? [];
      case 'object': {
        const obj = this.session.object(e.context, e.resource, e.namespace, e.name);
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
      cfg = await this.session.kubeconfig();
    } catch (e) {
      return [this.element({ kind: 'message', id: 'k8s-error', severity: 'error', text: vscode.l10n.t('The kubeconfig could not be read'), detail: (e as Error).message })];
    }
    const out: KubeElement[] = cfg.contexts.map((c) => this.element({ kind: 'context', id: ctxId(c.name), context: c.name }));
    // No file at all is the normal "no kubeconfig yet" case when nothing else exists: the welcome view explains it.
    if (!cfg.contexts.length && cfg.fileProblems.every((x) => / does not exist\.$/.test(x.message))) return [];
    // A broken file only hides its own contexts: say which file and why.
    for (const p of cfg.fileProblems) {
      out.push(this.element({ kind: 'message', id: `k8s-file/${p.file}`, severity: 'error', text: vscode.l10n.t('Kubeconfig file problem'), detail: p.message, command: { title: vscode.l10n.t('Open file'), command: 'vscode.open', arguments: [vscode.Uri.file(p.file)] } }));
    }
    return out;
  }

  private errorMessage(parent: string, context: string, err: unknown): KubeElement {
    const detail = err instanceof Error ? err.message : String(err);
    return this.element({ kind: 'message', id: `${parent}/error`, parent, context, severity: 'error', text: errorText(err), detail, command: { title: vscode.l10n.t('Refresh'), command: 'homelab.kubernetes.refresh' } });
  }

  private async contextChildren(e: ContextElement): Promise<KubeElement[]> {
    // The context's port-forwards come first, while it has some.
    const forwards: KubeElement[] = this.forwards?.list(e.context).length ? [this.element({ kind: 'forwards', id: forwardsId(e.context), context: e.context })] : [];
    const content = await this.contextContent(e);
    // A context that answers gets its Nodes group (cluster-wide, above the namespaces).
    const broken = content.length === 1 && content[0].kind === 'message' && content[0].severity === 'error';
    const nodes: KubeElement[] = broken ? [] : [this.element({ kind: 'nodes', id: nodesId(e.context), context: e.context })];
    // ... and its Applications group (objects sharing app.kubernetes.io/part-of, any namespace).
    const apps: KubeElement[] = broken || !this.appsTree ? [] : [this.appsTree.group(e.context)];
    return [...forwards, ...nodes, ...apps, ...content];
  }

  private async contextContent(e: ContextElement): Promise<KubeElement[]> {
    this.refresher.expand(e);
    const cfg = await this.session.kubeconfig();
    const info = cfg.contexts.find((c) => c.name === e.context);
    if (info?.error) return [this.errorMessage(e.id, e.context, info.error)];
    let namespace: string;
    try {
      namespace = (await this.session.client(e.context)).namespace;
    } catch (err) {
      return [this.errorMessage(e.id, e.context, err)];
    }
    if (settings.get('kubernetes.allNamespaces').includes(e.context)) {
      const k8s = await this.session.modules();
      return k8s.resources.TREE_KINDS.map((resource) => this.element({ kind: 'allGroup', id: allGroupId(e.context, resource), context: e.context, resource }));
    }
    let names: string[] | undefined;
    if (!this.session.namespacesForbidden(e.context)) {
      const ok = await this.session.whenSynced(e.context, 'namespaces');
      const err = this.session.status(e.context, 'namespaces').error;
      if (!ok && err && err.kind !== 'forbidden') return [this.errorMessage(e.id, e.context, err)];
      if (ok) names = this.session.objects(e.context, 'namespaces').map((n) => n.metadata.name);
    }
    return visibleNamespaces(names, settings.get('kubernetes.namespaceFilter'), namespace).map((ns) => this.element({ kind: 'namespace', id: nsId(e.context, ns), context: e.context, namespace: ns }));
  }

  private async groupChildren(e: GroupElement): Promise<KubeElement[]> {
    this.refresher.expand(e);
    try {
      await this.session.client(e.context);
    } catch (err) {
      return [this.errorMessage(e.id, e.context, err)];
    }
    const ok = await this.session.whenSynced(e.context, e.resource, e.namespace);
    if (!ok) return [this.errorMessage(e.id, e.context, this.session.status(e.context, e.resource, e.namespace).error ?? new Error(vscode.l10n.t('No answer from the API server yet.')))];
    const objects = this.session.objects(e.context, e.resource, e.namespace).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    if (!objects.length) {
      return [this.element({ kind: 'message', id: `${e.id}/empty`, parent: e.id, context: e.context, severity: 'info', text: vscode.l10n.t('No {0} in {1}', kindLabel(e.resource), e.namespace), detail: '' })];
    }
    return objects.map((o) => this.element({ kind: 'object', id: objId(e.context, e.namespace, e.resource, o.metadata.name), context: e.context, namespace: e.namespace, resource: e.resource, name: o.metadata.name }));
  }

  /** One kind across every namespace: one list and one watch (or, when refused, namespace by namespace). */
  private async allGroupChildren(e: AllGroupElement): Promise<KubeElement[]> {
    this.refresher.expand(e);
    try {
      await this.session.client(e.context);
    } catch (err) {
      return [this.errorMessage(e.id, e.context, err)];
    }
    const ok = await this.session.whenSynced(e.context, e.resource);
    if (!ok) return [this.errorMessage(e.id, e.context, this.session.status(e.context, e.resource).error ?? new Error(vscode.l10n.t('No answer from the API server yet.')))];
    const filter = settings.get('kubernetes.namespaceFilter');
    const objects = this.session.objects(e.context, e.resource)
      .filter((o) => !filter.length || filter.includes(o.metadata.namespace ?? ''))
      .sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name));
    const out: KubeElement[] = [];
    if (this.session.wideRefused(e.context, e.resource)) {
      out.push(this.element({ kind: 'message', id: `${e.id}/per-namespace`, parent: e.id, context: e.context, severity: 'info', text: vscode.l10n.t('Listing across namespaces is forbidden'), detail: vscode.l10n.t('shown namespace by namespace, where allowed') }));
    }
    if (!objects.length) out.push(this.element({ kind: 'message', id: `${e.id}/empty`, parent: e.id, context: e.context, severity: 'info', text: vscode.l10n.t('No {0} in any namespace', kindLabel(e.resource)), detail: '' }));
    for (const o of objects) {
      const ns = o.metadata.namespace ?? '';
      out.push(this.element({ kind: 'object', id: allObjId(e.context, ns, e.resource, o.metadata.name), context: e.context, namespace: ns, resource: e.resource, name: o.metadata.name, all: true }));
    }
    return out;
  }

  dispose(): void {
    this.refresher.dispose();
    this.changed.dispose();
    this.updated.dispose();
  }
}
