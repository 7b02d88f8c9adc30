// The Applications model over the session's watches: which applications a context has (its
// Deployments and StatefulSets, watched across namespaces) and, for an application someone looks
// at, everything of its namespace the tree shows (pods, services, ingresses, claims, the app
// Secret, events). Nothing is watched unless a source asks (setDemand), so a collapsed or hidden
// view costs nothing. No vscode import: it fires plain listener events and is unit-testable.
import type { AppDetail, AppObjects, AppRef, AppSummary } from '../../providers/kubernetes/applications';
import type { KindName } from '../../providers/kubernetes/resources';
import type { KubernetesSession, ObjectsChange, WatchDemand } from './session';

/** Kinds read per application namespace (deployments/statefulsets come from the context-wide watch). */
export const APP_KINDS: KindName[] = ['pods', 'services', 'ingresses', 'persistentvolumeclaims', 'secrets', 'events'];
const LIST_KINDS: KindName[] = ['deployments', 'statefulsets'];

/** What changed: the app list of a context (`list`), or the objects of one namespace. */
export interface ApplicationsChange { context: string; list: boolean; namespace?: string }

export interface ApplicationsDemand { contexts: string[]; apps: AppRef[] }

type Listener = (changes: ApplicationsChange[]) => void;

export class Applications {
  private readonly listeners = new Set<Listener>();
  private readonly subscription: { dispose(): void };
  private readonly demands = new Map<string, ApplicationsDemand>();

  constructor(private readonly session: KubernetesSession) {
    this.subscription = session.onDidChangeObjects((changes) => this.onObjects(changes));
  }

  /** Listeners hear about changes that touch an application list or an application's namespace. */
  onDidChange(listener: Listener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** What one source shows now: the app lists of some contexts, the details of some apps. Replaces its earlier demand. */
  setDemand(source: string, want: ApplicationsDemand): void {
    this.demands.set(source, want);
    const out: WatchDemand[] = [];
    for (const context of want.contexts) for (const kind of LIST_KINDS) out.push({ context, kind });
    for (const a of want.apps) {
      for (const kind of LIST_KINDS) out.push({ context: a.context, kind });
      for (const kind of APP_KINDS) out.push({ context: a.context, kind, namespace: a.namespace });
    }
    this.session.setDemand(`applications:${source}`, out);
  }

  private watched(context: string, namespace?: string): boolean {
    for (const d of this.demands.values()) {
      if (namespace === undefined ? d.contexts.includes(context) || d.apps.some((a) => a.context === context) : d.apps.some((a) => a.context === context && a.namespace === namespace)) return true;
    }
    return false;
  }

  private onObjects(changes: ObjectsChange[]): void {
    const out = new Map<string, ApplicationsChange>();
    for (const c of changes) {
      if (LIST_KINDS.includes(c.kind)) {
        if (!this.watched(c.context)) continue;
        out.set(`${c.context}/`, { context: c.context, list: true });
        // a workload of an application changed: its namespace's view too
        for (const ns of new Set([...c.listChanged, ...c.modified.map((m) => m.namespace)])) if (ns) out.set(`${c.context}/${ns}`, { context: c.context, list: false, namespace: ns });
      } else if (APP_KINDS.includes(c.kind)) {
        const namespaces = c.all && c.namespace === undefined
          ? [...this.demands.values()].flatMap((d) => d.apps).filter((a) => a.context === c.context).map((a) => a.namespace)
          : [...new Set([...(c.namespace ? [c.namespace] : []), ...c.listChanged, ...c.modified.map((m) => m.namespace)])];
        for (const ns of namespaces) if (ns && this.watched(c.context, ns)) out.set(`${c.context}/${ns}`, { context: c.context, list: false, namespace: ns });
      }
    }
    if (out.size) for (const l of [...this.listeners]) l([...out.values()]);
  }

  /** The applications of a context, once its workload watches have their first list; throws when they failed. */
  async list(context: string): Promise<AppSummary[]> {
    const k = await this.session.modules();
    for (const kind of LIST_KINDS) {
      const ok = await this.session.whenSynced(context, kind);
      const err = this.session.status(context, kind).error;
      if (!ok && err) throw err;
    }
    return k.applications.listApplications(context, this.session.objects(context, 'deployments'), this.session.objects(context, 'statefulsets'));
  }

  /** The applications from the watch caches as they are now (no waiting). */
  listNow(context: string): AppSummary[] {
    const k = this.session.loadedModules;
    if (!k) return [];
    return k.applications.listApplications(context, this.session.objects(context, 'deployments'), this.session.objects(context, 'statefulsets'));
  }

  /** Everything shown of an application, once the watches of its namespace have their first list. */
  async describe(ref: AppRef): Promise<AppDetail> {
    const k = await this.session.modules();
    await Promise.all([...LIST_KINDS.map((kind) => this.session.whenSynced(ref.context, kind)), ...APP_KINDS.map((kind) => this.session.whenSynced(ref.context, kind, ref.namespace))]);
    return k.applications.describeApplication(ref, this.objectsOf(ref));
  }

  /** The same from the caches as they are now. */
  describeNow(ref: AppRef): AppDetail | undefined {
    const k = this.session.loadedModules;
    return k?.applications.describeApplication(ref, this.objectsOf(ref));
  }

  private objectsOf(ref: AppRef): AppObjects {
    const get = (kind: KindName) => this.session.objects(ref.context, kind, ref.namespace);
    const secrets = this.session.status(ref.context, 'secrets', ref.namespace);
    return {
      deployments: get('deployments'),
      statefulsets: get('statefulsets'),
      pods: get('pods'),
      services: get('services'),
      ingresses: get('ingresses'),
      persistentvolumeclaims: get('persistentvolumeclaims'),
      // The Secret is read only to find the database host; a refusal shows the database as unknown.
      secrets: secrets.error?.kind === 'forbidden' ? 'forbidden' : get('secrets'),
      events: get('events'),
    };
  }

  /** The first error of a watch an application's view depends on (shown instead of stale rows). */
  problem(ref: AppRef): Error | undefined {
    for (const kind of APP_KINDS) {
      if (kind === 'secrets') continue;
      const e = this.session.status(ref.context, kind, ref.namespace).error;
      if (e && e.kind !== 'forbidden') return e;
    }
    return undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    for (const source of this.demands.keys()) this.session.setDemand(`applications:${source}`, []);
    this.demands.clear();
    this.listeners.clear();
  }
}
