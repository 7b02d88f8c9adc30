// Following a rollout to its end (`kubectl rollout status`), by watch: one GET for the current
// state and its resourceVersion, then a watch of that one object (fieldSelector on its name).
// A watch the server ends (timeout, cut) is resumed after one more GET; nothing is polled.
// The decision per state is `rolloutStatus`, pure, shared with the Applications tree.
import type { Readable } from 'node:stream';
import type { KubeClient } from './client';
import { isKubeError, KubeError } from './errors';
import { collectionPath, objectPath, type KubeObject } from './resources';

export type RolloutKind = 'deployments' | 'statefulsets' | 'daemonsets';

export interface RolloutStatus {
  /** The controller saw the newest spec and every replica runs it and is available. */
  done: boolean;
  /** Why it cannot finish (e.g. `ProgressDeadlineExceeded`); set only when it failed. */
  failure?: { reason: string; message: string };
  desired: number;
  updated: number;
  ready: number;
  available: number;
  /** Pods of an older revision still running. */
  old: number;
  /** One line for people ("Waiting for 1 of 2 updated replicas to be available"). */
  message: string;
}

type Cond = { type?: string; status?: string; reason?: string; message?: string };
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The rollout state of a workload, as `kubectl rollout status` decides it. */
export function rolloutStatus(kind: RolloutKind, obj: KubeObject): RolloutStatus {
  const spec = obj.spec ?? {};
  const s = obj.status ?? {};
  const observed = num(s.observedGeneration) >= num(obj.metadata.generation);
  const base = (desired: number, updated: number, ready: number, available: number, old: number) => ({ desired, updated, ready, available, old });
  if (kind === 'daemonsets') {
    const desired = num(s.desiredNumberScheduled);
    const r = base(desired, num(s.updatedNumberScheduled), num(s.numberReady), num(s.numberAvailable), 0);
    if (!observed) return { ...r, done: false, message: 'Waiting for the daemon set spec update to be observed' };
    if (r.updated < desired) return { ...r, done: false, message: `Waiting for daemon set rollout to finish: ${r.updated} of ${desired} updated pods are available` };
    if (r.available < desired) return { ...r, done: false, message: `Waiting for daemon set rollout to finish: ${r.available} of ${desired} updated pods are available` };
    return { ...r, done: true, message: `Daemon set successfully rolled out (${desired} pods)` };
  }
  const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
  if (kind === 'statefulsets') {
    const r = base(desired, num(s.updatedReplicas), num(s.readyReplicas), num(s.availableReplicas ?? s.readyReplicas), 0);
    if (!observed) return { ...r, done: false, message: 'Waiting for the statefulset spec update to be observed' };
    if (r.ready < desired) return { ...r, done: false, message: `Waiting for ${desired - r.ready} pods to be ready` };
    const partition = num(spec.updateStrategy?.rollingUpdate?.partition);
    if (spec.updateStrategy?.type === 'RollingUpdate' && partition > 0) {
      if (r.updated < desired - partition) return { ...r, done: false, message: `Waiting for partitioned roll out to finish: ${r.updated} out of ${desired - partition} new pods have been updated` };
      return { ...r, done: true, message: `Partitioned roll out complete: ${r.updated} new pods have been updated` };
    }
    if (s.updateRevision !== s.currentRevision) return { ...r, done: false, message: `Waiting for statefulset rolling update to complete: ${r.updated} pods at revision ${String(s.updateRevision)}` };
    return { ...r, done: true, message: `Statefulset rolling update complete: ${desired} pods at revision ${String(s.currentRevision ?? 'current')}` };
  }
  const updated = num(s.updatedReplicas);
  const total = num(s.replicas);
  const r = base(desired, updated, num(s.readyReplicas), num(s.availableReplicas), Math.max(0, total - updated));
  if (!observed) return { ...r, done: false, message: 'Waiting for the deployment spec update to be observed' };
  const conds: Cond[] = Array.isArray(s.conditions) ? s.conditions : [];
  const stuck = conds.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  if (stuck) return { ...r, done: false, failure: { reason: 'ProgressDeadlineExceeded', message: stuck.message ?? 'The deployment exceeded its progress deadline' }, message: `Rollout failed: ${stuck.message ?? 'progress deadline exceeded'}` };
  const replicaFailure = conds.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (replicaFailure && updated < desired) return { ...r, done: false, failure: { reason: replicaFailure.reason ?? 'ReplicaFailure', message: replicaFailure.message ?? 'Pods could not be created' }, message: `Rollout failed: ${replicaFailure.message ?? replicaFailure.reason}` };
  if (updated < desired) return { ...r, done: false, message: `Waiting for rollout to finish: ${updated} out of ${desired} new replicas have been updated` };
  if (total > updated) return { ...r, done: false, message: `Waiting for rollout to finish: ${total - updated} old replicas are pending termination` };
  if (r.available < updated) return { ...r, done: false, message: `Waiting for rollout to finish: ${r.available} of ${updated} updated replicas are available` };
  return { ...r, done: true, message: `Deployment successfully rolled out (${desired} replicas)` };
}

/** A rollout that cannot finish: `reason` is the controller's (ProgressDeadlineExceeded, ...) or Deleted / Timeout. */
export class RolloutError extends Error {
  override readonly name = 'RolloutError';
  constructor(readonly reason: string, message: string, readonly last?: RolloutStatus) { super(message); }
}

export interface WaitForRolloutOptions {
  signal?: AbortSignal;
  /** Each state seen (the first one too), for progress reports. */
  onProgress?(status: RolloutStatus, obj: KubeObject): void;
  /** Gives up with RolloutError('Timeout') after this long; none by default (Deployments have their own deadline). */
  timeoutMs?: number;
}

const KIND_NAMES: Record<RolloutKind, string> = { deployments: 'Deployment', statefulsets: 'StatefulSet', daemonsets: 'DaemonSet' };

/**
 * Waits until a Deployment / StatefulSet / DaemonSet has rolled out; resolves with the final
 * status, throws RolloutError when the controller reports a failure (ProgressDeadlineExceeded),
 * the object is deleted or `timeoutMs` passes, KubeError when the API refuses (RBAC, gone),
 * and an AbortError when `signal` aborts.
 */
export async function waitForRollout(client: KubeClient, namespace: string, kind: RolloutKind, name: string, o: WaitForRolloutOptions = {}): Promise<RolloutStatus> {
  const label = `${KIND_NAMES[kind]} ${namespace}/${name}`;
  const stop = new AbortController();
  const signals = [stop.signal, ...(o.signal ? [o.signal] : [])];
  let timer: NodeJS.Timeout | undefined;
  let last: RolloutStatus | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    if (o.timeoutMs === undefined) return;
    timer = setTimeout(() => { reject(new RolloutError('Timeout', `${label} did not finish rolling out within ${Math.round(o.timeoutMs! / 1000)} s: ${last?.message ?? 'no status yet'}.`, last)); stop.abort(); }, o.timeoutMs);
  });
  timedOut.catch(() => { /* raced below */ });
  const aborted = () => { const e = new Error(`Waiting for the rollout of ${label} was cancelled.`); e.name = 'AbortError'; return e; };
  const signal = AbortSignal.any(signals);

  /** true when done; throws on failure. */
  const judge = (obj: KubeObject): boolean => {
    const st = rolloutStatus(kind, obj);
    const changed = !last || JSON.stringify(last) !== JSON.stringify(st);
    last = st;
    if (changed) o.onProgress?.(st, obj);
    if (st.failure) throw new RolloutError(st.failure.reason, `${label} failed to roll out: ${st.failure.reason}: ${st.failure.message}`, st);
    return st.done;
  };

  const follow = async (): Promise<RolloutStatus> => {
    for (;;) {
      if (o.signal?.aborted) throw aborted();
      let obj: KubeObject;
      try {
        obj = await client.request<KubeObject>('GET', objectPath(kind, namespace, name), { signal });
      } catch (e) {
        if (o.signal?.aborted) throw aborted();
        if (isKubeError(e, 'notFound')) throw new RolloutError('Deleted', `${label} no longer exists.`, last);
        throw e;
      }
      if (judge(obj)) return last!;
      const rv = obj.metadata.resourceVersion ?? '';
      let body: Readable;
      try {
        body = await client.stream(collectionPath(kind, namespace), {
          watch: 'true', fieldSelector: `metadata.name=${name}`, resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: 300,
        }, signal);
      } catch (e) {
        if (o.signal?.aborted) throw aborted();
        if (isKubeError(e, 'gone')) continue; // a fresh GET gives a current version
        throw e;
      }
      const opened = Date.now();
      const outcome = await readEvents(body, signal, (type, ev) => {
        if (type === 'DELETED') throw new RolloutError('Deleted', `${label} was deleted while rolling out.`, last);
        if (type === 'ERROR') return 'again'; // 410 Gone and the like: GET again
        if (type === 'BOOKMARK') return undefined;
        return judge(ev) ? 'done' : undefined;
      });
      if (outcome === 'done') return last!;
      // the watch ended (server timeout, cut connection, ERROR event): read the state again and
      // resume; a server that closes watches at once is not hammered
      if (Date.now() - opened < 1000) await new Promise((r) => setTimeout(r, 1000));
    }
  };
  try {
    return await Promise.race([follow(), timedOut]);
  } catch (e) {
    if (o.signal?.aborted && !(e instanceof RolloutError)) throw aborted();
    throw e;
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}

/** Reads newline-delimited watch events until the handler returns a verdict or the stream ends. */
function readEvents(body: Readable, signal: AbortSignal, on: (type: string, obj: KubeObject) => 'done' | 'again' | undefined): Promise<'done' | 'again' | 'ended'> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      body.removeAllListeners('data');
      body.destroy();
      fn();
    };
    const onAbort = () => finish(() => resolve('ended'));
    signal.addEventListener('abort', onAbort);
    body.on('data', (chunk: Buffer | string) => {
      buf += chunk.toString();
      let i: number;
      while (!settled && (i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        let ev: { type?: string; object?: KubeObject };
        try { ev = JSON.parse(line); } catch { continue; }
        try {
          const v = on(ev.type ?? '', ev.object ?? ({ metadata: { name: '' } } as KubeObject));
          if (v) finish(() => resolve(v));
        } catch (e) {
          finish(() => reject(e));
        }
      }
    });
    body.once('end', () => finish(() => resolve('ended')));
    body.once('close', () => finish(() => resolve('ended')));
    body.once('error', () => finish(() => resolve('ended')));
  });
}

/** True for the errors waitForRollout throws when the rollout itself failed (not the API). */
export function isRolloutError(e: unknown): e is RolloutError {
  return e instanceof RolloutError || (e as { name?: string })?.name === 'RolloutError';
}


/** The containers of a workload's pod template and their images. */
export function templateImages(obj: KubeObject): { name: string; image: string }[] {
  const cs: { name?: string; image?: string }[] = obj.spec?.template?.spec?.containers ?? [];
  return cs.map((c) => ({ name: c.name ?? '', image: c.image ?? '' }));
}

/** An image reference as the API accepts it: no spaces, no uppercase repository, a sane length. */
export function checkImage(image: string): string {
  const s = image.trim();
  if (!s || s.length > 512 || !/^[a-z0-9][a-z0-9._\-/:]*(@sha256:[a-f0-9]{64})?$/i.test(s) || /[:/.]$/.test(s.split('@')[0])) {
    throw new KubeError('invalid', `"${image}" is not an image reference (e.g. ghcr.io/owner/app:1.2.3).`);
  }
  const repo = s.split('@')[0].replace(/:[^/:]+$/, '');
  if (repo !== repo.toLowerCase()) throw new KubeError('invalid', `"${image}": the repository part of an image reference must be lowercase.`);
  return s;
}

/**
 * `kubectl set image`: a strategic-merge patch of one container's image (the list is keyed by
 * container name, so the others stay as they are). Returns the patched object; the rollout that
 * follows is the caller's to wait for (waitForRollout).
 */
export async function setImage(client: KubeClient, namespace: string, kind: RolloutKind, name: string, container: string, image: string, fieldManager = 'homelab'): Promise<KubeObject> {
  const img = checkImage(image);
  const path = objectPath(kind, namespace, name);
  const cur = await client.request<KubeObject>('GET', path);
  const names = templateImages(cur).map((c) => c.name);
  if (!names.includes(container)) throw new KubeError('invalid', `${KIND_NAMES[kind]} ${namespace}/${name} has no container "${container}"; it has ${names.join(', ') || 'none'}.`);
  return client.request<KubeObject>('PATCH', path, {
    query: { fieldManager },
    body: { spec: { template: { spec: { containers: [{ name: container, image: img }] } } } },
    contentType: 'application/strategic-merge-patch+json',
  });
}
