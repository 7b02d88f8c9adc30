// The application kit: the Hacky Stack manifests shipped in resources/k8s/hacky-stack/, rendered
// with the user's parameters (namespace, image, replicas, ingress class, secrets ...) and
// server-side applied in dependency order. Objects are edited as data, never as text, so a value
// from the user can never become YAML structure. No vscode here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeClient } from '../kubernetes/client';
import { applyObject, manifestFiles, parseManifests, type ApplyResult } from '../kubernetes/actions';
import { isKubeError, KubeError } from '../kubernetes/errors';
import type { KubeObject } from '../kubernetes/resources';
import { CancelledError } from '../cancellation';

export const APP_NAME = 'hacky-stack';
export const DEFAULT_NAMESPACE = 'hacky-stack';
export const DEFAULT_HOST = 'hackystack.local';
export const DATABASE_NAME = 'hacky-stack-postgres';
export const PART_OF = 'app.kubernetes.io/part-of';
export const COMPONENT = 'app.kubernetes.io/component';
export const NAME_LABEL = 'app.kubernetes.io/name';
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const KIT_FIELD_MANAGER = 'homelab';

/** Object names of the kit (the contract every helper uses). */
export const KIT_NAMES = {
  deployment: 'hacky-stack',
  service: 'hacky-stack',
  config: 'hacky-stack-config',
  secret: 'hacky-stack-secrets',
  ingress: 'hacky-stack',
  statefulSet: 'hacky-stack-postgres',
  databaseService: 'hacky-stack-postgres',
  databaseHeadless: 'hacky-stack-postgres-headless',
  databaseConfig: 'hacky-stack-postgres-config',
  databaseSecret: 'hacky-stack-postgres-credentials',
} as const;

export type KitLevel = 'basic' | 'intermediate';
export const KIT_LEVELS: readonly KitLevel[] = ['basic', 'intermediate'];
export const APP_SECRET_KEYS = ['NEXTAUTH_SECRET', 'NEXTAUTH_URL', 'GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET', 'DATABASE_URL'] as const;
export type AppSecretKey = typeof APP_SECRET_KEYS[number];
export const DATABASE_SECRET_KEYS = ['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB'] as const;
export type DatabaseSecretKey = typeof DATABASE_SECRET_KEYS[number];

/** A manifest object of the kit (apiVersion and kind always present). */
export type KitObject = KubeObject & { apiVersion: string; kind: string };

export function kitFolder(extensionRoot: string, level: 'basic' | 'intermediate'): string {
  return join(extensionRoot, 'resources', 'k8s', APP_NAME, level);
}

/** The kit's objects for a level: basic = the app; intermediate = the app + PostgreSQL in a StatefulSet. */
export function loadKit(extensionRoot: string, level: KitLevel): KitObject[] {
  if (!KIT_LEVELS.includes(level)) throw new KubeError('invalid', `Unknown level "${String(level)}": basic or intermediate.`);
  const folders = level === 'basic' ? ['basic'] as const : ['basic', 'intermediate'] as const;
  const out: KitObject[] = [];
  for (const f of folders) {
    for (const file of manifestFiles(kitFolder(extensionRoot, f))) out.push(...parseManifests(readFileSync(file, 'utf8'), file) as KitObject[]);
  }
  return out;
}

// ---------------------------------------------------------------- parameters

export interface KitParams {
  /** Default `hacky-stack`. */
  namespace?: string;
  /** The app image without tag (e.g. ghcr.io/me/hacky-stack) and its tag; both or neither. */
  image?: string;
  tag?: string;
  replicas?: number;
  /** The IngressClass; `null` leaves ingressClassName out (the cluster's default class takes it). */
  ingressClass?: string | null;
  /** Host of the Ingress (default hackystack.local). */
  host?: string;
  /** PostgreSQL image with tag (intermediate), e.g. postgres:15 or localhost/postgres:15-local. */
  databaseImage?: string;
  /** StorageClass of the database's claim; omitted = the cluster's default class. */
  storageClass?: string;
  /** Size of the database's claim, e.g. 2Gi. */
  storageSize?: string;
  /** Values of the app Secret; keys left out keep the template's (empty) value. */
  appSecrets?: Partial<Record<AppSecretKey, string>>;
  /** Values of the database credentials Secret (intermediate). */
  databaseCredentials?: Partial<Record<DatabaseSecretKey, string>>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// An image reference without tag: registry[:port]/path, lowercase path components (the
// distribution spec's grammar, simplified: no digest here; the tag is separate).
const IMAGE_REPO = /^(?:[a-zA-Z0-9.-]+(?::\d{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
export const MAX_KIT_REPLICAS = 50;

/** Checks a DNS-1123 label (namespace, application name); returns the problem or undefined. */
export function checkDnsLabel(what: string, v: string): string | undefined {
  if (!v) return `${what} is required.`;
  if (v.length > 63) return `${what} "${v.slice(0, 70)}" is longer than 63 characters.`;
  if (!DNS_LABEL.test(v)) return `${what} "${v}" is not a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit.`;
  return undefined;
}

function checkSubdomain(what: string, v: string): string | undefined {
  if (!v || v.length > 253 || !DNS_SUBDOMAIN.test(v)) return `${what} "${v.slice(0, 80)}" is not a valid DNS name (lowercase letters, digits, '-' and '.').`;
  return undefined;
}

/** Splits "repo:tag" (a registry port is not a tag). */
export function splitImage(ref: string): { image: string; tag?: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? { image: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { image: ref };
}

export function checkImage(image: string): string | undefined {
  if (!image || image.length > 255 || !IMAGE_REPO.test(image)) return `Image "${image.slice(0, 80)}" is not a valid image name (e.g. ghcr.io/me/hacky-stack, lowercase, without the tag).`;
  return undefined;
}
export function checkTag(tag: string): string | undefined {
  if (!IMAGE_TAG.test(tag)) return `Tag "${tag.slice(0, 80)}" is not a valid image tag (letters, digits, '_', '.', '-'; up to 128).`;
  return undefined;
}
export function checkKitReplicas(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 1 || n > MAX_KIT_REPLICAS) return `Replicas must be a whole number from 1 to ${MAX_KIT_REPLICAS}; got ${String(n)}.`;
  return undefined;
}

/** Every problem of a parameter set, as messages a user can act on (empty = fine). Secret values are never quoted. */
export function checkKitParams(p: KitParams): string[] {
  const errs: (string | undefined)[] = [];
  if (p.namespace !== undefined) errs.push(checkDnsLabel('Namespace', p.namespace));
  if (p.image !== undefined) errs.push(checkImage(p.image));
  if (p.tag !== undefined) errs.push(checkTag(p.tag));
  if (p.replicas !== undefined) errs.push(checkKitReplicas(p.replicas));
  if (p.ingressClass) errs.push(checkSubdomain('IngressClass', p.ingressClass));
  if (p.host !== undefined) errs.push(checkSubdomain('Host', p.host));
  if (p.storageClass !== undefined) errs.push(checkSubdomain('StorageClass', p.storageClass));
  if (p.storageSize !== undefined && !QUANTITY.test(p.storageSize)) errs.push(`Storage size "${p.storageSize.slice(0, 40)}" is not a quantity like 2Gi.`);
  if (p.databaseImage !== undefined) {
    const { image, tag } = splitImage(p.databaseImage);
    errs.push(checkImage(image), tag !== undefined ? checkTag(tag) : undefined);
  }
  for (const [k, v] of Object.entries(p.appSecrets ?? {})) {
    if (!(APP_SECRET_KEYS as readonly string[]).includes(k)) errs.push(`${k} is not a key of the app's Secret.`);
    else if (typeof v !== 'string') errs.push(`${k} must be text.`);
  }
  for (const [k, v] of Object.entries(p.databaseCredentials ?? {})) {
    if (!(DATABASE_SECRET_KEYS as readonly string[]).includes(k)) errs.push(`${k} is not a key of the database credentials Secret.`);
    else if (typeof v !== 'string') errs.push(`${k} must be text.`);
  }
  const user = p.databaseCredentials?.POSTGRES_USER;
  if (user !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(user)) errs.push(`Database user "${user.slice(0, 70)}" must be lowercase letters, digits and '_' (up to 63), not starting with a digit.`);
  const db = p.databaseCredentials?.POSTGRES_DB;
  if (db !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(db)) errs.push(`Database name "${db.slice(0, 70)}" must be lowercase letters, digits and '_' (up to 63), not starting with a digit.`);
  return errs.filter((e): e is string => !!e);
}

/** The app's DATABASE_URL for the in-cluster PostgreSQL Service (intermediate level). */
export function inClusterDatabaseUrl(namespace: string, user: string, password: string, database: string): string {
  const enc = encodeURIComponent;
  return `postgresql://${enc(user)}:${enc(password)}@${KIT_NAMES.databaseService}.${namespace}.svc.cluster.local:5432/${enc(database)}`;
}

type Container = { name: string; image?: string };
function container(o: KubeObject, name: string): Container {
  const c = (o.spec?.template?.spec?.containers as Container[] | undefined)?.find((x) => x.name === name);
  if (!c) throw new KubeError('invalid', `${o.kind} ${o.metadata.name} of the kit has no container "${name}".`);
  return c;
}

function setSecret(o: KubeObject, values: Record<string, string | undefined>, keys: readonly string[]): void {
  // The templates use stringData (readable in the file); what we send uses data, which is what the
  // server stores, so a re-apply compares equal and nothing of stringData lingers in managedFields.
  const merged: Record<string, string> = { ...(o.stringData ?? {}) };
  for (const k of keys) if (values[k] !== undefined) merged[k] = values[k]!;
  delete o.stringData;
  o.data = Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
}

/**
 * The kit with parameters applied, as new objects (the input is not changed). Throws
 * KubeError('invalid') listing every bad parameter; secret values never appear in a message.
 */
export function renderKit(objects: readonly KitObject[], params: KitParams = {}): KitObject[] {
  const errs = checkKitParams(params);
  if ((params.image === undefined) !== (params.tag === undefined)) errs.push('Image and tag go together: give both or neither.');
  if (errs.length) throw new KubeError('invalid', errs.join(' '));
  const ns = params.namespace ?? DEFAULT_NAMESPACE;
  const host = params.host ?? DEFAULT_HOST;
  const out = objects.map((o) => JSON.parse(JSON.stringify(o)) as KitObject);
  for (const o of out) {
    if (o.metadata.labels?.[PART_OF] !== APP_NAME) throw new KubeError('invalid', `${o.kind} ${o.metadata.name} is not part of ${APP_NAME} (label ${PART_OF}).`);
    if (o.kind === 'Namespace') { o.metadata.name = ns; continue; }
    o.metadata.namespace = ns;
    switch (`${o.kind}/${o.metadata.name}`) {
      case `Deployment/${KIT_NAMES.deployment}`:
        if (params.image !== undefined) container(o, 'app').image = `${params.image}:${params.tag}`;
        if (params.replicas !== undefined) o.spec.replicas = params.replicas;
        break;
      case `StatefulSet/${KIT_NAMES.statefulSet}`: {
        if (params.databaseImage !== undefined) container(o, 'postgres').image = params.databaseImage;
        const claim = (o.spec.volumeClaimTemplates as KubeObject[]).find((t) => t.metadata.name === 'data');
        if (!claim) throw new KubeError('invalid', `StatefulSet ${o.metadata.name} of the kit has no volumeClaimTemplate "data".`);
        if (params.storageClass !== undefined) claim.spec.storageClassName = params.storageClass;
        if (params.storageSize !== undefined) claim.spec.resources.requests.storage = params.storageSize;
        break;
      }
      case `Ingress/${KIT_NAMES.ingress}`:
        if (params.ingressClass === null) delete o.spec.ingressClassName;
        else if (params.ingressClass !== undefined) o.spec.ingressClassName = params.ingressClass;
        for (const r of o.spec.rules as { host?: string }[]) r.host = host;
        for (const t of (o.spec.tls ?? []) as { hosts?: string[] }[]) t.hosts = [host];
        break;
      case `Secret/${KIT_NAMES.secret}`: {
        const v: Partial<Record<AppSecretKey, string>> = { ...params.appSecrets };
        if (v.NEXTAUTH_URL === undefined && params.host !== undefined) v.NEXTAUTH_URL = `https://${host}`;
        setSecret(o, v, APP_SECRET_KEYS);
        break;
      }
      case `Secret/${KIT_NAMES.databaseSecret}`:
        setSecret(o, params.databaseCredentials ?? {}, DATABASE_SECRET_KEYS);
        break;
    }
  }
  return sortForApply(out);
}

// ---------------------------------------------------------------- apply

const ORDER = ['Namespace', 'ServiceAccount', 'ConfigMap', 'Secret', 'PersistentVolumeClaim', 'Service', 'StatefulSet', 'Deployment', 'Ingress'];
const rank = (kind: string) => { const i = ORDER.indexOf(kind); return i < 0 ? ORDER.length : i; };

/** Dependency order: Namespace, ConfigMaps/Secrets, Services, StatefulSet, Deployment, Ingress (stable within a kind). */
export function sortForApply<T extends KubeObject>(objects: readonly T[]): T[] {
  return objects.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o.kind ?? '') - rank(b.o.kind ?? '') || a.i - b.i).map((x) => x.o);
}

export interface ApplyKitOptions {
  fieldManager?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
  /** Called after each object with its outcome (created / configured / unchanged / failed). */
  onObject?(r: ApplyResult): void;
}

/** Thrown when an object of the kit fails: the objects before it were applied, the rest were not. */
export class KitApplyError extends KubeError {
  constructor(readonly failed: ApplyResult, readonly applied: ApplyResult[], readonly error: KubeError) {
    super(error.kind, `${failed.kind} ${failed.name}${failed.namespace ? ` (${failed.namespace})` : ''}: ${error.message}`, { ...error.extra, namespace: failed.namespace });
  }
}

/**
 * Server-side applies the objects in dependency order, stamped `managed-by: homelab`, and stops at
 * the first failure (a Deployment whose Secret was refused must not start). A cancelled signal
 * stops before the next object.
 */
export async function applyKit(client: KubeClient, objects: readonly KubeObject[], o: ApplyKitOptions = {}): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  for (const obj of sortForApply(objects)) {
    if (o.signal?.aborted) throw new CancelledError();
    const body = JSON.parse(JSON.stringify(obj)) as KubeObject;
    body.metadata.labels = { ...body.metadata.labels, [MANAGED_BY]: 'homelab' };
    const r = await applyObject(client, body, { dryRun: o.dryRun, fieldManager: o.fieldManager ?? KIT_FIELD_MANAGER }, `${obj.kind}/${obj.metadata.name}`);
    r.namespace ??= obj.metadata.namespace; // known even when the apply failed before discovery
    results.push(r);
    o.onObject?.(r);
    if (r.outcome === 'failed') throw new KitApplyError(r, results.slice(0, -1), r.error ?? new KubeError('invalid', 'failed'));
  }
  return results;
}

// ---------------------------------------------------------------- ingress class

export interface IngressClassChoice {
  name: string;
  /** Why: the cluster's default IngressClass, an existing class, K3s (Traefik), or the fallback. */
  reason: 'default' | 'existing' | 'k3s' | 'fallback';
}

/** Picks the IngressClass: the cluster's default one; else an existing traefik/nginx class; else Traefik on K3s, nginx elsewhere. */
export async function detectIngressClass(client: KubeClient, signal?: AbortSignal): Promise<IngressClassChoice> {
  let classes: KubeObject[] = [];
  try {
    classes = (await client.request<{ items: KubeObject[] }>('GET', '/apis/networking.k8s.io/v1/ingressclasses', { signal })).items;
  } catch (e) {
    // a user without cluster-scope list rights (or a server without the kind) still gets a guess
    if (!isKubeError(e, 'forbidden') && !isKubeError(e, 'notFound')) throw e;
  }
  const def = classes.find((c) => c.metadata.annotations?.['ingressclass.kubernetes.io/is-default-class'] === 'true');
  if (def) return { name: def.metadata.name, reason: 'default' };
  const byController = (frag: string) => classes.find((c) => String(c.spec?.controller ?? '').includes(frag) || c.metadata.name === frag);
  const existing = byController('traefik') ?? byController('nginx') ?? (classes.length === 1 ? classes[0] : undefined);
  if (existing) return { name: existing.metadata.name, reason: 'existing' };
  let version = '';
  try { version = (await client.request<{ gitVersion?: string }>('GET', '/version', { signal })).gitVersion ?? ''; } catch { /* guess below */ }
  if (/k3s/i.test(version)) return { name: 'traefik', reason: 'k3s' };
  return { name: 'nginx', reason: 'fallback' };
}

// ---------------------------------------------------------------- namespace ownership

export interface OwnershipProblem { kind: string; name: string; reason: string }

/**
 * Is `namespace` free for the app (absent, or the app's)? Returns what belongs to something else:
 * the namespace itself labelled for another application, or an object the kit would overwrite that
 * is not labelled part-of the app. An unlabelled existing namespace holding none of the kit's names
 * is accepted (it may have been made by hand for the app).
 */
export async function checkNamespaceOwnership(client: KubeClient, namespace: string, objects: readonly KubeObject[], signal?: AbortSignal): Promise<OwnershipProblem[]> {
  const problems: OwnershipProblem[] = [];
  let ns: KubeObject | undefined;
  try { ns = await client.request<KubeObject>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}`, { signal }); } catch (e) {
    if (!isKubeError(e, 'notFound')) throw e;
  }
  if (!ns) return problems;
  const owner = ns.metadata.labels?.[PART_OF];
  if (owner !== undefined && owner !== APP_NAME) problems.push({ kind: 'Namespace', name: namespace, reason: `is part of "${owner}"` });
  for (const o of objects) {
    if (o.kind === 'Namespace') continue;
    const path = objectApiPath(o, namespace);
    if (!path) continue;
    let existing: KubeObject | undefined;
    try { existing = await client.request<KubeObject>('GET', path, { signal }); } catch (e) {
      if (!isKubeError(e, 'notFound')) throw e;
    }
    const part = existing?.metadata.labels?.[PART_OF];
    if (existing && part !== APP_NAME) problems.push({ kind: o.kind!, name: o.metadata.name, reason: part ? `is part of "${part}"` : `exists and is not labelled ${PART_OF}=${APP_NAME}` });
  }
  return problems;
}

const PLURALS: Record<string, string> = {
  ConfigMap: 'configmaps', Secret: 'secrets', Service: 'services', PersistentVolumeClaim: 'persistentvolumeclaims', ServiceAccount: 'serviceaccounts',
  Deployment: 'deployments', StatefulSet: 'statefulsets', Ingress: 'ingresses',
};
function objectApiPath(o: KubeObject, namespace: string): string | undefined {
  const plural = PLURALS[o.kind ?? ''];
  if (!plural || !o.apiVersion) return undefined;
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(o.metadata.name)}`;
}
