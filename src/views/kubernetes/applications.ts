// The Applications group of a context: one row per application (objects of a namespace sharing
// app.kubernetes.io/part-of) with its rollout, pods, the endpoints behind its Service, its URL,
// its database and recent events. Display only: the Applications service says what there is and
// watches only what is expanded (the refresh coordinator hands it the expanded elements).
import * as vscode from 'vscode';
import type { AppDetail, AppRef, AppSummary } from '../../providers/kubernetes/applications';
import type { Applications, ApplicationsChange } from '../../services/kubernetes/applications';
import type { AppPart, KubeElement } from './elements';

export type AppsElement = Extract<KubeElement, { kind: 'apps' }>;
export type AppElement = Extract<KubeElement, { kind: 'app' }>;
export type AppPartElement = Extract<KubeElement, { kind: 'appPart' }>;
export type AppRowElement = Extract<KubeElement, { kind: 'appRow' }>;

export const appsId = (context: string) => `k8s/${context}/apps`;
export const appId = (context: string, namespace: string, name: string) => `k8s/${context}/apps/${namespace}/${name}`;
export const appPartId = (context: string, namespace: string, name: string, part: AppPart) => `${appId(context, namespace, name)}/${part}`;

const PARTS: AppPart[] = ['rollout', 'pods', 'endpoints', 'url', 'database', 'events'];
/** Parts that have rows below them. */
const EXPANDABLE: AppPart[] = ['rollout', 'pods', 'endpoints', 'database', 'events'];

type Make = <T extends KubeElement>(e: T) => T;

/** The `viewItem` of an application: `-web` when it has a web Deployment (logs, scale, image, restart), `-url` when it has a URL. */
export function appContextValue(s: { web?: string; url?: string }): string {
  return `k8s-app${s.web ? '-web' : ''}${s.url ? '-url' : ''}`;
}

export function refOf(e: AppElement | AppPartElement): AppRef {
  return e.kind === 'app' ? { context: e.context, namespace: e.namespace, name: e.name } : { context: e.context, namespace: e.namespace, name: e.app };
}

export class ApplicationsTree {
  /** The last details read per application (tree items render synchronously from them). */
  private readonly details = new Map<string, AppDetail>();

  constructor(private readonly apps: Applications, private readonly element: Make, private readonly get: (id: string) => KubeElement | undefined,
    /** The row of an application must be drawn again (what it offers changed once its details were read). */
    private readonly stale: (e: KubeElement) => void = () => undefined) {}

  group(context: string): AppsElement {
    return this.element({ kind: 'apps', id: appsId(context), context });
  }

  /** Says what to watch: the lists of expanded groups (of expanded contexts), the namespaces of expanded apps. */
  demand(expanded: ReadonlySet<string>, visible: boolean): void {
    const contexts: string[] = [];
    const apps: AppRef[] = [];
    if (visible) {
      for (const id of expanded) {
        const e = this.get(id);
        if (e?.kind === 'apps' && expanded.has(`k8s/${e.context}`)) contexts.push(e.context);
        else if (e?.kind === 'app' && expanded.has(`k8s/${e.context}`) && expanded.has(appsId(e.context))) apps.push(refOf(e));
      }
    }
    this.apps.setDemand('tree', { contexts, apps });
  }

  /** The elements a change touches: the group (its list and counts), the application (its subtree). */
  changed(changes: ApplicationsChange[]): KubeElement[] {
    const out: KubeElement[] = [];
    for (const c of changes) {
      if (c.list) { const g = this.get(appsId(c.context)); if (g) out.push(g); }
      if (c.namespace) {
        const prefix = `${appsId(c.context)}/${c.namespace}/`;
        for (const id of this.appIds()) if (id.startsWith(prefix)) { const e = this.get(id); if (e) out.push(e); }
      }
    }
    return out;
  }

  private appIds(): string[] {
    return [...this.details.keys()];
  }

  async children(e: AppsElement | AppElement | AppPartElement): Promise<KubeElement[]> {
    if (e.kind === 'apps') return this.appsChildren(e);
    if (e.kind === 'app') {
      const ref = refOf(e);
      const before = this.details.get(e.id);
      const now = await this.apps.describe(ref);
      this.details.set(e.id, now);
      if (appContextValue({ web: before?.web, url: before?.url }) !== appContextValue(now) || before?.database.kind !== now.database.kind) this.stale(e);
      return PARTS.filter((p) => p !== 'url' || this.details.get(e.id)?.url)
        .map((part) => this.element({ kind: 'appPart', id: appPartId(e.context, e.namespace, e.name, part), context: e.context, namespace: e.namespace, app: e.name, part }));
    }
    return this.partChildren(e);
  }

  private async appsChildren(e: AppsElement): Promise<KubeElement[]> {
    let list: AppSummary[];
    try {
      list = await this.apps.list(e.context);
    } catch (err) {
      return [this.element({ kind: 'message', id: `${e.id}/error`, parent: e.id, context: e.context, severity: 'error', text: vscode.l10n.t('Applications could not be listed'), detail: (err as Error).message })];
    }
    // Forget apps that went away (their details and elements are not shown any more).
    const ids = new Set(list.map((a) => appId(e.context, a.namespace, a.name)));
    for (const id of this.appIds()) if (id.startsWith(`${e.id}/`) && !ids.has(id)) this.details.delete(id);
    if (!list.length) {
      return [this.element({ kind: 'message', id: `${e.id}/empty`, parent: e.id, context: e.context, severity: 'info', text: vscode.l10n.t('No applications'), detail: vscode.l10n.t('workloads labelled app.kubernetes.io/part-of') })];
    }
    return list.map((a) => {
      const id = appId(e.context, a.namespace, a.name);
      if (!this.details.has(id)) this.details.set(id, { ...a, pods: [], containers: [], database: { kind: 'unknown', reason: '' }, events: [] });
      else this.details.set(id, { ...this.details.get(id)!, ...a });
      return this.element({ kind: 'app', id, context: e.context, namespace: a.namespace, name: a.name });
    });
  }

  private detailOf(e: AppPartElement): AppDetail | undefined {
    return this.details.get(appId(e.context, e.namespace, e.app));
  }

  private row(parent: string, key: string, r: Omit<AppRowElement, 'kind' | 'id' | 'parent'>): AppRowElement {
    return this.element({ kind: 'appRow', id: `${parent}/${key}`, parent, ...r });
  }

  private partChildren(e: AppPartElement): KubeElement[] {
    const d = this.detailOf(e);
    const t = vscode.l10n.t;
    if (!d) return [];
    switch (e.part) {
      case 'rollout': {
        const rows: KubeElement[] = d.containers.map((c) => this.row(e.id, `c/${c.name}`, { text: c.name, detail: c.image, icon: 'symbol-constant', contextValue: 'k8s-app-container' }));
        if (d.rollout && !d.rollout.done) rows.push(this.row(e.id, 'status', { text: d.rollout.failure ? t('Rollout failed') : t('Rollout in progress'), detail: d.rollout.message, icon: d.rollout.failure ? 'error' : 'sync~spin', color: d.rollout.failure ? 'errorForeground' : undefined, contextValue: 'k8s-app-info' }));
        return rows;
      }
      case 'pods':
        if (!d.pods.length) return [this.row(e.id, 'none', { text: t('No pods'), detail: '', icon: 'info', contextValue: 'k8s-app-info' })];
        // Pod rows are the tree's pod objects: their menus (logs, shell, delete, YAML) apply.
        return d.pods.map((p) => this.element({ kind: 'object', id: `${e.id}/${p.name}`, context: e.context, namespace: e.namespace, resource: 'pods', name: p.name, parent: e.id }));
      case 'endpoints':
        if (!d.service) return [this.row(e.id, 'none', { text: t('No Service'), detail: '', icon: 'info', contextValue: 'k8s-app-info' })];
        if (!d.service.endpoints.length) return [this.row(e.id, 'none', { text: t('No endpoints'), detail: t('no pod behind Service {0}', d.service.name), icon: 'warning', color: 'problemsWarningIcon.foreground', contextValue: 'k8s-app-info' })];
        return d.service.endpoints.map((ep) => this.row(e.id, `ep/${ep.pod}`, { text: ep.address, detail: `${ep.pod} · ${ep.ready ? t('ready') : t('not ready')}`, icon: ep.ready ? 'pass' : 'circle-slash', color: ep.ready ? 'testing.iconPassed' : 'problemsWarningIcon.foreground', contextValue: 'k8s-app-endpoint' }));
      case 'database': {
        const set = d.database.set;
        if (!set) return [];
        return [
          this.row(e.id, 'set', { text: t('StatefulSet {0}', set.name), detail: t('{0}/{1} ready', set.ready, set.desired), icon: 'database', color: set.ready >= set.desired ? 'testing.iconPassed' : 'problemsWarningIcon.foreground', contextValue: 'k8s-app-info' }),
          ...set.claims.map((c) => this.row(e.id, `pvc/${c.name}`, { text: c.name, detail: c.phase, icon: 'save', color: c.phase === 'Bound' ? 'testing.iconPassed' : 'problemsWarningIcon.foreground', contextValue: 'k8s-app-info' })),
          ...(set.claims.length ? [] : [this.row(e.id, 'pvc-none', { text: t('No claim yet'), detail: '', icon: 'info', contextValue: 'k8s-app-info' })]),
        ];
      }
      case 'events':
        if (!d.events.length) return [this.row(e.id, 'none', { text: t('No recent events'), detail: '', icon: 'info', contextValue: 'k8s-app-info' })];
        return d.events.map((ev, i) => this.row(e.id, `ev/${i}`, {
          text: `${ev.reason}${ev.count > 1 ? ` ×${ev.count}` : ''}`, detail: `${ev.object} · ${ev.message}`, tooltip: `${ev.time} ${ev.type} ${ev.object}\n\n${ev.message}`,
          icon: ev.type === 'Warning' ? 'warning' : 'history', color: ev.type === 'Warning' ? 'problemsWarningIcon.foreground' : undefined, contextValue: 'k8s-app-event',
        }));
      case 'url': return [];
    }
  }

  treeItem(e: AppsElement | AppElement | AppPartElement | AppRowElement): vscode.TreeItem {
    const t = vscode.l10n.t;
    switch (e.kind) {
      case 'apps': {
        const item = new vscode.TreeItem(t('Applications'), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = e.id;
        item.iconPath = new vscode.ThemeIcon('layers');
        const n = this.apps.listNow(e.context).length;
        if (n) item.description = String(n);
        item.contextValue = 'k8s-apps';
        return item;
      }
      case 'app': {
        const d = this.details.get(e.id);
        const item = new vscode.TreeItem(e.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = e.id;
        const r = d?.rollout;
        item.iconPath = !r ? new vscode.ThemeIcon('layers')
          : r.failure ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
            : !r.done ? new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('problemsWarningIcon.foreground'))
              : new vscode.ThemeIcon('layers', new vscode.ThemeColor('testing.iconPassed'));
        item.description = [e.namespace, r ? t('{0}/{1} ready', r.ready, r.desired) : '', r?.failure ? r.failure.reason : r && !r.done ? t('rolling out') : '', d?.image ?? ''].filter(Boolean).join(' · ');
        item.tooltip = new vscode.MarkdownString([
          `**${e.name}** (${e.namespace})`, '',
          `${t('Deployment')}: ${d?.web ?? t('none')}`, '',
          ...(r ? [`${t('Rollout')}: ${r.message}`, ''] : []),
          ...(d?.url ? [`${t('URL')}: ${d.url}`, ''] : []),
          // (before its details are read the database is not known yet: no line rather than a wrong one)
          ...(d && !(d.database.kind === 'unknown' && !d.database.reason) ? [`${t('Database')}: ${databaseText(d)}`] : []),
        ].join('\n'));
        item.contextValue = appContextValue({ web: d?.web, url: d?.url });
        return item;
      }
      case 'appPart': return this.partItem(e);
      case 'appRow': {
        const item = new vscode.TreeItem(e.text, vscode.TreeItemCollapsibleState.None);
        item.id = e.id;
        item.description = e.detail;
        item.tooltip = e.tooltip ?? (e.detail ? `${e.text}: ${e.detail}` : e.text);
        item.iconPath = new vscode.ThemeIcon(e.icon, e.color ? new vscode.ThemeColor(e.color) : undefined);
        item.contextValue = e.contextValue;
        item.command = e.command;
        return item;
      }
    }
  }

  private partItem(e: AppPartElement): vscode.TreeItem {
    const t = vscode.l10n.t;
    const d = this.detailOf(e);
    const collapsible = EXPANDABLE.includes(e.part) && !(e.part === 'database' && !d?.database.set) ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem('', collapsible);
    item.id = e.id;
    item.contextValue = `k8s-app-${e.part}`;
    const icon = (name: string, color?: string) => new vscode.ThemeIcon(name, color ? new vscode.ThemeColor(color) : undefined);
    switch (e.part) {
      case 'rollout': {
        const r = d?.rollout;
        item.label = t('Rollout');
        item.iconPath = !r ? icon('rocket') : r.failure ? icon('error', 'errorForeground') : r.done ? icon('rocket', 'testing.iconPassed') : icon('sync~spin', 'problemsWarningIcon.foreground');
        item.description = r ? t('{0} desired · {1} updated · {2} ready · {3} available', r.desired, r.updated, r.ready, r.available) + (r.failure ? ` · ${r.failure.reason}` : !r.done ? ` · ${t('in progress')}` : '') : t('no web Deployment');
        item.tooltip = r?.message;
        break;
      }
      case 'pods': {
        const ready = d?.pods.filter((p) => p.ready).length ?? 0;
        item.label = t('Pods');
        item.iconPath = icon('package');
        item.description = t('{0}/{1} ready', ready, d?.pods.length ?? 0);
        break;
      }
      case 'endpoints': {
        const s = d?.service;
        item.label = t('Endpoints');
        item.iconPath = s && s.ready ? icon('plug', 'testing.iconPassed') : icon('plug', 'problemsWarningIcon.foreground');
        item.description = s ? t('{0}: {1} ready · {2} not ready', s.name, s.ready, s.notReady) : t('no Service');
        break;
      }
      case 'url':
        item.label = t('URL');
        item.iconPath = icon('globe');
        item.description = d?.url ?? '';
        item.tooltip = d?.ingress ? t('Ingress {0}{1}', d.ingress.name, d.ingress.address ? ` → ${d.ingress.address}` : '') : undefined;
        if (d?.url) item.command = { title: t('Open URL'), command: 'homelab.kubernetes.app.openUrl', arguments: [e] };
        break;
      case 'database':
        item.label = t('Database');
        item.iconPath = d?.database.kind === 'unknown' ? icon('question') : icon('database');
        item.description = d ? databaseText(d) : '';
        item.tooltip = d?.database.kind === 'unknown' ? d.database.reason : undefined;
        break;
      case 'events': {
        const warnings = d?.events.filter((x) => x.type === 'Warning').length ?? 0;
        item.label = t('Events');
        item.iconPath = warnings ? icon('warning', 'problemsWarningIcon.foreground') : icon('history');
        item.description = warnings ? t('{0} recent · {1} warnings', d?.events.length ?? 0, warnings) : t('{0} recent', d?.events.length ?? 0);
        break;
      }
    }
    return item;
  }
}

/** The database as one line; never more of DATABASE_URL than host, port and database. */
export function databaseText(d: AppDetail): string {
  const t = vscode.l10n.t;
  const db = d.database;
  const set = db.set ? t('StatefulSet {0} {1}/{2} ready{3}', db.set.name, db.set.ready, db.set.desired, db.set.claims.length ? ` · ${db.set.claims.map((c) => `${c.name} ${c.phase}`).join(', ')}` : '') : '';
  if (db.kind === 'unknown') return [t('unknown'), set].filter(Boolean).join(' · ');
  const where = `${db.host}:${db.port}/${db.database}`;
  if (db.kind === 'statefulset') return `${set} · ${where}`;
  return [t('external {0}', where), set ? t('{0} (not in use)', set) : ''].filter(Boolean).join(' · ');
}
