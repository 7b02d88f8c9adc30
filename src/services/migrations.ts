// Database migrations (external PostgreSQL -> the kit's StatefulSet): their recorded state, the one
// run per application, rollback and cleanup. No UI: the command (commands/apps/migrate.ts) asks,
// shows the terminal and the progress; this service runs the steps (providers/postgres/migration-*)
// and records the state after every step in the workspace, homelab/migrations/<namespace>.<app>.json:
// a file rather than workspaceState so it survives a new window, is visible next to the backups it
// names, and the db_migration_status operation (VS Code and the MCP server alike) can read it. It
// holds no secret: passwords and URLs stay in the cluster's Secrets.
import * as vscode from 'vscode';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CancelledError } from '../providers/cancellation';
import { assertName } from '../providers/names';
import type { KubeObject } from '../providers/kubernetes/resources';
import { runSteps, type StepImpl } from '../providers/postgres/migration-engine';
import type { MigrationEnv, PgApi, PodExec } from '../providers/postgres/migration-kube';
import {
  BACKUPS_FOLDER, canCleanup, canRollback, heldByOther, MIGRATIONS_FOLDER, newMigration, parseState, stateFileName,
  type MigrationState, type MigrationStepId,
} from '../providers/postgres/migration-state';
import type { ActivityLog } from './activity';
import { keyOf, WorkspaceFileStore } from './files';
import type { KubernetesSession } from './kubernetes';

/** DNS-1123 label: app and namespace names become object and file names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function checkLabel(what: string, v: string): string | undefined {
  return DNS_LABEL.test(v) ? undefined : `${what} "${v.slice(0, 70)}" is not a valid name: lowercase letters, digits and "-", at most 63 characters, starting and ending with a letter or digit.`;
}

export interface MigrationKey { context: string; namespace: string; app: string }

/** Knobs tests set through the test API (never settings: nothing a workspace could change). */
export interface MigrationTuning {
  /** Where the StatefulSet's pod reaches its own database (default 127.0.0.1:5432). */
  targetFromPod?: { host: string; port: number };
  /** Stop the run once this step is done (reload tests). */
  stopAfter?: MigrationStepId;
  beforeVerify?(): Promise<void>;
  readyMs?: number;
  /** The exec of a pod (default: podExec over the exec WebSocket). */
  podExec?(key: MigrationKey, pod: string, container: string): PodExec;
}

/** What a run needs from the lazily loaded parts: the PostgreSQL primitives and the kit. */
export interface MigrationParts {
  pg: PgApi;
  podExec(client: import('../providers/kubernetes/client').KubeClient, namespace: string, pod: string, container: string): PodExec;
  databaseObjects(o: { namespace: string; app: string; storageClass?: string; databaseImage: string }): KubeObject[];
  applyKit(client: import('../providers/kubernetes/client').KubeClient, objects: KubeObject[], o: { signal: AbortSignal; onObject?(line: string): void }): Promise<void>;
}

export class Migrations implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<MigrationState>();
  /** Fires after every recorded change of a migration's state. */
  readonly onDidChange = this.changed.event;
  private readonly running = new Map<string, AbortController>();
  readonly tuning: MigrationTuning = {};
  private readonly store = new WorkspaceFileStore();

  constructor(
    private readonly kubernetes: KubernetesSession,
    private readonly activity: ActivityLog,
    private readonly log: vscode.LogOutputChannel,
    private readonly parts: () => Promise<MigrationParts>,
    private readonly session: string = vscode.env.sessionId,
  ) {}

  workspace(): vscode.Uri {
    const ws = vscode.workspace.workspaceFolders?.[0];
    if (!ws || ws.uri.scheme !== 'file') throw new Error(vscode.l10n.t('Open a workspace folder first: the backup and the migration state are kept in its homelab/ folder.'));
    return ws.uri;
  }

  private fileOf(k: MigrationKey): vscode.Uri {
    return vscode.Uri.joinPath(this.workspace(), ...MIGRATIONS_FOLDER.split('/'), stateFileName(k.namespace, k.app));
  }

  static id(k: MigrationKey): string { return `${k.context}/${k.namespace}/${k.app}`; }

  isRunning(k: MigrationKey): boolean { return this.running.has(Migrations.id(k)); }

  /** The recorded state of an app's migration, if any (a file that is not one is ignored). */
  async state(k: MigrationKey): Promise<MigrationState | undefined> {
    const bytes = await this.store.read(keyOf(this.fileOf(k))).catch(() => undefined);
    const s = bytes && parseState(Buffer.from(bytes).toString('utf8'));
    return s && s.context === k.context ? s : undefined;
  }

  /** Every recorded migration of the workspace. */
  async list(): Promise<MigrationState[]> {
    const dir = vscode.Uri.joinPath(this.workspace(), ...MIGRATIONS_FOLDER.split('/'));
    const entries = await vscode.workspace.fs.readDirectory(dir).then((e) => e, () => [] as [string, vscode.FileType][]);
    const out: MigrationState[] = [];
    for (const [name] of entries.filter(([n]) => n.endsWith('.json'))) {
      const bytes = await this.store.read(keyOf(vscode.Uri.joinPath(dir, name))).catch(() => undefined);
      const s = bytes && parseState(Buffer.from(bytes).toString('utf8'));
      if (s) out.push(s);
    }
    return out;
  }

  /** Writes of one state file, one at a time (the steps and the heartbeat both save). */
  private readonly writes = new Map<string, Promise<void>>();

  private async save(s: MigrationState): Promise<void> {
    const path = keyOf(this.fileOf(s));
    const data = Buffer.from(JSON.stringify(s, null, 2) + '\n');
    const next = (this.writes.get(path) ?? Promise.resolve()).catch(() => undefined).then(() => this.store.replace(path, data));
    this.writes.set(path, next);
    await next;
    this.changed.fire(s);
  }

  /**
   * Claims the app for one run, or refuses: a run in this host, or in another host whose heartbeat
   * is fresh. The claim is taken before anything is awaited, so two calls at once cannot both pass.
   */
  private async claim(k: MigrationKey, ac: AbortController): Promise<() => void> {
    const id = Migrations.id(k);
    const busy = (s?: MigrationState) => new MigrationBusy(vscode.l10n.t('A database migration of {0} in namespace "{1}" is already running{2}. Wait for it to end or cancel it; nothing was changed.',
      k.app, k.namespace, s?.steps.find((x) => x.status === 'running') ? vscode.l10n.t(' (step {0})', s.steps.find((x) => x.status === 'running')!.id) : ''));
    if (this.running.has(id)) throw busy();
    this.running.set(id, ac);
    const release = () => { if (this.running.get(id) === ac) this.running.delete(id); };
    try {
      const s = await this.state(k);
      if (s && heldByOther(s, this.session, new Date())) throw busy(s);
    } catch (e) { release(); throw e; }
    return release;
  }

  /** Throws MigrationBusy when a run of this app is under way (the command asks nothing then). */
  async refuseIfRunning(k: MigrationKey): Promise<void> {
    (await this.claim(k, new AbortController()))();
  }

  /** A new state (not yet recorded) for an app, names validated. */
  fresh(k: MigrationKey, o: { storageClass: string; databaseImage: string }): MigrationState {
    for (const [what, v] of [['Application', k.app], ['Namespace', k.namespace]] as const) {
      const why = checkLabel(what, v);
      if (why) throw new Error(why);
    }
    return newMigration({ ...k, ...o, now: new Date() });
  }

  private async env(s: MigrationState, onLine: (l: string) => void): Promise<MigrationEnv> {
    const parts = await this.parts();
    const k = await this.kubernetes.modules();
    const client = await this.kubernetes.client(s.context);
    const ws = this.workspace();
    const backupsDir = path.join(ws.fsPath, ...BACKUPS_FOLDER.split('/'));
    const t = this.tuning;
    return {
      client, kube: k, pg: parts.pg,
      podExec: (pod, container) => t.podExec?.(s, pod, container) ?? parts.podExec(client, s.namespace, pod, container),
      databaseObjects: (o) => parts.databaseObjects({ namespace: s.namespace, app: s.app, ...o }),
      applyKit: (objects, o) => parts.applyKit(client, objects, o),
      waitForRollout: async (kind, name, o) => { await k.rollout.waitForRollout(client, s.namespace, kind, name, { signal: o.signal, timeoutMs: o.timeoutMs }); },
      backups: {
        path: async (name) => {
          assertName('backup', name);
          await vscode.workspace.fs.createDirectory(vscode.Uri.file(backupsDir));
          return path.join(backupsDir, name);
        },
        relative: (abs) => path.relative(ws.fsPath, abs).split(path.sep).join('/'),
        freeBytes: async () => {
          const st = await fsp.statfs(ws.fsPath);
          return Number(st.bavail) * Number(st.bsize);
        },
        ensureIgnored: () => ensureIgnored(this.store, vscode.Uri.file(path.join(backupsDir, '.gitignore'))),
      },
      targetFromPod: t.targetFromPod ?? { host: '127.0.0.1', port: 5432 },
      save: () => this.save(s),
      log: (line) => { this.log.info(`migration ${s.namespace}/${s.app}: ${line}`); onLine(line); },
      now: () => new Date(),
      timeouts: { readyMs: t.readyMs ?? 300_000 },
      beforeVerify: t.beforeVerify,
    };
  }

  /**
   * Runs the migration from its first step not done (a new one from preflight). One run per app at a
   * time. Records the state after every step; a heartbeat marks it as held while it runs.
   */
  async run(s: MigrationState, o: { signal: AbortSignal; onLine(line: string): void; onState(s: MigrationState): void }): Promise<MigrationState> {
    const id = Migrations.id(s);
    const ac = new AbortController();
    const release = await this.claim(s, ac);
    const abort = () => ac.abort();
    o.signal.addEventListener('abort', abort, { once: true });
    const started = Date.now();
    const sub = this.onDidChange((x) => { if (Migrations.id(x) === id) o.onState(x); });
    const beat = setInterval(() => {
      if (s.status === 'running') { s.owner = { session: this.session, heartbeatAt: new Date().toISOString() }; void this.save(s).catch(() => undefined); }
    }, 5_000);
    try {
      const env = await this.env(s, o.onLine);
      const { migrationSteps } = await import('../providers/postgres/migration-kube');
      const impl: StepImpl = migrationSteps(s, env);
      const done = await runSteps(s, impl, { save: (x) => this.save(x), signal: ac.signal, session: this.session, stopAfter: this.tuning.stopAfter });
      await this.activity.append({
        what: 'Migrate database to StatefulSet', cluster: s.context, target: `${s.namespace}/${s.app}`, durationMs: Date.now() - started,
        result: `ok: ${summary(done)}`,
      });
      return done;
    } catch (e) {
      if (!(e instanceof CancelledError) && (e as Error).name !== 'MigrationPaused') {
        await this.activity.append({
          what: 'Migrate database to StatefulSet', cluster: s.context, target: `${s.namespace}/${s.app}`, durationMs: Date.now() - started,
          result: `failed at ${s.steps.find((x) => x.status === 'failed')?.id ?? 'a step'}: ${(e as Error).message}`.slice(0, 300),
        });
      }
      throw e;
    } finally {
      clearInterval(beat);
      sub.dispose();
      o.signal.removeEventListener('abort', abort);
      release();
    }
  }

  /** Restores the app's previous DATABASE_URL and restarts it (the source was never written). */
  async rollback(s: MigrationState, o: { signal: AbortSignal; onLine(line: string): void }): Promise<MigrationState> {
    if (!canRollback(s)) throw new Error(vscode.l10n.t('The migration of {0} has nothing to roll back: the app was not switched (state: {1}).', s.app, s.status));
    const release = await this.claim(s, new AbortController());
    const started = Date.now();
    try {
      const env = await this.env(s, o.onLine);
      const { rollback } = await import('../providers/postgres/migration-kube');
      await rollback(s, env, o.signal);
      s.status = 'rolled-back';
      s.rolledBackAt = new Date().toISOString();
      s.updatedAt = s.rolledBackAt;
      await this.save(s);
      await this.activity.append({ what: 'Roll back database migration', cluster: s.context, target: `${s.namespace}/${s.app}`, durationMs: Date.now() - started, result: 'ok: DATABASE_URL restored, app restarted' });
      return s;
    } finally {
      release();
    }
  }

  /** Deletes what the migration created and no longer needs (helper pod, premigration Secret). */
  async cleanup(s: MigrationState, o: { onLine(line: string): void }): Promise<string[]> {
    if (!canCleanup(s)) throw new Error(vscode.l10n.t('Cleanup waits until the app runs on the StatefulSet (state: {0}).', s.status));
    const release = await this.claim(s, new AbortController());
    let deleted: string[];
    try {
      const env = await this.env(s, o.onLine);
      const { cleanup } = await import('../providers/postgres/migration-kube');
      deleted = await cleanup(s, env);
    } finally { release(); }
    s.status = 'cleaned';
    s.updatedAt = new Date().toISOString();
    await this.save(s);
    await this.activity.append({ what: 'Clean up database migration', cluster: s.context, target: `${s.namespace}/${s.app}`, durationMs: 0, result: `ok: deleted ${deleted.join(', ') || 'nothing'}` });
    return deleted;
  }

  dispose(): void {
    for (const ac of this.running.values()) ac.abort();
    this.changed.dispose();
  }
}

export class MigrationBusy extends Error {
  override readonly name = 'MigrationBusy';
}

/** Counts and checksums per table: what the journal records (no secret). */
export function summary(s: MigrationState): string {
  const t = s.tables ?? [];
  const rows = t.reduce((a, x) => a + x.rows, 0);
  const parts = [`${t.length} tables, ${rows} rows`];
  if (s.backup) parts.push(`backup ${s.backup.file} sha256 ${s.backup.sha256}`);
  parts.push(...t.map((x) => `${x.name} ${x.rows} rows ${x.checksum}`));
  return parts.join('; ');
}

const IGNORE_LINES = ['*', '!.gitignore'];

/**
 * homelab/backups/.gitignore ignores everything in the folder but itself: dumps hold the whole
 * database. An existing file is extended (its lines kept), written atomically.
 */
async function ensureIgnored(store: WorkspaceFileStore, uri: vscode.Uri): Promise<void> {
  const existing = await store.read(keyOf(uri)).then((b) => Buffer.from(b).toString('utf8'), () => undefined);
  const have = new Set((existing ?? '').split(/\r?\n/).map((l) => l.trim()));
  const missing = IGNORE_LINES.filter((l) => !have.has(l));
  if (!missing.length) return;
  const head = existing === undefined ? '# Homelab: database backups (whole databases) stay out of git.\n' : existing.endsWith('\n') || existing === '' ? existing : `${existing}\n`;
  await store.replace(keyOf(uri), Buffer.from(head + missing.join('\n') + '\n'));
}
