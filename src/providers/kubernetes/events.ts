// Kubernetes Events: their time, and the newest of a namespace read in pages with bounded memory
// (a namespace may hold 10,000+ events; the list comes in name order, not time order). Types only from
// the rest of the providers: the views use eventTime without loading the Kubernetes bundle.
import type { KubeClient } from './client';
import type { KubeList, KubeObject } from './resources';

export interface KubeEvent extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
}

/** When an event last happened (ms; 0 when it says nothing). */
export function eventTime(e: KubeEvent): number {
  const t = Date.parse(e.lastTimestamp || e.eventTime || e.firstTimestamp || e.metadata.creationTimestamp || '');
  return Number.isNaN(t) ? 0 : t;
}

/** Newest first (stable: equal times keep their order). */
export function newestFirst<T extends KubeEvent>(events: T[]): T[] {
  return [...events].sort((a, b) => eventTime(b) - eventTime(a));
}

/** The newest `keep` of events, newest first, and how many there were. */
export interface NewestEvents { events: KubeEvent[]; total: number }

/**
 * Every page of a namespace's events (`path`: their collection) (`limit`/`continue`), keeping only the newest `keep`: the
 * newest may be on the last page, and holding all of them is what this avoids.
 */
export async function listNewestEvents(client: KubeClient, path: string, keep: number, pageSize = 500): Promise<NewestEvents> {
  let kept: KubeEvent[] = [];
  let total = 0;
  let cont: string | undefined;
  do {
    const page = await client.request<KubeList<KubeEvent>>('GET', path, { query: { limit: pageSize, continue: cont } });
    total += page.items.length;
    kept.push(...page.items);
    if (kept.length >= 2 * keep) kept = newestFirst(kept).slice(0, keep);
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return { events: newestFirst(kept).slice(0, keep), total };
}

/** The same bound over events already in memory (a running watch's cache). */
export function keepNewest(all: KubeEvent[], keep: number): NewestEvents {
  return { events: newestFirst(all).slice(0, keep), total: all.length };
}
