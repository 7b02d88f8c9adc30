// The state of one database migration (external PostgreSQL -> the kit's StatefulSet) and the rules
// of what may happen next. Plain data, no vscode, no secret: it is written after every step (the
// workspace's homelab/migrations/<namespace>.<app>.json) so a reloaded window resumes where the
// last run stopped, and the db_migration_status operation reads it.

export const MIGRATION_STEPS = ['preflight', 'backup', 'deploy', 'restore', 'verify', 'switch'] as const;
export type MigrationStepId = (typeof MIGRATION_STEPS)[number];
export type StepStatus = 'pending' | 'running' | 'done' | 'failed';

export interface StepRecord {
  id: MigrationStepId;
  status: StepStatus;
  /** What the step measured: sizes, counts, checksums, object names (never a password or URL with one). */
  figures?: string;
  error?: string;
  startedAt?: string;
  endedAt?: string;
}

/**
 * running: a step is under way (or the host died during one: then `owner` is stale).
 * stopped: cancelled or paused between steps; failed: a step failed (resume re-runs it).
 * switched: the app uses the StatefulSet; rolled-back: the app uses the source again; cleaned: done and tidied.
 */
export type MigrationStatus = 'running' | 'stopped' | 'failed' | 'switched' | 'rolled-back' | 'cleaned';

export interface TableFigure { name: string; rows: number; checksum: string }

export interface MigrationState {
  version: 1;
  context: string;
  namespace: string;
  app: string;
  status: MigrationStatus;
  startedAt: string;
  updatedAt: string;
  /** Which extension host runs it and when it last said so (a second run is refused while this is fresh). */
  owner?: { session: string; heartbeatAt: string };
  steps: StepRecord[];
  /** The StorageClass the volume claim asks for ('' = the cluster's default, resolved at preflight). */
  storageClass: string;
  databaseImage: string;
  /** The source without its password (host, port, database, user): what the report names. */
  source?: { host: string; port: number; database: string; user: string };
  /** Workspace-relative path of the good backup, its size and SHA-256. */
  backup?: { file: string; bytes: number; sha256: string };
  /** Per table: rows and checksum as verified on both sides. */
  tables?: TableFigure[];
  /** Objects this migration created (`<plural>/<name>`); cleanup deletes only these. */
  created: string[];
  /** Why the last run stopped (a failed step's message, or the rollback's reason). */
  error?: string;
  rolledBackAt?: string;
}

export function newMigration(o: { context: string; namespace: string; app: string; storageClass: string; databaseImage: string; now: Date }): MigrationState {
  const at = o.now.toISOString();
  return {
    version: 1, context: o.context, namespace: o.namespace, app: o.app, status: 'stopped', startedAt: at, updatedAt: at,
    steps: MIGRATION_STEPS.map((id) => ({ id, status: 'pending' })), storageClass: o.storageClass, databaseImage: o.databaseImage, created: [],
  };
}

/** The first step not done, or undefined when every step is done. */
export function nextStep(s: MigrationState): MigrationStepId | undefined {
  return s.steps.find((st) => st.status !== 'done')?.id;
}

export function step(s: MigrationState, id: MigrationStepId): StepRecord {
  const r = s.steps.find((st) => st.id === id);
  if (!r) throw new Error(`unknown migration step ${id}`);
  return r;
}

/** How long an owner's heartbeat counts as alive: a host writes one every few seconds while it runs. */
export const OWNER_STALE_MS = 30_000;

/** Whether another run holds this migration right now (a fresh heartbeat of another host). */
export function heldByOther(s: MigrationState, session: string, now: Date): boolean {
  if (s.status !== 'running' || !s.owner || s.owner.session === session) return false;
  return now.getTime() - Date.parse(s.owner.heartbeatAt) < OWNER_STALE_MS;
}

/** A run can go on from the recorded step: stopped, failed, or running in a host that is gone. */
export function resumable(s: MigrationState): boolean {
  return (s.status === 'stopped' || s.status === 'failed' || s.status === 'running') && nextStep(s) !== undefined;
}

/**
 * Rollback exists once the switch has begun: the app Secret's previous DATABASE_URL is then saved
 * in the premigration Secret (the switch saves it before patching anything). Before that, the app
 * was never touched and there is nothing to roll back.
 */
export function canRollback(s: MigrationState): boolean {
  const sw = step(s, 'switch');
  return sw.status !== 'pending' && s.created.includes(PREMIGRATION_REF) && s.status !== 'rolled-back' && s.status !== 'cleaned';
}

/** Cleanup only once the app runs on the StatefulSet (every step done, not rolled back). */
export function canCleanup(s: MigrationState): boolean {
  return s.status === 'switched' && nextStep(s) === undefined;
}

export const HELPER_POD = 'hacky-stack-db-migrate';
export const PREMIGRATION_SECRET = 'hacky-stack-secrets-premigration';
export const PREMIGRATION_REF = `secrets/${PREMIGRATION_SECRET}`;
export const HELPER_POD_REF = `pods/${HELPER_POD}`;
/** The label of everything Homelab created: cleanup deletes nothing without it. */
export const MANAGED_BY = { key: 'app.kubernetes.io/managed-by', value: 'homelab' } as const;

/** The state file's name for one app (both parts validated as DNS-1123 labels before). */
export function stateFileName(namespace: string, app: string): string {
  return `${namespace}.${app}.json`;
}

export const MIGRATIONS_FOLDER = 'homelab/migrations';
export const BACKUPS_FOLDER = 'homelab/backups';

/** Reads a state file's text; undefined for anything that is not a migration state of this version. */
export function parseState(text: string): MigrationState | undefined {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return undefined; }
  const s = v as MigrationState;
  if (!s || s.version !== 1 || typeof s.app !== 'string' || typeof s.namespace !== 'string' || !Array.isArray(s.steps)) return undefined;
  if (s.steps.length !== MIGRATION_STEPS.length || s.steps.some((st, i) => st.id !== MIGRATION_STEPS[i])) return undefined;
  return s;
}

/** One line per step, for the terminal's table, the log and the status operation. */
export function stepTable(s: MigrationState, titles: Record<MigrationStepId, string>): string[] {
  const w = Math.max(...MIGRATION_STEPS.map((id) => titles[id].length), 4);
  const head = `${'STEP'.padEnd(w)}  ${'STATE'.padEnd(8)}  FIGURES`;
  return [head, ...s.steps.map((st) => `${titles[st.id].padEnd(w)}  ${st.status.padEnd(8)}  ${st.status === 'failed' ? st.error ?? '' : st.figures ?? ''}`.trimEnd())];
}

/** Every migration state recorded in a workspace folder (plain Node: the MCP server reads it too). */
export async function readMigrationStates(workspace: string): Promise<MigrationState[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const dir = join(workspace, ...MIGRATIONS_FOLDER.split('/'));
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: MigrationState[] = [];
  for (const n of names.filter((x) => x.endsWith('.json')).sort()) {
    const s = parseState(await readFile(join(dir, n), 'utf8').catch(() => ''));
    if (s) out.push(s);
  }
  return out;
}
