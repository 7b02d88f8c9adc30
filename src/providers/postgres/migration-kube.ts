// What each step of a database migration does in the cluster: the external database (the app
// Secret's DATABASE_URL) is dumped through a helper pod, restored into the kit's StatefulSet,
// verified, and the app switched over. Plain Node over a KubeClient and the PostgreSQL primitives
// (./index), both handed in, so the extension, the integration tests and the bench run the same
// code. No password is ever written to the state, a log line, a command line or a file: it is read
// from the cluster when a step needs it and goes to the pod on stdin only.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import type { KubeClient } from '../kubernetes/client';
import type { KubeObject } from '../kubernetes/resources';
import type { KubernetesModules } from '../../services/kubernetes/modules';
import { CancelledError, throwIfCancelled } from '../cancellation';
import type { StepImpl } from './migration-engine';
import {
  HELPER_POD, HELPER_POD_REF, MANAGED_BY, PREMIGRATION_REF, PREMIGRATION_SECRET, type MigrationState, type TableFigure,
} from './migration-state';

// ---- the PostgreSQL primitives (src/providers/postgres/index.ts), as this module uses them ----
export interface PgTarget { host: string; port: number; database: string; user: string; password: string; params: Record<string, string> }
export interface ExecIo { stdin?: Readable; stdout?: Writable; signal?: AbortSignal }
export type PodExec = (command: string[], io: ExecIo) => Promise<{ exitCode: number; stderr: string }>;
export interface PgApi {
  parseDatabaseUrl(url: string): PgTarget;
  formatDatabaseUrl(t: PgTarget): string;
  dumpToFile(exec: PodExec, source: PgTarget, file: string, o: { signal?: AbortSignal; onProgress?(bytes: number): void }): Promise<{ bytes: number; sha256: string }>;
  restoreFromFile(exec: PodExec, target: PgTarget, file: string, o: { signal?: AbortSignal; onProgress?(bytes: number): void }): Promise<void>;
  fingerprint(exec: PodExec, t: PgTarget, o?: { signal?: AbortSignal }): Promise<unknown>;
  compareFingerprints(a: never, b: never): string[];
  checkConnection(exec: PodExec, t: PgTarget, o?: { signal?: AbortSignal }): Promise<{ ok: true; version: string; sizeBytes: number } | { ok: false; reason: 'auth' | 'unreachable' | 'no-database' | 'other'; message: string }>;
}

/** Names of the app's objects (the kit's names, derived from the application name). */
export function appNames(app: string) {
  return {
    deployment: app,
    appSecret: `${app}-secrets`,
    statefulSet: `${app}-postgres`,
    service: `${app}-postgres`,
    credentials: `${app}-postgres-credentials`,
    pod0: `${app}-postgres-0`,
    claim0: `data-${app}-postgres-0`,
    helperPod: HELPER_POD,
    premigration: PREMIGRATION_SECRET,
  };
}

export interface MigrationEnv {
  client: KubeClient;
  kube: Pick<KubernetesModules, 'actions' | 'errors'>;
  pg: PgApi;
  /** An exec into a container of a pod of the migration's namespace (podExec over the exec WebSocket). */
  podExec(pod: string, container: string): PodExec;
  /** The intermediate kit's database objects, rendered for this namespace, image and StorageClass. */
  databaseObjects(o: { storageClass?: string; databaseImage: string }): KubeObject[];
  /** Server-side apply in dependency order (the kit's applyKit). */
  applyKit(objects: KubeObject[], o: { signal: AbortSignal; onObject?(line: string): void }): Promise<void>;
  /** Waits until a workload's rollout is complete and its pods ready (throws with the reason otherwise). */
  waitForRollout(kind: 'deployments' | 'statefulsets', name: string, o: { signal: AbortSignal; timeoutMs: number }): Promise<void>;
  /** The backup folder on this machine: absolute path of a new dump, free space, git-ignore. */
  backups: {
    /** Absolute path for a file name inside homelab/backups (the folder created). */
    path(name: string): Promise<string>;
    /** The path the state records (workspace-relative). */
    relative(abs: string): string;
    freeBytes(): Promise<number>;
    /** Makes sure homelab/backups/.gitignore ignores the dumps (written atomically). */
    ensureIgnored(): Promise<void>;
  };
  /** The database as the StatefulSet's pod reaches it (its own server: 127.0.0.1:5432 unless tests bind it elsewhere). */
  targetFromPod: { host: string; port: number };
  /** Records the state now (mid-step facts: an object created, a Secret saved). */
  save(): Promise<void>;
  /** One line of detail for the terminal and the log (never a secret). */
  log(line: string): void;
  now(): Date;
  timeouts: { readyMs: number };
  /** Test hook: runs between restore and verify (a test changes a row in the target). */
  beforeVerify?(): Promise<void>;
}

const DB_CONTAINER = 'postgres';

export class MigrationRefused extends Error {
  override readonly name = 'MigrationRefused';
}

/** Secret values as `data` (what the server stores; stringData is write-only and not kept by every server). */
function encodeData(v: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, Buffer.from(x, 'utf8').toString('base64')]));
}

function b64decode(v: unknown): string { return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : ''; }

async function getOrUndefined<T>(env: MigrationEnv, path: string): Promise<T | undefined> {
  try { return await env.client.request<T>('GET', path); } catch (e) {
    if (env.kube.errors.isKubeError(e, 'notFound')) return undefined;
    throw e;
  }
}

const secretPath = (ns: string, name: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(name)}`;
const isManaged = (o: KubeObject | undefined) => o?.metadata.labels?.[MANAGED_BY.key] === MANAGED_BY.value;

/** The value of one key of a Secret, or undefined. */
async function secretValue(env: MigrationEnv, ns: string, name: string, key: string): Promise<{ value?: string; object?: KubeObject }> {
  const s = await getOrUndefined<KubeObject>(env, secretPath(ns, name));
  const data = (s as { data?: Record<string, string> } | undefined)?.data;
  return { value: data && key in data ? b64decode(data[key]) : undefined, object: s };
}

/**
 * The source database: the premigration Secret's DATABASE_URL once the switch saved it (the app
 * Secret then points at the StatefulSet), else the app Secret's own.
 */
export async function sourceTarget(s: MigrationState, env: MigrationEnv): Promise<PgTarget> {
  const n = appNames(s.app);
  const saved = await secretValue(env, s.namespace, n.premigration, 'DATABASE_URL');
  const url = saved.value ?? (await secretValue(env, s.namespace, n.appSecret, 'DATABASE_URL')).value;
  if (!url) throw new MigrationRefused(`Secret ${s.namespace}/${n.appSecret} has no DATABASE_URL: the app's database is not known.`);
  try { return env.pg.parseDatabaseUrl(url); } catch (e) {
    // parseDatabaseUrl's message never holds the password (contract); say where the URL came from.
    throw new MigrationRefused(`DATABASE_URL of Secret ${s.namespace}/${saved.value ? n.premigration : n.appSecret}: ${(e as Error).message}`);
  }
}

/** The StatefulSet's database as its own pod reaches it, with the generated credentials. */
export async function targetInPod(s: MigrationState, env: MigrationEnv): Promise<PgTarget> {
  const c = await credentials(s, env);
  if (!c) throw new Error(`Secret ${s.namespace}/${appNames(s.app).credentials} is missing: run the deploy step again.`);
  return { host: env.targetFromPod.host, port: env.targetFromPod.port, database: c.database, user: c.user, password: c.password, params: {} };
}

/** The URL the app uses after the switch: the ClusterIP Service of the StatefulSet. */
export async function inClusterUrl(s: MigrationState, env: MigrationEnv): Promise<string> {
  const c = await credentials(s, env);
  if (!c) throw new Error(`Secret ${s.namespace}/${appNames(s.app).credentials} is missing.`);
  return env.pg.formatDatabaseUrl({ host: `${appNames(s.app).service}.${s.namespace}.svc.cluster.local`, port: 5432, database: c.database, user: c.user, password: c.password, params: {} });
}

async function credentials(s: MigrationState, env: MigrationEnv): Promise<{ user: string; password: string; database: string } | undefined> {
  const o = await getOrUndefined<{ data?: Record<string, string> }>(env, secretPath(s.namespace, appNames(s.app).credentials));
  if (!o?.data) return undefined;
  return { user: b64decode(o.data.POSTGRES_USER), password: b64decode(o.data.POSTGRES_PASSWORD), database: b64decode(o.data.POSTGRES_DB) };
}

// ---------------------------------------------------------------- preflight helpers

/** Refuses a namespace that does not hold the application (its web Deployment and Secret). */
export async function checkApplication(s: MigrationState, env: MigrationEnv): Promise<void> {
  const n = appNames(s.app);
  const dep = await getOrUndefined<KubeObject>(env, `/apis/apps/v1/namespaces/${encodeURIComponent(s.namespace)}/deployments/${encodeURIComponent(n.deployment)}`);
  const labels = dep?.metadata.labels ?? {};
  if (!dep || labels['app.kubernetes.io/part-of'] !== s.app || labels['app.kubernetes.io/component'] !== 'web') {
    throw new MigrationRefused(`Namespace "${s.namespace}" is not the namespace of application "${s.app}": it has no Deployment "${n.deployment}" labelled app.kubernetes.io/part-of=${s.app}, component=web.`);
  }
  const sts = await getOrUndefined<KubeObject>(env, `/apis/apps/v1/namespaces/${encodeURIComponent(s.namespace)}/statefulsets/${encodeURIComponent(n.statefulSet)}`);
  if (sts && !s.created.includes(`statefulsets/${n.statefulSet}`)) {
    throw new MigrationRefused(`StatefulSet ${s.namespace}/${n.statefulSet} already exists and was not created by this migration: its database would be overwritten. Remove it or migrate by hand.`);
  }
}

/** RBAC answers for what the migration does, through SelfSubjectAccessReview; refuses with what is missing. */
export async function checkAccess(s: MigrationState, env: MigrationEnv): Promise<string> {
  const asks: Array<{ verb: string; resource: string; subresource?: string; group?: string }> = [
    { verb: 'create', resource: 'pods', subresource: 'exec' },
    { verb: 'create', resource: 'pods' },
    { verb: 'patch', resource: 'secrets' },
    { verb: 'create', resource: 'secrets' },
    { verb: 'patch', resource: 'deployments', group: 'apps' },
    { verb: 'patch', resource: 'statefulsets', group: 'apps' },
  ];
  const denied: string[] = [];
  for (const a of asks) {
    const review = await env.client.request<{ status?: { allowed?: boolean; reason?: string } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: s.namespace, verb: a.verb, group: a.group ?? '', resource: a.resource, subresource: a.subresource } } },
    });
    if (!review.status?.allowed) denied.push(`${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}`);
  }
  if (denied.length) throw new MigrationRefused(`RBAC refuses what the migration needs in namespace "${s.namespace}": ${denied.join(', ')}. Ask for a Role that grants it.`);
  return `RBAC ok (${asks.length} checks)`;
}

interface StorageClassObj { metadata: { name: string; annotations?: Record<string, string> }; provisioner?: string; volumeBindingMode?: string }

/** The StorageClass the claim will use: the one asked for, else the default. Refuses when none can bind. */
export async function checkStorageClass(s: MigrationState, env: MigrationEnv): Promise<string> {
  const list = await env.client.request<{ items: StorageClassObj[] }>('GET', '/apis/storage.k8s.io/v1/storageclasses');
  const isDefault = (c: StorageClassObj) => ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'].some((k) => c.metadata.annotations?.[k] === 'true');
  const names = list.items.map((c) => c.metadata.name);
  if (s.storageClass) {
    const c = list.items.find((x) => x.metadata.name === s.storageClass);
    if (!c) throw new MigrationRefused(`StorageClass "${s.storageClass}" does not exist, so the volume claim would stay Pending.${names.length ? ` Classes: ${names.join(', ')}.` : ' The cluster has no StorageClass.'}`);
    if (c.provisioner === 'kubernetes.io/no-provisioner') throw new MigrationRefused(`StorageClass "${s.storageClass}" has no provisioner (kubernetes.io/no-provisioner): the claim would stay Pending until someone creates a volume by hand.`);
    return s.storageClass;
  }
  const d = list.items.filter(isDefault);
  if (!d.length) {
    throw new MigrationRefused(`No default StorageClass: the volume claim would stay Pending (asked for: the default class).${names.length ? ` Choose one of: ${names.join(', ')}.` : ' The cluster has no StorageClass; install a provisioner (K3s: local-path).'}`);
  }
  return d[0].metadata.name;
}

// ---------------------------------------------------------------- the helper pod

function helperPodManifest(s: MigrationState): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: HELPER_POD, namespace: s.namespace,
      labels: { 'app.kubernetes.io/part-of': s.app, 'app.kubernetes.io/component': 'database', 'app.kubernetes.io/name': `${s.app}-db-migrate`, [MANAGED_BY.key]: MANAGED_BY.value },
    },
    spec: {
      restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
      containers: [{ name: DB_CONTAINER, image: s.databaseImage, command: ['sleep', 'infinity'], securityContext: { allowPrivilegeEscalation: false } }],
    },
  } as unknown as KubeObject;
}

/** Creates the helper pod when it is missing and waits until it runs. Returns whether this call created it. */
export async function ensureHelperPod(s: MigrationState, env: MigrationEnv, signal: AbortSignal): Promise<boolean> {
  const path = `/api/v1/namespaces/${encodeURIComponent(s.namespace)}/pods`;
  let created = false;
  const cur = await getOrUndefined<KubeObject>(env, `${path}/${HELPER_POD}`);
  if (cur && !isManaged(cur)) throw new MigrationRefused(`Pod ${s.namespace}/${HELPER_POD} exists and was not created by Homelab; remove or rename it.`);
  if (!cur) {
    await env.client.request('POST', path, { body: helperPodManifest(s) });
    created = true;
    if (!s.created.includes(HELPER_POD_REF)) { s.created.push(HELPER_POD_REF); await env.save(); }
    env.log(`created pod ${HELPER_POD} (${s.databaseImage})`);
  }
  const deadline = Date.now() + env.timeouts.readyMs;
  for (;;) {
    throwIfCancelled(signal);
    const p = await env.client.request<KubeObject>('GET', `${path}/${HELPER_POD}`);
    const st = p.status as { phase?: string; conditions?: Array<{ type: string; status: string }>; containerStatuses?: Array<{ state?: { waiting?: { reason?: string; message?: string } } }> } | undefined;
    if (st?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return created;
    if (st?.phase === 'Failed' || st?.phase === 'Succeeded') throw new Error(`Pod ${HELPER_POD} ended (${st.phase}) before the backup could run.`);
    if (Date.now() > deadline) {
      const w = st?.containerStatuses?.[0]?.state?.waiting;
      throw new Error(`Pod ${HELPER_POD} is not ready after ${Math.round(env.timeouts.readyMs / 1000)} s${w?.reason ? ` (${w.reason}${w.message ? `: ${w.message}` : ''})` : ''}.`);
    }
    await sleep(300, signal);
  }
}

async function deleteIfManaged(env: MigrationEnv, path: string): Promise<boolean> {
  const o = await getOrUndefined<KubeObject>(env, path);
  if (!o || !isManaged(o)) return false;
  try { await env.client.request('DELETE', path, { body: { propagationPolicy: 'Background', preconditions: { uid: o.metadata.uid } } }); } catch (e) {
    if (!env.kube.errors.isKubeError(e, 'notFound')) throw e;
  }
  return true;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) { reject(new CancelledError()); return; }
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(new CancelledError()); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/**
 * Empties the StatefulSet's database before a restore (drop + create as the generated owner), so a
 * restore run again after a failure starts from nothing. The password goes on stdin only.
 */
async function resetTarget(exec: PodExec, t: PgTarget, signal: AbortSignal): Promise<void> {
  const script = 'IFS= read -r PGPASSWORD; export PGPASSWORD; psql -v ON_ERROR_STOP=1 -q -h "$1" -p "$2" -U "$3" -d postgres -c "DROP DATABASE IF EXISTS \\"$4\\" WITH (FORCE)" -c "CREATE DATABASE \\"$4\\" OWNER \\"$3\\""';
  const err: Buffer[] = [];
  const r = await exec(['sh', '-c', script, 'sh', t.host, String(t.port), t.user, t.database], {
    stdin: Readable.from([Buffer.from(`${t.password}\n`)]),
    stdout: new Writable({ write(_c, _e, cb) { cb(); } }),
    signal,
  });
  if (r.exitCode !== 0) throw new Error(`Could not empty database "${t.database}" before the restore (exit ${r.exitCode}): ${(r.stderr || Buffer.concat(err).toString()).trim().slice(-300)}`);
}

/** Per-table figures from a fingerprint (whatever its shape: tables as a list or a map). */
export function tableFigures(fp: unknown): TableFigure[] {
  const tables = (fp as { tables?: unknown } | undefined)?.tables;
  const one = (name: string, v: unknown): TableFigure => {
    const o = (v ?? {}) as Record<string, unknown>;
    return { name, rows: Number(o.rows ?? o.rowCount ?? o.count ?? 0), checksum: String(o.checksum ?? o.hash ?? o.sha256 ?? o.md5 ?? '') };
  };
  if (Array.isArray(tables)) return tables.map((t) => one(String((t as Record<string, unknown>).name ?? (t as Record<string, unknown>).table ?? ''), t));
  if (tables && typeof tables === 'object') return Object.entries(tables as Record<string, unknown>).map(([k, v]) => one(k, v));
  return [];
}

// ---------------------------------------------------------------- the steps

export function migrationSteps(s: MigrationState, env: MigrationEnv): StepImpl {
  const n = appNames(s.app);
  const ns = s.namespace;
  const helperExec = () => env.podExec(HELPER_POD, DB_CONTAINER);
  const dbExec = () => env.podExec(n.pod0, DB_CONTAINER);

  return {
    async preflight(signal) {
      // RBAC first: in a namespace the user may not touch, every later read would fail less clearly.
      const rbac = await checkAccess(s, env);
      await checkApplication(s, env);
      const source = await sourceTarget(s, env);
      s.source = { host: source.host, port: source.port, database: source.database, user: source.user };
      const storageClass = await checkStorageClass(s, env);
      s.storageClass = storageClass;
      // The helper pod reaches the source as the app does; made now to ask the source, removed again
      // when the source refuses (a refused preflight leaves nothing behind).
      const created = await ensureHelperPod(s, env, signal);
      try {
        const c = await env.pg.checkConnection(helperExec(), source, { signal });
        if (!c.ok) {
          const why = c.reason === 'auth' ? `refuses the credentials of user "${source.user}"`
            : c.reason === 'unreachable' ? 'cannot be reached' : c.reason === 'no-database' ? `has no database "${source.database}"` : 'cannot be used';
          throw new MigrationRefused(`The source database at ${source.host}:${source.port} ${why}: ${c.message}`);
        }
        const free = await env.backups.freeBytes();
        if (free < c.sizeBytes) throw new MigrationRefused(`Not enough free space for the backup in the workspace: ${mb(free)} free, the source database is ${mb(c.sizeBytes)}.`);
        return { figures: `source ${source.host}:${source.port}/${source.database} (PostgreSQL ${c.version}, ${mb(c.sizeBytes)}); ${mb(free)} free; StorageClass ${storageClass}; ${rbac}` };
      } catch (e) {
        if (created) {
          await deleteIfManaged(env, `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${HELPER_POD}`).catch(() => undefined);
          s.created = s.created.filter((r) => r !== HELPER_POD_REF);
        }
        throw e;
      }
    },

    async backup(signal) {
      await ensureHelperPod(s, env, signal);
      const source = await sourceTarget(s, env);
      await env.backups.ensureIgnored();
      const stamp = env.now().toISOString().replace(/[:.]/g, '-');
      const file = await env.backups.path(`${s.app}-${stamp}.dump`);
      env.log(`pg_dump -Fc of ${source.host}:${source.port}/${source.database} to ${env.backups.relative(file)}`);
      let last = 0;
      const r = await env.pg.dumpToFile(helperExec(), source, file, {
        signal,
        onProgress: (bytes) => { if (bytes - last >= 8 * 1024 * 1024) { last = bytes; env.log(`backup: ${mb(bytes)}`); } },
      });
      s.backup = { file: env.backups.relative(file), bytes: r.bytes, sha256: r.sha256 };
      return { figures: `${env.backups.relative(file)} ${mb(r.bytes)} sha256 ${r.sha256.slice(0, 16)}…` };
    },

    async deploy(signal) {
      // Credentials: generated once (crypto random) and sent straight to the API; a resumed run
      // keeps them, since the database in the volume was initialised with them.
      const credPath = secretPath(ns, n.credentials);
      const existing = await getOrUndefined<KubeObject>(env, credPath);
      if (existing && !isManaged(existing)) throw new MigrationRefused(`Secret ${ns}/${n.credentials} exists and was not created by Homelab.`);
      if (!existing) {
        const source = s.source ?? (await sourceTarget(s, env));
        await env.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets`, {
          body: {
            apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
            metadata: { name: n.credentials, namespace: ns, labels: { 'app.kubernetes.io/part-of': s.app, 'app.kubernetes.io/component': 'database', 'app.kubernetes.io/name': `${s.app}-postgres`, [MANAGED_BY.key]: MANAGED_BY.value } },
            data: encodeData({ POSTGRES_USER: source.user, POSTGRES_DB: source.database, POSTGRES_PASSWORD: randomBytes(24).toString('base64url') }),
          },
        });
        s.created.push(`secrets/${n.credentials}`);
        await env.save();
        env.log(`created Secret ${n.credentials} (generated password)`);
      }
      // The kit's database objects without its credentials template: the Secret above is the real one.
      const objects = env.databaseObjects({ storageClass: s.storageClass, databaseImage: s.databaseImage })
        .filter((o) => !(o.kind === 'Secret' && o.metadata.name === n.credentials));
      if (!s.created.includes(`statefulsets/${n.statefulSet}`)) { s.created.push(`statefulsets/${n.statefulSet}`); await env.save(); }
      await env.applyKit(objects, { signal, onObject: (line) => env.log(line) });
      try {
        await env.waitForRollout('statefulsets', n.statefulSet, { signal, timeoutMs: env.timeouts.readyMs });
      } catch (e) {
        const claim = await getOrUndefined<{ status?: { phase?: string }; spec?: { storageClassName?: string } }>(env, `/api/v1/namespaces/${encodeURIComponent(ns)}/persistentvolumeclaims/${n.claim0}`);
        if (claim && claim.status?.phase !== 'Bound') {
          throw new Error(`Volume claim ${n.claim0} is ${claim.status?.phase ?? 'Pending'}: StorageClass "${claim.spec?.storageClassName ?? s.storageClass}" did not bind it, so ${n.pod0} cannot start.`);
        }
        throw e;
      }
      // Ready means pg_isready answered; the image may still be creating the user and database on
      // first start, so ask until it accepts the generated credentials (or the time is up).
      const target = await targetInPod(s, env);
      const deadline = Date.now() + env.timeouts.readyMs;
      for (;;) {
        const c = await env.pg.checkConnection(dbExec(), target, { signal });
        if (c.ok) return { figures: `StatefulSet ${n.statefulSet} ready (PostgreSQL ${c.version}, StorageClass ${s.storageClass})` };
        if (Date.now() > deadline) throw new Error(`The StatefulSet's database does not accept its credentials: ${c.message}`);
        await sleep(500, signal);
      }
    },

    async restore(signal) {
      if (!s.backup) throw new Error('No good backup is recorded: run the backup step again.');
      const file = await env.backups.path(s.backup.file.split('/').pop()!);
      // The file must still be the backup that was recorded (same SHA-256) before anything is restored.
      const sha = await sha256File(file).catch((e: NodeJS.ErrnoException) => { throw new Error(`The backup ${s.backup!.file} cannot be read (${e.code ?? e.message}): run the backup step again.`); });
      if (sha !== s.backup.sha256) throw new Error(`The backup ${s.backup.file} changed since it was made (SHA-256 ${sha.slice(0, 16)}…, recorded ${s.backup.sha256.slice(0, 16)}…): not restoring it.`);
      const target = await targetInPod(s, env);
      await resetTarget(dbExec(), target, signal);
      let last = 0;
      await env.pg.restoreFromFile(dbExec(), target, file, {
        signal,
        onProgress: (bytes) => { if (bytes - last >= 8 * 1024 * 1024) { last = bytes; env.log(`restore: ${mb(bytes)}`); } },
      });
      return { figures: `${mb(s.backup.bytes)} restored into ${n.pod0}` };
    },

    async verify(signal) {
      await env.beforeVerify?.();
      const [a, b] = await Promise.all([
        env.pg.fingerprint(helperExec(), await sourceTarget(s, env), { signal }),
        env.pg.fingerprint(dbExec(), await targetInPod(s, env), { signal }),
      ]);
      const diff = env.pg.compareFingerprints(a as never, b as never);
      if (diff.length) {
        for (const d of diff) env.log(`difference: ${d}`);
        throw new Error(`The StatefulSet's database differs from the source (${diff.length} difference${diff.length === 1 ? '' : 's'}): ${diff.slice(0, 5).join('; ')}${diff.length > 5 ? '; …' : ''}. The app was not touched.`);
      }
      s.tables = tableFigures(a);
      const rows = s.tables.reduce((x, t) => x + t.rows, 0);
      return { figures: `${s.tables.length} tables, ${rows} rows equal on both sides` };
    },

    async switch(signal) {
      const appSecret = await secretValue(env, ns, n.appSecret, 'DATABASE_URL');
      if (appSecret.value === undefined) throw new Error(`Secret ${ns}/${n.appSecret} has no DATABASE_URL.`);
      const url = await inClusterUrl(s, env);
      const saved = await secretValue(env, ns, n.premigration, 'DATABASE_URL');
      if (saved.object && !isManaged(saved.object)) throw new MigrationRefused(`Secret ${ns}/${n.premigration} exists and was not created by Homelab.`);
      // Save the previous value first (in the cluster, never on disk); a run resumed after the
      // patch below finds the in-cluster URL in the app Secret and keeps the saved one.
      if (appSecret.value !== url) {
        const body = {
          apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
          metadata: { name: n.premigration, namespace: ns, labels: { 'app.kubernetes.io/part-of': s.app, [MANAGED_BY.key]: MANAGED_BY.value } },
          data: encodeData({ DATABASE_URL: appSecret.value }),
        };
        if (saved.object) await env.client.request('PUT', secretPath(ns, n.premigration), { body: { ...body, metadata: { ...body.metadata, resourceVersion: saved.object.metadata.resourceVersion } } });
        else await env.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets`, { body });
      } else if (!saved.object) {
        throw new Error(`Secret ${ns}/${n.appSecret} already points at the StatefulSet but no previous value is saved; nothing to switch.`);
      }
      if (!s.created.includes(PREMIGRATION_REF)) s.created.push(PREMIGRATION_REF);
      await env.save();
      env.log(`saved the previous DATABASE_URL in Secret ${n.premigration}`);
      await setDatabaseUrl(env, ns, n.appSecret, url);
      env.log(`Secret ${n.appSecret}: DATABASE_URL now names ${n.service}.${ns}.svc.cluster.local`);
      await env.kube.actions.restart(env.client, 'deployments', ns, n.deployment, env.now());
      await env.waitForRollout('deployments', n.deployment, { signal, timeoutMs: env.timeouts.readyMs });
      const c = await env.pg.checkConnection(dbExec(), await targetInPod(s, env), { signal });
      if (!c.ok) throw new Error(`The app restarted but its new database does not answer: ${c.message}`);
      return { figures: `DATABASE_URL → ${n.service}.${ns}.svc; ${n.deployment} restarted and ready` };
    },
  };
}

async function setDatabaseUrl(env: MigrationEnv, ns: string, name: string, url: string): Promise<void> {
  await env.client.request('PATCH', secretPath(ns, name), { body: { data: { DATABASE_URL: Buffer.from(url).toString('base64') } }, contentType: 'application/merge-patch+json' });
}

/**
 * Rollback: the app Secret's DATABASE_URL back to the saved value, then a rollout restart. The
 * source database is only ever read, so it is as it was.
 */
export async function rollback(s: MigrationState, env: MigrationEnv, signal: AbortSignal): Promise<void> {
  const n = appNames(s.app);
  const saved = await secretValue(env, s.namespace, n.premigration, 'DATABASE_URL');
  if (saved.value === undefined) throw new Error(`Secret ${s.namespace}/${n.premigration} is missing: the previous DATABASE_URL is not known, so there is nothing to roll back to.`);
  await setDatabaseUrl(env, s.namespace, n.appSecret, saved.value);
  env.log(`Secret ${n.appSecret}: DATABASE_URL restored from ${n.premigration}`);
  await env.kube.actions.restart(env.client, 'deployments', s.namespace, n.deployment, env.now());
  await env.waitForRollout('deployments', n.deployment, { signal, timeoutMs: env.timeouts.readyMs });
}

/** Cleanup after a confirmation: deletes only what this migration created and Homelab labelled. */
export async function cleanup(s: MigrationState, env: MigrationEnv): Promise<string[]> {
  const n = appNames(s.app);
  const deleted: string[] = [];
  const ns = encodeURIComponent(s.namespace);
  if (s.created.includes(HELPER_POD_REF) && (await deleteIfManaged(env, `/api/v1/namespaces/${ns}/pods/${HELPER_POD}`))) deleted.push(HELPER_POD_REF);
  if (s.created.includes(PREMIGRATION_REF) && (await deleteIfManaged(env, secretPath(s.namespace, n.premigration)))) deleted.push(PREMIGRATION_REF);
  s.created = s.created.filter((r) => !deleted.includes(r));
  return deleted;
}
