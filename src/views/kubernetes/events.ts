// Kubernetes Events for display (no `vscode` import: unit-tested in plain Node): which events
// concern an object, newest first, bounded, warnings marked.
import type { KindName } from '../../providers/kubernetes/resources';
import type { Translate } from './items';
import { eventTime, newestFirst, type KubeEvent } from '../../providers/kubernetes/events';

export { eventTime, type KubeEvent };

/** At most this many events are shown (a namespace may hold 10,000+): the newest are kept. */
export const MAX_EVENTS = 200;

const WORKLOADS: KindName[] = ['deployments', 'statefulsets', 'daemonsets', 'replicasets'];

/**
 * Events of one object, newest first. A workload's events include those of what it owns
 * (ReplicaSets and pods are named after it: `web-5d9c…`, `web-5d9c…-x7k2p`), where a failing
 * rollout actually reports.
 */
export function eventsOf(all: KubeEvent[], target?: { kind: string; resource: KindName; name: string }): KubeEvent[] {
  const mine = target
    ? all.filter((e) => {
      const o = e.involvedObject ?? {};
      if (o.name === target.name && (!o.kind || o.kind === target.kind)) return true;
      return WORKLOADS.includes(target.resource) && !!o.name?.startsWith(`${target.name}-`) && (o.kind === 'Pod' || o.kind === 'ReplicaSet');
    })
    : all;
  return newestFirst(mine);
}

/** The newest warnings' text, for a failing rollout's tooltip. */
export function latestWarnings(events: KubeEvent[], n = 3): string[] {
  return events.filter((e) => e.type === 'Warning').slice(0, n).map((e) => `${e.reason ?? ''}: ${e.message ?? ''} (${e.involvedObject?.kind ?? ''} ${e.involvedObject?.name ?? ''})`);
}

/**
 * One line per event (newest first, at most MAX_EVENTS), a warning marked with ⚠. `total`: how many
 * there are when `events` is already the newest part of them.
 */
export function renderEvents(title: string, events: KubeEvent[], t: Translate, now = Date.now(), total = events.length): string {
  const ago = (ms: number) => {
    const s = Math.max(0, Math.round((now - ms) / 1000));
    return s < 90 ? `${s}s` : s < 5400 ? `${Math.round(s / 60)}m` : s < 129600 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`;
  };
  const shown = events.slice(0, MAX_EVENTS);
  const lines = [title, ''];
  if (!shown.length) lines.push(t('No events.'));
  for (const e of shown) {
    const mark = e.type === 'Warning' ? '⚠ Warning' : '  Normal ';
    const when = eventTime(e) ? ago(eventTime(e)) : '?';
    const o = e.involvedObject ?? {};
    lines.push(`${mark}  ${when.padStart(4)}  ${(e.reason ?? '').padEnd(20)} ${o.kind ?? ''}/${o.name ?? ''}${e.count && e.count > 1 ? ` (x${e.count})` : ''}: ${(e.message ?? '').replace(/\s+/g, ' ')}`);
  }
  if (total > shown.length) lines.push('', t('{0} older events not shown', total - shown.length));
  return lines.join('\n') + '\n';
}
