// Deploy Application without UI: check, apply the kit in dependency order (server-side apply),
// follow the rollout by watch, then check health (ready endpoints behind the Service, the
// Ingress address, the database reachable from a pod). Every line it reports goes through a
// scrubber that hides the secret values it was given: they go to the API in a Secret and nowhere else.
import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../kubernetes/client';
import type { ApplyResult } from '../kubernetes/actions';
import { exec as podExec } from '../kubernetes/actions';
import { isKubeError, KubeError } from '../kubernetes/errors';
import { Informer } from '../kubernetes/informer';
import type { KindName, KubeObject, ResourceKind } from '../kubernetes/resources';
import { CancelledError, isCancellation } from '../cancellation';
import { parseDatabaseUrl } from '../postgres/url';
import {
  APP_NAME, applyKit, checkNamespaceOwnership, DEFAULT_NAMESPACE, detectIngressClass, inClusterDatabaseUrl, KIT_NAMES, PART_OF, renderKit,
  type KitLevel, type KitObject, type KitParams,
} from './kit';

/** NEXTAUTH_SECRET when none is given: 32 random bytes, base64 (what `openssl rand -base64 32` prints). */
export function generateSecret(): string { return randomBytes(32).toString('base64'); }

export interface DeployRequest {
  level: KitLevel;
  /** Parameters of the kit; for intermediate, DATABASE_URL is made from the credentials when absent. */
  params: KitParams;
}

export type DeployStep = 'check' | 'apply' | 'rollout' | 'health';
export interface HealthCheck {
  check: 'endpoints' | 'ingress' | 'database';
  result: 'ok' | 'failed' | 'not-checked';
  detail: string;
}
export interface DeployOutcome {
  namespace: string;
  level: KitLevel;
  objects: Array<{ kind: string; name: string; outcome: ApplyResult['outcome'] }>;
  rollout: string[];
  health: HealthCheck[];
  /** ok: everything checked passed; unhealthy: applied and rolled out, but a health check failed. */
  status: 'ok' | 'unhealthy';
  url: string;
}

export interface DeployOptions {
  signal?: AbortSignal;
  /** Longest wait for the rollout (default: 330 s, the Deployment's progress deadline + 30 s). */
  rolloutTimeoutMs?: number;
  /** Longest wait for endpoints and the Ingress address (default 20 s). */
  healthTimeoutMs?: number;
  /** A step begins. */
  onStep?(step: DeployStep): void;
  /** One line of output (already scrubbed of secret values). */
  onLine?(line: string): void;
}

/** Refused before anything was changed (bad input, a namespace that is another application's, RBAC). */
export class DeployRefused extends Error {
  override readonly name = 'DeployRefused';
}
/** The objects were applied but the rollout failed or timed out. */
export class RolloutFailed extends Error {
  override readonly name = 'RolloutFailed';
}

/** Replaces every given secret value in a text (longest first, so a value inside another goes too). */
export function scrubber(values: Array<string | undefined>): (s: string) => string {
  const vals = [...new Set(values.filter((v): v is string => !!v && v.length >= 3))].sort((a, b) => b.length - a.length);
  const forms = vals.flatMap((v) => [v, encodeURIComponent(v), Buffer.from(v, 'utf8').toString('base64')]);
  return (s) => forms.reduce((acc, v) => acc.split(v).join('<redacted>'), s);
}

/** Secret values of a request: what must never appear in output. */
export function secretValues(p: KitParams): string[] {
  const app = p.appSecrets ?? {};
  const db = p.databaseCredentials ?? {};
  const out = [app.NEXTAUTH_SECRET, app.GITHUB_CLIENT_SECRET, app.GITHUB_CLIENT_ID, app.DATABASE_URL, db.POSTGRES_PASSWORD];
  if (app.DATABASE_URL) { try { out.push(parseDatabaseUrl(app.DATABASE_URL).password); } catch { /* refused later */ } }
  return out.filter((v): v is string => !!v);
}

/** Values of the Secrets already deployed (a re-deploy keeps them unless new ones are given). */
export interface ExistingSecrets { app?: Record<string, string>; database?: Record<string, string> }

/**
 * The request completed with its defaults and checked: namespace, NEXTAUTH_SECRET (the deployed
 * one, else generated), NEXTAUTH_URL, and for intermediate the database credentials (the deployed
 * ones: the database keeps the password it was initialised with) and the in-cluster DATABASE_URL.
 */
export function completeRequest(req: DeployRequest, existing: ExistingSecrets = {}): DeployRequest {
  const given = <T extends object>(o: T | undefined) => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
  const params: KitParams = { ...req.params, appSecrets: given(req.params.appSecrets), databaseCredentials: req.params.databaseCredentials && given(req.params.databaseCredentials) };
  const ns = params.namespace ?? DEFAULT_NAMESPACE;
  params.namespace = ns;
  const app = params.appSecrets!;
  app.NEXTAUTH_SECRET ||= existing.app?.NEXTAUTH_SECRET || generateSecret();
  app.NEXTAUTH_URL ||= `https://${params.host ?? 'hackystack.local'}`;
  if (req.level === 'intermediate') {
    const old = existing.database ?? {};
    const c = { POSTGRES_USER: old.POSTGRES_USER || 'hackystack', POSTGRES_DB: old.POSTGRES_DB || 'hackystack', ...params.databaseCredentials };
    c.POSTGRES_PASSWORD ||= old.POSTGRES_PASSWORD || randomBytes(18).toString('base64url');
    params.databaseCredentials = c;
    app.DATABASE_URL ||= inClusterDatabaseUrl(ns, c.POSTGRES_USER!, c.POSTGRES_PASSWORD, c.POSTGRES_DB!);
  }
  if (!app.DATABASE_URL) throw new DeployRefused('DATABASE_URL is required for the basic level (an external PostgreSQL): postgresql://USER:PASSWORD@HOST:5432/DATABASE.');
  try { parseDatabaseUrl(app.DATABASE_URL); } catch (e) { throw new DeployRefused((e as Error).message); }
  if (!app.GITHUB_CLIENT_ID || !app.GITHUB_CLIENT_SECRET) throw new DeployRefused('The GitHub OAuth client id and secret are required (GitHub > Settings > Developer settings > OAuth Apps).');
  return { level: req.level, params };
}

/** Runs the whole deploy. Throws DeployRefused (nothing changed), KitApplyError, RolloutFailed or CancelledError. */
export async function deployApplication(client: KubeClient, kit: readonly KitObject[], request: DeployRequest, o: DeployOptions = {}): Promise<DeployOutcome> {
  const scrub = scrubber(secretValues(request.params));
  const line = (s: string) => o.onLine?.(scrub(s));
  const signal = o.signal;
  try {
    return await run();
  } catch (e) {
    // an aborted request surfaces as a network error: the user cancelled, say so
    if (signal?.aborted && !isCancellation(e)) throw new CancelledError();
    if (e instanceof Error && !isCancellation(e)) e.message = scrub(e.message);
    throw e;
  }

  async function run(): Promise<DeployOutcome> {
    // ---- check: nothing is changed before this passes
    o.onStep?.('check');
    let req: DeployRequest;
    let objects: KitObject[];
    try {
      req = completeRequest(request);
      objects = renderKit(kit, req.params);
    } catch (e) {
      throw e instanceof DeployRefused ? e : new DeployRefused((e as Error).message);
    }
    const ns = req.params.namespace!;
    let more = scrubber(secretValues(req.params)); // the generated values too
    const say = (s: string) => line(more(s));
    say(`context ${client.context}, namespace ${ns}, level ${req.level}`);
    let problems;
    try { problems = await checkNamespaceOwnership(client, ns, objects, signal); } catch (e) {
      if (isKubeError(e, 'forbidden')) throw new DeployRefused(`Kubernetes refused to let you read namespace "${ns}" (RBAC): ${e.message} Nothing was changed.`);
      throw e;
    }
    if (problems.length) {
      throw new DeployRefused(`Namespace "${ns}" is not ${APP_NAME}'s: ${problems.map((p) => `${p.kind} ${p.name} ${p.reason}`).join('; ')}. Nothing was changed; choose another namespace, or label the objects ${PART_OF}=${APP_NAME} if they are the app's.`);
    }
    say(`namespace ${ns}: free for ${APP_NAME}`);
    // a re-deploy keeps the deployed NEXTAUTH_SECRET and database credentials unless new ones are given
    const existing = await deployedSecrets(client, ns, signal);
    if (existing.app || existing.database) {
      req = completeRequest(request, existing);
      objects = renderKit(kit, req.params);
      more = scrubber(secretValues(req.params));
      if (!request.params.appSecrets?.NEXTAUTH_SECRET && existing.app?.NEXTAUTH_SECRET) say('NEXTAUTH_SECRET: the deployed one is kept');
      if (req.level === 'intermediate' && !request.params.databaseCredentials?.POSTGRES_PASSWORD && existing.database?.POSTGRES_PASSWORD) say('database credentials: the deployed ones are kept (the database was initialised with them)');
    }
    if (req.params.ingressClass === undefined) {
      // the cluster's IngressClass: its default, an existing traefik/nginx class, Traefik on K3s, else nginx
      const c = await detectIngressClass(client, signal);
      objects = renderKit(kit, { ...req.params, ingressClass: c.name });
      say(`IngressClass ${c.name} (${{ default: 'the cluster default', existing: 'found in the cluster', k3s: 'K3s ships Traefik', fallback: 'none found: ingress-nginx assumed' }[c.reason]})`);
    } else say(`IngressClass ${req.params.ingressClass ?? '(the cluster default)'}`);
    if (signal?.aborted) throw new CancelledError();

    // ---- apply in dependency order
    o.onStep?.('apply');
    const results = await applyKit(client, objects, { signal, onObject: (r) => say(`${r.kind.toLowerCase()}/${r.name} ${r.outcome}${r.error ? `: ${r.error.message}` : ''}`) });

    // ---- rollout by watch
    o.onStep?.('rollout');
    const rollout = await followRollout(client, ns, req.level, say, signal, o.rolloutTimeoutMs ?? 330_000);

    // ---- health
    o.onStep?.('health');
    const replicas = req.params.replicas ?? Number(objects.find((x) => x.kind === 'Deployment')?.spec?.replicas ?? 1);
    const health: HealthCheck[] = [];
    const timeout = o.healthTimeoutMs ?? 20_000;
    health.push(await checkEndpoints(client, ns, replicas, signal, timeout));
    health.push(await checkIngress(client, ns, signal, timeout));
    health.push(await checkDatabase(client, ns, req, signal));
    for (const h of health) say(`${h.check}: ${h.result === 'ok' ? 'ok' : h.result === 'failed' ? 'FAILED' : 'not checked'}: ${h.detail}`);
    const host = req.params.host ?? 'hackystack.local';
    return {
      namespace: ns, level: req.level,
      objects: results.map((r) => ({ kind: r.kind, name: r.name, outcome: r.outcome })),
      rollout, health, status: health.some((h) => h.result === 'failed') ? 'unhealthy' : 'ok', url: `https://${host}`,
    };
  }
}

/** The app's and the database's Secrets as deployed (decoded), where they exist and may be read. */
async function deployedSecrets(client: KubeClient, ns: string, signal?: AbortSignal): Promise<ExistingSecrets> {
  const read = async (name: string): Promise<Record<string, string> | undefined> => {
    try {
      const s = await client.request<KubeObject>('GET', `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${name}`, { signal });
      if (s.metadata.labels?.[PART_OF] !== APP_NAME) return undefined;
      return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    } catch (e) {
      if (isKubeError(e, 'notFound') || isKubeError(e, 'forbidden')) return undefined;
      throw e;
    }
  };
  return { app: await read(KIT_NAMES.secret), database: await read(KIT_NAMES.databaseSecret) };
}

// ---------------------------------------------------------------- watching

/**
 * Watches one kind in a namespace (one list, then watch events; no polling) until `evaluate` says
 * done or throws, the time is up (`onTimeout`), or the signal fires.
 */
export function watchUntil<T>(client: KubeClient, kind: KindName | ResourceKind, namespace: string, labelSelector: string | undefined,
  evaluate: (items: KubeObject[]) => T | undefined, timeoutMs: number, onTimeout: (items: KubeObject[]) => T | Error, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let finished = false;
    const finish = (v: T | Error) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      informer.stop();
      if (v instanceof Error) reject(v); else resolve(v);
    };
    const check = () => {
      try { const v = evaluate(informer.list()); if (v !== undefined) finish(v); } catch (e) { finish(e as Error); }
    };
    const informer = new Informer({ client, kind, namespace, labelSelector, batchMs: 50, onBatch: check,
      onError: (e) => { if (e.kind === 'forbidden' || e.kind === 'notFound') finish(e); } });
    const timer = setTimeout(() => finish(onTimeout(informer.list())), timeoutMs);
    const abort = () => finish(new CancelledError());
    if (signal?.aborted) { abort(); return; }
    signal?.addEventListener('abort', abort);
    informer.start();
  });
}

type Cond = { type: string; status: string; reason?: string; message?: string };

/** kubectl rollout status for a Deployment: undefined while progressing, 'done', or throws when it failed. */
export function deploymentProgress(d: KubeObject): { done: boolean; text: string } {
  const st = d.status ?? {};
  const want = Number(d.spec?.replicas ?? 1);
  const conds = (st.conditions ?? []) as Cond[];
  const prog = conds.find((c) => c.type === 'Progressing');
  if (prog?.status === 'False' && prog.reason === 'ProgressDeadlineExceeded') throw new RolloutFailed(`Deployment ${d.metadata.name} did not roll out: ${prog.reason}: ${prog.message ?? ''}`.trim());
  if (Number(st.observedGeneration ?? 0) < Number(d.metadata.generation ?? 1)) return { done: false, text: 'waiting for the deployment controller' };
  const updated = Number(st.updatedReplicas ?? 0);
  const total = Number(st.replicas ?? 0);
  const available = Number(st.availableReplicas ?? 0);
  if (updated < want) return { done: false, text: `${updated} of ${want} new replicas updated` };
  if (total > updated) return { done: false, text: `${total - updated} old replicas pending termination` };
  if (available < updated) return { done: false, text: `${available} of ${updated} updated replicas available` };
  return { done: true, text: `${available} of ${want} replicas available` };
}

export function statefulSetProgress(s: KubeObject): { done: boolean; text: string } {
  const st = s.status ?? {};
  const want = Number(s.spec?.replicas ?? 1);
  if (Number(st.observedGeneration ?? 0) < Number(s.metadata.generation ?? 1)) return { done: false, text: 'waiting for the statefulset controller' };
  const ready = Number(st.readyReplicas ?? 0);
  if (ready < want) return { done: false, text: `${ready} of ${want} pods ready` };
  if (st.updateRevision && st.currentRevision && st.updateRevision !== st.currentRevision) return { done: false, text: 'pods being updated to the new revision' };
  return { done: true, text: `${ready} of ${want} pods ready` };
}

/** Why a pod is not running yet, from its container statuses (ImagePullBackOff ...), or its phase. */
export function podProblem(p: KubeObject): string | undefined {
  for (const c of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])] as Array<{ name: string; state?: { waiting?: { reason?: string; message?: string } } }>) {
    const w = c.state?.waiting;
    if (w?.reason && w.reason !== 'ContainerCreating' && w.reason !== 'PodInitializing') return `${w.reason}${w.message ? ` (${w.message})` : ''}`;
  }
  const unsched = ((p.status?.conditions ?? []) as Cond[]).find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unsched) return `Unschedulable${unsched.message ? ` (${unsched.message})` : ''}`;
  return undefined;
}

async function followRollout(client: KubeClient, ns: string, level: KitLevel, say: (s: string) => void, signal: AbortSignal | undefined, timeoutMs: number): Promise<string[]> {
  const seen = new Map<string, string>();
  const podLines = new Informer({ client, kind: 'pods', namespace: ns, labelSelector: `${PART_OF}=${APP_NAME}`, batchMs: 100, onBatch: (b) => {
    for (const p of [...b.added, ...b.modified]) {
      const why = podProblem(p) ?? p.status?.phase ?? 'Pending';
      if (seen.get(p.metadata.name) !== why) { seen.set(p.metadata.name, why); say(`  pod ${p.metadata.name}: ${why}`); }
    }
  } });
  podLines.start();
  const problems = () => [...seen].filter(([, w]) => !['Running', 'Pending', 'Succeeded'].includes(w)).map(([n, w]) => `${n} ${w}`);
  const waitFor = (kind: 'deployments' | 'statefulsets', name: string, progress: (o: KubeObject) => { done: boolean; text: string }) => {
    let last = '';
    return watchUntil<string>(client, kind, ns, undefined, (items) => {
      const obj = items.find((x) => x.metadata.name === name);
      if (!obj) return undefined;
      const p = progress(obj);
      if (p.text !== last) { last = p.text; say(`${kind === 'deployments' ? 'deployment' : 'statefulset'}/${name}: ${p.text}`); }
      return p.done ? `${kind === 'deployments' ? 'deployment' : 'statefulset'}/${name}: ${p.text}` : undefined;
    }, timeoutMs, () => new RolloutFailed(`${kind === 'deployments' ? 'Deployment' : 'StatefulSet'} ${name} was not ready within ${Math.round(timeoutMs / 1000)} s (${last || 'no status'})${problems().length ? `; pods: ${problems().join('; ')}` : ''}.`), signal);
  };
  try {
    const waits = [waitFor('deployments', KIT_NAMES.deployment, deploymentProgress)];
    if (level === 'intermediate') waits.unshift(waitFor('statefulsets', KIT_NAMES.statefulSet, statefulSetProgress));
    return await Promise.all(waits);
  } catch (e) {
    if (e instanceof RolloutFailed) {
      if (!e.message.includes('; pods: ')) {
        // the pods' own reasons (ImagePullBackOff ...), read now: the watch may not have delivered them yet
        try {
          const pods = (await client.request<{ items: KubeObject[] }>('GET', `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, { query: { labelSelector: `${PART_OF}=${APP_NAME}` } })).items;
          for (const p of pods) { const why = podProblem(p); if (why && seen.get(p.metadata.name) !== why) { seen.set(p.metadata.name, why); say(`  pod ${p.metadata.name}: ${why}`); } }
        } catch { /* the message stays without them */ }
        if (problems().length) e.message = `${e.message.replace(/\.$/, '')}; pods: ${problems().join('; ')}.`;
      }
      // a database pod waiting for its volume: say which claim and which class it asked for
      try {
        const claims = (await client.request<{ items: KubeObject[] }>('GET', `/api/v1/namespaces/${encodeURIComponent(ns)}/persistentvolumeclaims`, { query: { labelSelector: `${PART_OF}=${APP_NAME}` } })).items
          .filter((c) => c.status?.phase === 'Pending');
        if (claims.length) e.message = `${e.message.replace(/\.$/, '')}; claims Pending: ${claims.map((c) => `${c.metadata.name} (StorageClass ${c.spec?.storageClassName ?? 'the cluster default'}: is a provisioner for it running?)`).join('; ')}.`;
      } catch { /* the message stays without them */ }
    }
    throw e;
  } finally {
    podLines.stop();
  }
}

// ---------------------------------------------------------------- health

const ENDPOINT_SLICES = { name: 'endpointslices' as KindName, kind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1', namespaced: true, label: 'EndpointSlices' } satisfies ResourceKind;

type Slice = KubeObject & { endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }> };
const readyAddresses = (items: KubeObject[]) => (items as Slice[]).flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses));

async function checkEndpoints(client: KubeClient, ns: string, replicas: number, signal: AbortSignal | undefined, timeoutMs: number): Promise<HealthCheck> {
  try {
    return await watchUntil<HealthCheck>(client, ENDPOINT_SLICES, ns, `kubernetes.io/service-name=${KIT_NAMES.service}`, (items) => {
      const ready = readyAddresses(items);
      return ready.length >= replicas ? { check: 'endpoints', result: 'ok', detail: `${ready.length} ready endpoints behind Service ${KIT_NAMES.service} (${ready.join(', ')})` } : undefined;
    }, timeoutMs, (items) => ({ check: 'endpoints', result: 'failed', detail: `${readyAddresses(items).length} of ${replicas} ready endpoints behind Service ${KIT_NAMES.service} after ${Math.round(timeoutMs / 1000)} s` }), signal);
  } catch (e) {
    if (isCancellation(e)) throw e;
    return { check: 'endpoints', result: 'failed', detail: `could not read the Service's EndpointSlices: ${(e as Error).message}` };
  }
}

async function checkIngress(client: KubeClient, ns: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<HealthCheck> {
  const address = (i: KubeObject | undefined) => ((i?.status?.loadBalancer?.ingress ?? []) as Array<{ ip?: string; hostname?: string }>).map((a) => a.ip ?? a.hostname).filter(Boolean).join(', ');
  try {
    return await watchUntil<HealthCheck>(client, 'ingresses', ns, undefined, (items) => {
      const i = items.find((x) => x.metadata.name === KIT_NAMES.ingress);
      const a = address(i);
      return a ? { check: 'ingress', result: 'ok', detail: `Ingress ${KIT_NAMES.ingress} for ${i!.spec?.rules?.[0]?.host ?? '?'} at ${a}` } : undefined;
    }, timeoutMs, (items) => {
      const cls = items.find((x) => x.metadata.name === KIT_NAMES.ingress)?.spec?.ingressClassName;
      return { check: 'ingress', result: 'failed', detail: `Ingress ${KIT_NAMES.ingress} has no address after ${Math.round(timeoutMs / 1000)} s: is an ingress controller for class "${cls ?? '(default)'}" running?` };
    }, signal);
  } catch (e) {
    if (isCancellation(e)) throw e;
    return { check: 'ingress', result: 'failed', detail: (e as Error).message };
  }
}

/** Runs a command in a pod; resolves with its exit code and output (bounded), or rejects on timeout. */
async function runInPod(client: KubeClient, ns: string, pod: string, container: string, command: string[], signal: AbortSignal | undefined, timeoutMs = 15_000): Promise<{ code: number; out: string; message?: string }> {
  let out = '';
  const add = (b: Buffer) => { if (out.length < 2000) out += b.toString('utf8'); };
  const s = await podExec(client, ns, pod, { command, container, onStdout: add, onStderr: add });
  let timer: NodeJS.Timeout | undefined;
  const stop = () => s.close();
  signal?.addEventListener('abort', stop);
  try {
    const r = await Promise.race([s.exit, new Promise<never>((_, rej) => { timer = setTimeout(() => { s.close(); rej(new Error(`no answer within ${timeoutMs / 1000} s`)); }, timeoutMs); })]);
    if (signal?.aborted) throw new CancelledError();
    return { code: r.code, out: out.trim(), message: r.message };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
  }
}

const notFound = (r: { code: number; out: string; message?: string }) => r.code === 127 || r.code === 126 || /executable file not found|not found/i.test(r.message ?? '') && r.code < 0;

async function checkDatabase(client: KubeClient, ns: string, req: DeployRequest, signal: AbortSignal | undefined): Promise<HealthCheck> {
  try {
    if (req.level === 'intermediate') {
      const pod = `${KIT_NAMES.statefulSet}-0`;
      const r = await runInPod(client, ns, pod, 'postgres', ['pg_isready', '-h', '127.0.0.1'], signal);
      if (r.code === 0) return { check: 'database', result: 'ok', detail: `pg_isready in pod ${pod}: ${r.out || 'accepting connections'}` };
      if (notFound(r)) return { check: 'database', result: 'not-checked', detail: `pod ${pod} has no pg_isready (${r.message ?? r.out})` };
      return { check: 'database', result: 'failed', detail: `pg_isready in pod ${pod} exited ${r.code}: ${r.out || r.message || ''}`.trim() };
    }
    // basic: the database is outside the cluster; check from an app pod that its host:port answers
    // (a TCP connect with the app image's own node; host and port are not secret)
    const t = parseDatabaseUrl(req.params.appSecrets!.DATABASE_URL!);
    const pods = (await client.request<{ items: KubeObject[] }>('GET', `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, { query: { labelSelector: `${PART_OF}=${APP_NAME},app.kubernetes.io/component=web` }, signal })).items
      .filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
    if (!pods.length) return { check: 'database', result: 'not-checked', detail: 'no running app pod to check from' };
    const pod = pods[0].metadata.name;
    const script = 'const [h,p]=process.argv.slice(1);const s=require("net").connect(Number(p),h);s.setTimeout(5000);s.on("connect",()=>{console.log("connected");process.exit(0)});s.on("timeout",()=>{console.log("timed out");process.exit(1)});s.on("error",(e)=>{console.log(e.code||e.message);process.exit(1)})';
    const r = await runInPod(client, ns, pod, 'app', ['node', '-e', script, t.host, String(t.port)], signal);
    if (r.code === 0) return { check: 'database', result: 'ok', detail: `${t.host}:${t.port} reachable from pod ${pod} (TCP connect)` };
    if (notFound(r)) return { check: 'database', result: 'not-checked', detail: `the app image has no node to test ${t.host}:${t.port} with (pod ${pod})` };
    return { check: 'database', result: 'failed', detail: `${t.host}:${t.port} not reachable from pod ${pod}: ${r.out || r.message || `exit ${r.code}`}` };
  } catch (e) {
    if (isCancellation(e)) throw e;
    if (isKubeError(e, 'forbidden')) return { check: 'database', result: 'not-checked', detail: `exec into the pod was refused (RBAC): ${e.message}` };
    return { check: 'database', result: 'failed', detail: e instanceof KubeError ? e.message : (e as Error).message };
  }
}
