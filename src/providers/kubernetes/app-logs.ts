// The logs of every pod of a workload, interleaved as they arrive, each line prefixed by its pod.
// The pods come from a watch on the workload's selector (an Informer with a label selector), so
// pods a rollout starts join the stream once they run and deleted ones leave it. Log streams
// are the ordinary ones (actions.streamLogs).
import type { KubeClient } from './client';
import { KubeError } from './errors';
import { Informer } from './informer';
import type { LogStream, streamLogs as StreamLogs } from './actions';
import type { KubeObject } from './resources';

export interface WorkloadLogsOptions {
  tailLines: number;
  /** Container name (default: the pod's default container). */
  container?: string;
  onLine(pod: string, line: string): void;
  /** A pod joined (its stream opened) or left; `error` when its stream could not open. */
  onPod?(pod: string, event: 'joined' | 'left' | 'error', detail?: string): void;
  /** Injected so tests and callers use the one log streaming implementation. */
  streamLogs: typeof StreamLogs;
}

export interface WorkloadLogs { stop(): void; pods(): string[] }

const started = (p: KubeObject) => !p.metadata.deletionTimestamp && ((p.status?.containerStatuses ?? []) as { state?: { running?: unknown; terminated?: unknown } }[]).some((c) => c.state?.running || c.state?.terminated);

/** `matchLabels` as a label selector string; throws when the workload selects by expressions only. */
export function selectorString(workload: KubeObject): string {
  const m = (workload.spec?.selector?.matchLabels ?? {}) as Record<string, string>;
  const parts = Object.entries(m).map(([k, v]) => `${k}=${v}`);
  if (!parts.length) throw new KubeError('invalid', `${workload.kind ?? 'The workload'} ${workload.metadata.name} has no matchLabels selector to find its pods by.`);
  return parts.join(',');
}

/** Follows the logs of the pods a workload's selector picks until `stop`. */
export function followWorkloadLogs(client: KubeClient, namespace: string, workload: KubeObject, o: WorkloadLogsOptions): WorkloadLogs {
  const streams = new Map<string, LogStream | 'opening'>();
  let stopped = false;
  const open = (pod: string) => {
    streams.set(pod, 'opening');
    o.streamLogs(client, namespace, pod, { container: o.container, tailLines: o.tailLines, follow: true, onLine: (l) => { if (!stopped) o.onLine(pod, l); } }).then((s) => {
      if (stopped || streams.get(pod) !== 'opening') { s.stop(); return; }
      streams.set(pod, s);
      o.onPod?.(pod, 'joined');
      void s.done.then(() => { if (streams.get(pod) === s) { streams.delete(pod); if (!stopped) o.onPod?.(pod, 'left'); } });
    }, (e: Error) => {
      streams.delete(pod);
      if (!stopped) o.onPod?.(pod, 'error', e.message);
    });
  };
  const inf = new Informer({
    client, kind: 'pods', namespace, labelSelector: selectorString(workload), batchMs: 50,
    onBatch: (b) => {
      if (stopped) return;
      for (const p of [...b.added, ...b.modified]) if (started(p) && !streams.has(p.metadata.name)) open(p.metadata.name);
      for (const p of b.deleted) {
        const s = streams.get(p.metadata.name);
        streams.delete(p.metadata.name);
        if (s && s !== 'opening') { s.stop(); o.onPod?.(p.metadata.name, 'left'); }
      }
    },
  });
  inf.start();
  return {
    stop: () => {
      stopped = true;
      inf.stop();
      for (const s of streams.values()) if (s !== 'opening') s.stop();
      streams.clear();
    },
    pods: () => [...streams.keys()].sort(),
  };
}
