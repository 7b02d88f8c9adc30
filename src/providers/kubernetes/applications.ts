// Applications: the objects of one namespace that share `app.kubernetes.io/part-of`. Pure: the
// tree (from the session's watch caches) and the operations (from one list per kind) hand in the
// objects and get back what to show. The app Secret is read here only to take the database host
// out of DATABASE_URL; the password (and the rest of the URL) never leaves `databaseEndpoint`.
import { rolloutStatus, templateImages, type RolloutStatus } from './rollout';
import { isKubeError } from './errors';
import { collectionPath, podStatusText, type KubeObject } from './resources';

export const PART_OF = 'app.kubernetes.io/part-of';
export const COMPONENT = 'app.kubernetes.io/component';
export const NAME_LABEL = 'app.kubernetes.io/name';

/** An application: its part-of value in one namespace of one context. */
export interface AppRef { context: string; namespace: string; name: string }

export interface AppSummary extends AppRef {
  /** The web component's Deployment (component `web`, else the app's only Deployment). */
  web?: string;
  rollout?: RolloutStatus;
  /** The web container's image (the first container when none is named `app`). */
  image?: string;
  /** The StatefulSet of the database component, when there is one. */
  databaseSet?: string;
}

export interface AppPod { name: string; status: string; ready: boolean; restarts: number; image?: string; component?: string; node?: string }
export interface AppEndpoint { address: string; pod: string; ready: boolean }
export interface AppService { name: string; ports: string; endpoints: AppEndpoint[]; ready: number; notReady: number }
export interface AppClaim { name: string; phase: string }

export type AppDatabase =
  /** DATABASE_URL names a server outside this namespace's StatefulSet. */
  | { kind: 'external'; host: string; port: number; database: string; set?: AppStatefulSet }
  /** DATABASE_URL names the app's StatefulSet's Service. */
  | { kind: 'statefulset'; host: string; port: number; database: string; set: AppStatefulSet }
  /** The Secret cannot be read (RBAC), is missing, or holds no usable DATABASE_URL. */
  | { kind: 'unknown'; reason: string; set?: AppStatefulSet };

export interface AppStatefulSet { name: string; ready: number; desired: number; claims: AppClaim[] }

export interface AppEvent { type: string; reason: string; message: string; object: string; time: string; count: number }

export interface AppDetail extends AppSummary {
  pods: AppPod[];
  service?: AppService;
  /** https://host/ when the Ingress has TLS for the host, else http://host/. */
  url?: string;
  ingress?: { name: string; host: string; tls: boolean; address?: string };
  database: AppDatabase;
  events: AppEvent[];
  /** The containers of the web Deployment and their images. */
  containers: { name: string; image: string }[];
}

/** What an application is made of, as lists of one namespace (secrets: 'forbidden' when RBAC refuses them). */
export interface AppObjects {
  deployments: KubeObject[];
  statefulsets: KubeObject[];
  pods: KubeObject[];
  services: KubeObject[];
  ingresses: KubeObject[];
  persistentvolumeclaims: KubeObject[];
  secrets: KubeObject[] | 'forbidden';
  events: KubeObject[];
  replicasets?: KubeObject[];
}

/** Ready=True and not being deleted: a pod its Service sends traffic to. */
function isReady(p: KubeObject): boolean {
  return !p.metadata.deletionTimestamp && ((p.status?.conditions ?? []) as { type: string; status: string }[]).some((c) => c.type === 'Ready' && c.status === 'True');
}

const partOf = (o: KubeObject) => o.metadata.labels?.[PART_OF];
const componentOf = (o: KubeObject) => o.metadata.labels?.[COMPONENT];

/** The applications among workloads (of any namespaces), sorted by namespace and name. */
export function listApplications(context: string, deployments: KubeObject[], statefulsets: KubeObject[]): AppSummary[] {
  const refs = new Map<string, AppRef>();
  for (const o of [...deployments, ...statefulsets]) {
    const name = partOf(o);
    if (!name || !o.metadata.namespace) continue;
    refs.set(`${o.metadata.namespace}/${name}`, { context, namespace: o.metadata.namespace, name });
  }
  return [...refs.values()]
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
    .map((ref) => summarizeApplication(ref, deployments, statefulsets));
}

export const appKey = (r: AppRef) => `${r.context}/${r.namespace}/${r.name}`;

function mine<T extends KubeObject>(ref: AppRef, list: T[]): T[] {
  return list.filter((o) => o.metadata.namespace === ref.namespace && partOf(o) === ref.name);
}

/** The web Deployment: component `web`, else the only (or first by name) Deployment of the app. */
function webDeployment(ref: AppRef, deployments: KubeObject[]): KubeObject | undefined {
  const ds = mine(ref, deployments).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return ds.find((d) => componentOf(d) === 'web') ?? ds[0];
}

function databaseSet(ref: AppRef, statefulsets: KubeObject[]): KubeObject | undefined {
  const ss = mine(ref, statefulsets).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return ss.find((s) => componentOf(s) === 'database') ?? ss[0];
}

/** The image shown for an app: the container named `app`, else the first. */
export function mainImage(obj: KubeObject): string | undefined {
  const cs = templateImages(obj);
  return (cs.find((c) => c.name === 'app') ?? cs[0])?.image;
}

export function summarizeApplication(ref: AppRef, deployments: KubeObject[], statefulsets: KubeObject[]): AppSummary {
  const web = webDeployment(ref, deployments);
  const db = databaseSet(ref, statefulsets);
  return {
    ...ref,
    web: web?.metadata.name,
    rollout: web ? rolloutStatus('deployments', web) : undefined,
    image: web ? mainImage(web) : undefined,
    databaseSet: db?.metadata.name,
  };
}

function selects(selector: Record<string, string> | undefined, o: KubeObject): boolean {
  const sel = Object.entries(selector ?? {});
  return sel.length > 0 && sel.every(([k, v]) => o.metadata.labels?.[k] === v);
}

function restarts(p: KubeObject): number {
  return ((p.status?.containerStatuses ?? []) as { restartCount?: number }[]).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

/** Pods of the app: labelled part-of, or selected by its web Deployment or database StatefulSet. */
function appPods(ref: AppRef, pods: KubeObject[], owners: KubeObject[]): KubeObject[] {
  return pods.filter((p) => p.metadata.namespace === ref.namespace
    && (partOf(p) === ref.name || owners.some((w) => selects(w.spec?.selector?.matchLabels, p))));
}

/** The pods a Deployment runs now (its selector), for logs that follow the rollout. */
export function podsOfWorkload(workload: KubeObject, pods: KubeObject[]): KubeObject[] {
  return pods.filter((p) => p.metadata.namespace === workload.metadata.namespace && selects(workload.spec?.selector?.matchLabels, p) && !p.metadata.deletionTimestamp);
}

type ServicePort = { port: number; targetPort?: number | string; name?: string; protocol?: string };

function podPort(pod: KubeObject, sp: ServicePort): number {
  if (typeof sp.targetPort === 'number') return sp.targetPort;
  if (typeof sp.targetPort === 'string' && /^\d+$/.test(sp.targetPort)) return Number(sp.targetPort);
  if (typeof sp.targetPort === 'string') {
    const named = ((pod.spec?.containers ?? []) as { ports?: { name?: string; containerPort: number }[] }[]).flatMap((c) => c.ports ?? []).find((p) => p.name === sp.targetPort);
    if (named) return named.containerPort;
  }
  return sp.port;
}

/**
 * The endpoints behind a Service as its endpoints controller computes them: the pods its selector
 * picks that have an IP, ready when Ready=True and not terminating.
 */
export function serviceEndpoints(svc: KubeObject, pods: KubeObject[]): AppService {
  const ports = (svc.spec?.ports ?? []) as ServicePort[];
  const picked = pods.filter((p) => p.metadata.namespace === svc.metadata.namespace && selects(svc.spec?.selector, p) && p.status?.podIP)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const endpoints = picked.map((p) => ({ address: `${String(p.status.podIP)}${ports[0] ? `:${podPort(p, ports[0])}` : ''}`, pod: p.metadata.name, ready: isReady(p) }));
  return {
    name: svc.metadata.name,
    ports: ports.map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(', '),
    endpoints,
    ready: endpoints.filter((e) => e.ready).length,
    notReady: endpoints.filter((e) => !e.ready).length,
  };
}

type IngressRule = { host?: string; http?: { paths?: { path?: string; backend?: { service?: { name?: string } } }[] } };

/** The app's URL from its Ingress: the first rule's host (preferring one that routes to `service`), https when TLS lists the host. */
export function ingressUrl(ing: KubeObject, service?: string): { host: string; tls: boolean; url: string; address?: string } | undefined {
  const rules = (ing.spec?.rules ?? []) as IngressRule[];
  const routes = (r: IngressRule) => (r.http?.paths ?? []).some((p) => p.backend?.service?.name === service);
  const rule = rules.find((r) => r.host && service && routes(r)) ?? rules.find((r) => r.host);
  if (!rule?.host) return undefined;
  const host = rule.host;
  const tlsHosts = ((ing.spec?.tls ?? []) as { hosts?: string[] }[]).flatMap((t) => t.hosts ?? []);
  const tls = tlsHosts.some((h) => h === host || (h.startsWith('*.') && host.endsWith(h.slice(1)) && !host.slice(0, -h.length + 1).includes('.')));
  const path = (rule.http?.paths ?? []).find((p) => !service || p.backend?.service?.name === service)?.path;
  const cleanPath = path && path !== '/' && /^\/[\w\-./~]*$/.test(path) ? path : '/';
  const lb = ((ing.status?.loadBalancer?.ingress ?? []) as { ip?: string; hostname?: string }[]).map((i) => i.ip ?? i.hostname).filter(Boolean) as string[];
  return { host, tls, url: `${tls ? 'https' : 'http'}://${host}${cleanPath}`, address: lb[0] };
}

/**
 * Host, port and database of a PostgreSQL URL, and nothing else: user and password are dropped
 * here. A malformed URL throws an Error whose message never quotes the URL.
 */
export function databaseEndpoint(url: string): { host: string; port: number; database: string } {
  let u: URL;
  try { u = new URL(url.trim()); } catch { throw new Error('DATABASE_URL is not a URL.'); }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') throw new Error(`DATABASE_URL is not a PostgreSQL URL (scheme ${u.protocol.replace(/:$/, '') || 'none'}).`);
  if (!u.hostname) throw new Error('DATABASE_URL names no host.');
  let database = '';
  try { database = decodeURIComponent(u.pathname.replace(/^\//, '')); } catch { database = u.pathname.replace(/^\//, ''); }
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 5432, database };
}

const SECRET_KEY = 'DATABASE_URL';

/** The Secrets a Deployment's containers take DATABASE_URL from (envFrom, or env secretKeyRef), app Secret first. */
function secretNames(web: KubeObject | undefined, ref: AppRef): string[] {
  const cs = (web?.spec?.template?.spec?.containers ?? []) as { envFrom?: { secretRef?: { name?: string } }[]; env?: { name: string; valueFrom?: { secretKeyRef?: { name?: string; key?: string } } }[] }[];
  const names: string[] = [];
  for (const c of cs) {
    for (const e of c.env ?? []) if (e.name === SECRET_KEY && e.valueFrom?.secretKeyRef?.name) names.push(e.valueFrom.secretKeyRef.name);
    for (const f of c.envFrom ?? []) if (f.secretRef?.name) names.push(f.secretRef.name);
  }
  names.push(`${ref.name}-secrets`);
  return [...new Set(names)];
}

function decodedUrl(secret: KubeObject, web: KubeObject | undefined): string | undefined {
  const key = ((web?.spec?.template?.spec?.containers ?? []) as { env?: { name: string; valueFrom?: { secretKeyRef?: { name?: string; key?: string } } }[] }[])
    .flatMap((c) => c.env ?? []).find((e) => e.name === SECRET_KEY && e.valueFrom?.secretKeyRef?.name === secret.metadata.name)?.valueFrom?.secretKeyRef?.key ?? SECRET_KEY;
  const raw = secret.data?.[key];
  if (raw !== undefined) return Buffer.from(raw, 'base64').toString('utf8');
  return secret.stringData?.[key];
}

function statefulSetOf(set: KubeObject, claims: KubeObject[]): AppStatefulSet {
  const templates = ((set.spec?.volumeClaimTemplates ?? []) as { metadata?: { name?: string } }[]).map((t) => t.metadata?.name).filter(Boolean) as string[];
  const prefixes = templates.map((t) => `${t}-${set.metadata.name}-`);
  const mineClaims = claims.filter((c) => c.metadata.namespace === set.metadata.namespace && prefixes.some((p) => c.metadata.name.startsWith(p) && /^\d+$/.test(c.metadata.name.slice(p.length))))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return {
    name: set.metadata.name,
    ready: Number(set.status?.readyReplicas ?? 0),
    desired: typeof set.spec?.replicas === 'number' ? set.spec.replicas : 1,
    claims: mineClaims.map((c) => ({ name: c.metadata.name, phase: String(c.status?.phase ?? 'Pending') })),
  };
}

/** True when a database host is the StatefulSet's in-cluster Service (short or FQDN form). */
function inCluster(host: string, services: KubeObject[], set: KubeObject, namespace: string): boolean {
  const names = services.filter((s) => s.metadata.namespace === namespace && selects(s.spec?.selector, { metadata: { name: '', labels: set.spec?.template?.metadata?.labels } } as KubeObject)).map((s) => s.metadata.name);
  const h = host.toLowerCase().replace(/\.$/, '');
  return names.some((n) => [n, `${n}.${namespace}`, `${n}.${namespace}.svc`, `${n}.${namespace}.svc.cluster.local`].includes(h) || h.startsWith(`${set.metadata.name}-0.`));
}

function database(ref: AppRef, web: KubeObject | undefined, o: AppObjects): AppDatabase {
  const setObj = databaseSet(ref, o.statefulsets);
  const set = setObj ? statefulSetOf(setObj, o.persistentvolumeclaims) : undefined;
  if (o.secrets === 'forbidden') return { kind: 'unknown', reason: 'The app Secret cannot be read (forbidden).', set };
  const secrets = o.secrets.filter((s) => s.metadata.namespace === ref.namespace);
  let url: string | undefined;
  for (const name of secretNames(web, ref)) {
    const s = secrets.find((x) => x.metadata.name === name);
    if (s) { url = decodedUrl(s, web); if (url !== undefined) break; }
  }
  if (url === undefined) return { kind: 'unknown', reason: 'No DATABASE_URL in the app Secret.', set };
  let ep: { host: string; port: number; database: string };
  try { ep = databaseEndpoint(url); } catch (e) { return { kind: 'unknown', reason: (e as Error).message, set }; }
  if (setObj && set && inCluster(ep.host, o.services, setObj, ref.namespace)) return { kind: 'statefulset', ...ep, set };
  return { kind: 'external', ...ep, set };
}

type EventObj = KubeObject & { type?: string; reason?: string; message?: string; count?: number; lastTimestamp?: string; eventTime?: string; firstTimestamp?: string; involvedObject?: { kind?: string; name?: string }; regarding?: { kind?: string; name?: string }; series?: { count?: number; lastObservedTime?: string } };
const eventTime = (e: EventObj) => String(e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? '');

/** Events of the app's objects (its workloads, their ReplicaSets and pods, Service, Ingress, claims), newest first. */
export function appEvents(names: Set<string>, events: KubeObject[], keep = 20): AppEvent[] {
  return (events as EventObj[])
    .filter((e) => { const io = e.involvedObject ?? e.regarding; return !!io && names.has(`${io.kind}/${io.name}`); })
    .sort((a, b) => eventTime(b).localeCompare(eventTime(a)))
    .slice(0, keep)
    .map((e) => { const io = (e.involvedObject ?? e.regarding)!; return { type: e.type ?? 'Normal', reason: e.reason ?? '', message: e.message ?? '', object: `${io.kind}/${io.name}`, time: eventTime(e), count: e.series?.count ?? e.count ?? 1 }; });
}

/** Everything the tree and the operations show of one application. */
export function describeApplication(ref: AppRef, o: AppObjects): AppDetail {
  const summary = summarizeApplication(ref, o.deployments, o.statefulsets);
  const web = webDeployment(ref, o.deployments);
  const owners = [web, ...mine(ref, o.statefulsets)].filter((x): x is KubeObject => !!x);
  const pods = appPods(ref, o.pods, owners).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  // The web Service: component web, else one that selects the web pods, else the app's first.
  const svcs = mine(ref, o.services).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const webPods = web ? podsOfWorkload(web, o.pods) : [];
  const svc = svcs.find((s) => componentOf(s) === 'web' && s.spec?.clusterIP !== 'None')
    ?? svcs.find((s) => webPods.some((p) => selects(s.spec?.selector, p)))
    ?? svcs.find((s) => s.spec?.clusterIP !== 'None');
  const ings = mine(ref, o.ingresses).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  let ingress: AppDetail['ingress'];
  let url: string | undefined;
  for (const ing of ings) {
    const u = ingressUrl(ing, svc?.metadata.name);
    if (u) { ingress = { name: ing.metadata.name, host: u.host, tls: u.tls, address: u.address }; url = u.url; break; }
  }
  const names = new Set<string>();
  if (web) names.add(`Deployment/${web.metadata.name}`);
  for (const rs of o.replicasets ?? []) if (web && rs.metadata.namespace === ref.namespace && (rs.metadata.ownerReferences ?? []).some((r) => r.kind === 'Deployment' && r.name === web.metadata.name)) names.add(`ReplicaSet/${rs.metadata.name}`);
  for (const s of mine(ref, o.statefulsets)) names.add(`StatefulSet/${s.metadata.name}`);
  for (const d of mine(ref, o.deployments)) names.add(`Deployment/${d.metadata.name}`);
  for (const p of pods) names.add(`Pod/${p.metadata.name}`);
  for (const s of svcs) names.add(`Service/${s.metadata.name}`);
  for (const i of ings) names.add(`Ingress/${i.metadata.name}`);
  const db = database(ref, web, o);
  for (const c of db.set?.claims ?? []) names.add(`PersistentVolumeClaim/${c.name}`);
  // ReplicaSets of the web Deployment when they are not watched: their names are the Deployment's plus a hash.
  if (web && !o.replicasets) {
    for (const e of o.events as EventObj[]) {
      const io = e.involvedObject ?? e.regarding;
      if (io?.kind === 'ReplicaSet' && /^[a-z0-9]+$/.test(io.name?.slice(web.metadata.name.length + 1) ?? '') && io.name!.startsWith(`${web.metadata.name}-`)) names.add(`ReplicaSet/${io.name}`);
    }
  }
  const events = appEvents(names, o.events);
  return {
    ...summary,
    containers: web ? templateImages(web) : [],
    pods: pods.map((p) => ({
      name: p.metadata.name, status: podStatusText(p), ready: isReady(p), restarts: restarts(p),
      image: ((p.spec?.containers ?? []) as { image?: string }[])[0]?.image, component: componentOf(p), node: p.spec?.nodeName,
    })),
    service: svc ? serviceEndpoints(svc, o.pods) : undefined,
    url,
    ingress,
    database: db,
    events,
  };
}

/** One line of an application for lists (operations, palette pickers). */
export function applicationLine(a: AppSummary): string {
  const r = a.rollout;
  const roll = r ? `${r.ready}/${r.desired} ready${r.failure ? ` · ${r.failure.reason}` : !r.done ? ' · rolling out' : ''}` : 'no web Deployment';
  return `${a.namespace}/${a.name} ${roll}${a.image ? ` · ${a.image}` : ''}${a.databaseSet ? ` · database StatefulSet ${a.databaseSet}` : ''}`;
}

// ---------------------------------------------------------------- one-shot reads (palette, operations)

type Lister = { request<T>(method: string, path: string, o?: { query?: Record<string, string>; signal?: AbortSignal }): Promise<T> };
const NS_KINDS = ['deployments', 'statefulsets', 'pods', 'services', 'ingresses', 'persistentvolumeclaims', 'secrets', 'events'] as const;

/** The applications of a context from one list of Deployments and StatefulSets (across namespaces, else `namespace`). */
export async function fetchApplications(client: Lister & { context: string }, o: { namespace?: string; signal?: AbortSignal } = {}): Promise<AppSummary[]> {
  const q = { labelSelector: PART_OF };
  const [d, s] = await Promise.all((['deployments', 'statefulsets'] as const).map((k) => client.request<{ items: KubeObject[] }>('GET', collectionPath(k, o.namespace), { query: q, signal: o.signal })));
  return listApplications(client.context, d.items, s.items);
}

/** One application read with one list per kind of its namespace; a refused Secret list gives database "unknown". */
export async function fetchApplication(client: Lister, ref: AppRef, o: { signal?: AbortSignal } = {}): Promise<AppDetail> {
  const lists = await Promise.all(NS_KINDS.map(async (k) => {
    try {
      return (await client.request<{ items: KubeObject[] }>('GET', collectionPath(k, ref.namespace), { signal: o.signal })).items;
    } catch (e) {
      if (k === 'secrets' && isKubeError(e, 'forbidden')) return 'forbidden' as const;
      throw e;
    }
  }));
  const [deployments, statefulsets, pods, services, ingresses, persistentvolumeclaims, secrets, events] = lists;
  const arr = (x: KubeObject[] | 'forbidden') => (x === 'forbidden' ? [] : x);
  return describeApplication(ref, { deployments: arr(deployments), statefulsets: arr(statefulsets), pods: arr(pods), services: arr(services), ingresses: arr(ingresses), persistentvolumeclaims: arr(persistentvolumeclaims), secrets, events: arr(events) });
}
