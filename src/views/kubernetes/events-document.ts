import * as vscode from 'vscode';
import type { KindName } from '../../providers/kubernetes/resources';
import type { KubernetesSession } from '../../services/kubernetes';
import { eventsOf, renderEvents, type KubeEvent } from './events';

export const EVENTS_SCHEME = 'homelab-k8s-events';

export interface EventsTarget { context: string; namespace: string; object?: { resource: KindName; kind: string; name: string } }

/** `homelab-k8s-events:/<context>/<namespace>[/<kind>/<Kind>/<name>].events` */
export function eventsUri(t: EventsTarget): vscode.Uri {
  const parts = [t.context, t.namespace, ...(t.object ? [t.object.resource, t.object.kind, t.object.name] : [])].map(encodeURIComponent);
  return vscode.Uri.from({ scheme: EVENTS_SCHEME, path: `/${parts.join('/')}.events` });
}

export function parseEventsUri(uri: vscode.Uri): EventsTarget {
  const [context, namespace, resource, kind, name] = uri.path.slice(1).replace(/\.events$/, '').split('/').map(decodeURIComponent);
  return { context, namespace, object: name ? { resource: resource as KindName, kind, name } : undefined };
}

/**
 * Events of a namespace or of one object as a read-only document, newest first, warnings marked,
 * bounded. Live: while a document is shown in an editor its namespace's events are watched, and
 * each batch rewrites the document; when no editor shows one, the watch stops.
 */
export class KubernetesEventsProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly session: KubernetesSession) {
    this.disposables.push(
      vscode.window.onDidChangeVisibleTextEditors(() => this.schedule()),
      session.onDidChangeObjects((changes) => {
        const hit = changes.filter((c) => c.kind === 'events');
        if (!hit.length) return;
        for (const uri of this.open()) {
          const t = parseEventsUri(uri);
          if (hit.some((c) => c.context === t.context && (c.namespace === undefined || c.namespace === t.namespace))) this.changed.fire(uri);
        }
      }),
    );
  }

  private open(): vscode.Uri[] {
    return vscode.window.visibleTextEditors.filter((ed) => ed.document.uri.scheme === EVENTS_SCHEME).map((ed) => ed.document.uri);
  }

  /** One watch of events per namespace an editor shows. */
  private schedule(): void {
    this.session.setDemand('events', this.open().map(parseEventsUri).map((t) => ({ context: t.context, kind: 'events' as const, namespace: t.namespace })));
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const t = parseEventsUri(uri);
    // From the watch's cache when one runs, else one list; showing the editor starts the watch.
    const recent = await this.session.recentEvents(t.context, t.namespace);
    const events = eventsOf(recent.events as KubeEvent[], t.object && { kind: t.object.kind, resource: t.object.resource, name: t.object.name });
    const title = t.object
      ? vscode.l10n.t('Events of {0} {1}/{2} (context {3}), newest first', t.object.kind, t.namespace, t.object.name, t.context)
      : vscode.l10n.t('Events in namespace {0} (context {1}), newest first', t.namespace, t.context);
    // A namespace's count is exact; an object's is of its events among the newest of the namespace.
    return renderEvents(title, events, vscode.l10n.t, Date.now(), t.object ? events.length : recent.total);
  }

  dispose(): void {
    this.session.setDemand('events', []);
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}
