// Migrate Database to StatefulSet (+ its rollback and cleanup): the questions, the terminal with the
// step table, the cancellable progress and the offers (resume, roll back, clean up). The work and
// its recorded state belong to services/migrations.ts.
import * as vscode from 'vscode';
import { CancelledError } from '../../providers/cancellation';
import { MigrationPaused, MigrationStepFailed } from '../../providers/postgres/migration-engine';
import {
  canCleanup, canRollback, HELPER_POD, MIGRATION_STEPS, nextStep, PREMIGRATION_SECRET, resumable, step, stepTable,
  type MigrationState, type MigrationStepId,
} from '../../providers/postgres/migration-state';
import type { KubernetesSession } from '../../services/kubernetes';
import { checkLabel, Migrations, type MigrationKey } from '../../services/migrations';
import type { Terminals } from '../../services/terminals';
import { DeployTerminal } from '../../views/terminals/deploy-terminal';
import type { Prompts } from '../prompts';
import type { CommandRegistry } from '../registry';
import { runWizard } from '../wizard';

export interface MigrateDeps {
  registry: CommandRegistry;
  prompts: Prompts;
  log: vscode.LogOutputChannel;
  terminals: Terminals;
  kubernetes: KubernetesSession;
  migrations: Migrations;
}

export const DEFAULT_APP = 'hacky-stack';
export const DEFAULT_DATABASE_IMAGE = 'postgres:15';

function titles(): Record<MigrationStepId, string> {
  return {
    preflight: vscode.l10n.t('Preflight'), backup: vscode.l10n.t('Backup'), deploy: vscode.l10n.t('Deploy StatefulSet'),
    restore: vscode.l10n.t('Restore'), verify: vscode.l10n.t('Verify'), switch: vscode.l10n.t('Switch app'),
  };
}

/** The application an item of the Kubernetes tree names (app-tree's Application element), if any. */
function keyOfArg(arg: unknown): Partial<MigrationKey> {
  const raw = (arg ?? {}) as { application?: unknown };
  // An Application element may carry the application as a nested object (app-tree's model).
  const a = (raw.application && typeof raw.application === 'object' ? { ...raw, ...raw.application } : raw) as { context?: unknown; namespace?: unknown; app?: unknown; name?: unknown };
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return { context: str(a.context), namespace: str(a.namespace), app: str(a.app) ?? str(a.name) };
}

interface Answers extends Partial<MigrationKey> { storageClass: string; databaseImage: string }

async function ask(deps: MigrateDeps, given: Partial<MigrationKey>): Promise<Answers> {
  const { prompts } = deps;
  const st: Answers = { ...given, storageClass: '', databaseImage: DEFAULT_DATABASE_IMAGE };
  const cfg = await deps.kubernetes.kubeconfig();
  const fromTree = !!(given.context && given.namespace && given.app);
  const title = vscode.l10n.t('Migrate Database to StatefulSet');
  await runWizard(st, [
    async (s, at) => {
      if (fromTree) return 'skip';
      const items = cfg.contexts.map((c) => ({ label: c.name, description: c.name === cfg.currentContext ? vscode.l10n.t('current') : undefined }));
      if (!items.length) throw new Error(vscode.l10n.t('No Kubernetes context: add a kubeconfig first.'));
      [{ label: s.context }] = await prompts.pickStep(items, { title: vscode.l10n.t('{0}: context', title) }, at);
    },
    async (s, at) => {
      if (fromTree) return 'skip';
      s.namespace = await prompts.inputStep({ title: vscode.l10n.t('{0}: namespace of the application', title), value: s.namespace ?? DEFAULT_APP, validateInput: (v) => checkLabel('Namespace', v) }, at);
    },
    async (s, at) => {
      if (fromTree) return 'skip';
      s.app = await prompts.inputStep({ title: vscode.l10n.t('{0}: application', title), value: s.app ?? DEFAULT_APP, validateInput: (v) => checkLabel('Application', v) }, at);
    },
    async (s, at) => {
      const client = await deps.kubernetes.client(s.context!);
      const list = await client.request<{ items: Array<{ metadata: { name: string; annotations?: Record<string, string> }; provisioner?: string }> }>('GET', '/apis/storage.k8s.io/v1/storageclasses').catch(() => ({ items: [] }));
      const isDefault = (a?: Record<string, string>) => a?.['storageclass.kubernetes.io/is-default-class'] === 'true';
      const items = [
        { label: vscode.l10n.t('Default StorageClass'), id: '', description: list.items.find((c) => isDefault(c.metadata.annotations))?.metadata.name ?? vscode.l10n.t('none is marked default') },
        ...list.items.map((c) => ({ label: c.metadata.name, id: c.metadata.name, description: c.provisioner })),
      ];
      [{ id: s.storageClass }] = await prompts.pickStep(items, { title: vscode.l10n.t('{0}: StorageClass of the database volume', title) }, at);
    },
    async (s, at) => {
      s.databaseImage = await prompts.inputStep({
        title: vscode.l10n.t('{0}: database image', title), value: s.databaseImage,
        validateInput: (v) => (/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(v) ? undefined : vscode.l10n.t('An image reference such as postgres:15.')),
      }, at);
    },
    async (s, at) => {
      await prompts.summaryStep(vscode.l10n.t('Migrate the database of {0} (namespace {1}) into a StatefulSet?', s.app!, s.namespace!), [
        { label: vscode.l10n.t('Context'), value: s.context!, step: fromTree ? undefined : 0 },
        { label: vscode.l10n.t('Namespace'), value: s.namespace!, step: fromTree ? undefined : 1 },
        { label: vscode.l10n.t('Application'), value: s.app!, step: fromTree ? undefined : 2 },
        { label: vscode.l10n.t('StorageClass'), value: s.storageClass || vscode.l10n.t('the default class'), step: 3 },
        { label: vscode.l10n.t('Database image'), value: s.databaseImage, step: 4 },
        { label: vscode.l10n.t('Steps'), value: MIGRATION_STEPS.map((id) => titles()[id]).join(' → ') },
      ], vscode.l10n.t('Migrate'), at);
    },
  ]);
  return st;
}

/** One terminal per run: the step table on top, detail lines below (never a secret). */
function openTerminal(deps: MigrateDeps, s: MigrationState): { pty: DeployTerminal<{ state: string }>; update(x: MigrationState): void } {
  let current = s;
  const pty = new DeployTerminal<{ state: string }>(vscode.l10n.t('Migrate {0}', s.app), vscode.l10n.t('Database of {0} (namespace {1}, context {2}) → StatefulSet', s.app, s.namespace, s.context), () => stepTable(current, titles()));
  const update = (x: MigrationState) => { current = x; pty.setProgress(x.steps.map((st) => ({ state: st.status }))); };
  update(s);
  const { terminal } = deps.terminals.create('task', pty, new vscode.ThemeIcon('database'));
  terminal.show(true);
  return { pty, update };
}

function withProgress<T>(title: string, pty: DeployTerminal<{ state: string }>, work: (signal: AbortSignal, report: (m: string) => void) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const ac = new AbortController();
    const subs = [token.onCancellationRequested(() => ac.abort()), pty.onInterrupt(() => ac.abort())];
    try {
      return await work(ac.signal, (m) => progress.report({ message: m }));
    } finally {
      subs.forEach((d) => d.dispose());
    }
  });
}

async function migrate(deps: MigrateDeps, arg: unknown): Promise<MigrationState | undefined> {
  const { prompts, migrations } = deps;
  const given = keyOfArg(arg);
  let state: MigrationState | undefined;
  if (given.context && given.namespace && given.app) {
    await migrations.refuseIfRunning(given as MigrationKey);
    state = await migrations.state(given as MigrationKey);
  } else {
    // From the palette: a stopped migration (a failure, a cancel, a reloaded window) is offered first.
    const open = (await migrations.list()).filter((x) => resumable(x) && !migrations.isRunning(x));
    if (open.length) {
      const items = [
        ...open.map((x) => ({ label: vscode.l10n.t('Resume {0}/{1} from "{2}"', x.namespace, x.app, titles()[nextStep(x)!]), description: `${x.context} · ${x.status}`, state: x as MigrationState | undefined })),
        { label: vscode.l10n.t('New migration…'), description: '', state: undefined },
      ];
      const picked = await prompts.pick(items, { title: vscode.l10n.t('Migrate Database to StatefulSet') });
      if (picked.state) {
        await migrations.refuseIfRunning(picked.state);
        return run(deps, picked.state);
      }
    }
  }
  if (state && state.status === 'switched') {
    const clean = vscode.l10n.t('Clean Up…');
    const back = vscode.l10n.t('Roll Back…');
    const choice = await prompts.confirm(vscode.l10n.t('The database of {0} already runs in the StatefulSet.', state.app), vscode.l10n.t('Roll back to the previous database, or clean up what the migration left (helper pod, saved Secret).'), clean, back);
    return choice === clean ? cleanupCmd(deps, state) : rollbackCmd(deps, state);
  }
  if (state && resumable(state)) {
    const next = nextStep(state)!;
    const resume = vscode.l10n.t('Resume');
    const over = vscode.l10n.t('Start Over');
    const switchBegun = step(state, 'switch').status !== 'pending';
    const choice = await prompts.confirm(
      vscode.l10n.t('A migration of {0} stopped at step "{1}" ({2}). Resume from there?', state.app, titles()[next], state.status),
      [state.error ? vscode.l10n.t('Last error: {0}', state.error) : '', switchBegun ? vscode.l10n.t('The app was already switched: resume, or roll back with "Roll Back Database Migration".') : vscode.l10n.t('Start Over runs every step again; the app was not touched.')].filter(Boolean).join('\n'),
      ...(switchBegun ? [resume] : [resume, over]),
    );
    if (choice === over) state = undefined;
  } else if (state && state.status !== 'rolled-back' && state.status !== 'cleaned') {
    state = undefined;
  } else state = undefined;
  if (!state) {
    const a = await ask(deps, given);
    const k = { context: a.context!, namespace: a.namespace!, app: a.app! };
    await migrations.refuseIfRunning(k);
    const old = await migrations.state(k);
    if (old && step(old, 'switch').status !== 'pending' && old.status !== 'rolled-back' && old.status !== 'cleaned') {
      throw new Error(vscode.l10n.t('The app {0} was already switched by an earlier migration (state: {1}): roll it back or clean it up first.', k.app, old.status));
    }
    state = migrations.fresh(k, { storageClass: a.storageClass, databaseImage: a.databaseImage });
    // Objects an earlier (rolled back) migration of this app created are still Homelab's to reuse.
    if (old) state.created = [...old.created];
  }
  return run(deps, state);
}

async function run(deps: MigrateDeps, s: MigrationState): Promise<MigrationState> {
  const { pty, update } = openTerminal(deps, s);
  try {
    const done = await withProgress(vscode.l10n.t('Migrating the database of {0}…', s.app), pty, (signal, report) => deps.migrations.run(s, {
      signal,
      onLine: (l) => pty.line(l),
      onState: (x) => { update(x); const r = x.steps.find((st) => st.status === 'running'); if (r) report(titles()[r.id]); },
    }));
    pty.finish(vscode.l10n.t('Migration done: {0} now uses the StatefulSet. The source database was not changed.', s.app));
    const clean = vscode.l10n.t('Clean Up…');
    const back = vscode.l10n.t('Roll Back…');
    void vscode.window.showInformationMessage(vscode.l10n.t('The database of {0} now runs in StatefulSet {0}-postgres.', s.app), clean, back).then((c) => {
      if (c === clean) void vscode.commands.executeCommand('homelab.kubernetes.cleanupDatabaseMigration', s);
      if (c === back) void vscode.commands.executeCommand('homelab.kubernetes.rollbackDatabaseMigration', s);
    });
    return done;
  } catch (e) {
    pty.flush();
    if (e instanceof MigrationPaused) { pty.finish(vscode.l10n.t('Stopped after step "{0}": run the command again to resume.', titles()[e.after])); return s; }
    if (e instanceof CancelledError || (e as Error).name === 'AbortError') { pty.finish(vscode.l10n.t('Cancelled: run the command again to resume from the recorded step.')); throw e; }
    const failedStep = e instanceof MigrationStepFailed ? e.step : undefined;
    pty.line(vscode.l10n.t('Failed{0}: {1}', failedStep ? ` (${titles()[failedStep]})` : '', (e as Error).message));
    if (canRollback(s)) {
      const back = vscode.l10n.t('Roll Back');
      pty.flush();
      let choice: string | undefined;
      try {
        choice = await deps.prompts.confirm(vscode.l10n.t('The switch of {0} failed: {1}', s.app, (e as Error).message),
          vscode.l10n.t('Roll Back sets DATABASE_URL in Secret {0}-secrets back to the saved value and restarts the app. The source database was never written to.', s.app), back);
      } catch (err) { if (!(err instanceof CancelledError)) throw err; }
      if (choice === back) {
        await rollbackIn(deps, s, pty);
        return s;
      }
    }
    pty.finish(vscode.l10n.t('Stopped. Run the command again to resume from step "{0}".', titles()[nextStep(s) ?? 'switch']));
    throw e;
  }
}

async function rollbackIn(deps: MigrateDeps, s: MigrationState, pty: DeployTerminal<{ state: string }>): Promise<void> {
  pty.line(vscode.l10n.t('— rolling back —'));
  await withProgress(vscode.l10n.t('Rolling back the database of {0}…', s.app), pty, (signal) => deps.migrations.rollback(s, { signal, onLine: (l) => pty.line(l) }));
  pty.finish(vscode.l10n.t('Rolled back: {0} uses its previous database again.', s.app));
  void vscode.window.showInformationMessage(vscode.l10n.t('{0} uses its previous database again (rolled back).', s.app));
}

/** The migration a rollback/cleanup command acts on: its argument (a state, or a tree item), else a pick. */
async function chooseState(deps: MigrateDeps, arg: unknown, ok: (s: MigrationState) => boolean, none: string): Promise<MigrationState> {
  const a = arg as MigrationState | undefined;
  const k = keyOfArg(arg);
  if (a?.version === 1 || (k.context && k.namespace && k.app)) {
    const s = await deps.migrations.state({ context: (a?.context ?? k.context)!, namespace: (a?.namespace ?? k.namespace)!, app: (a?.app ?? k.app)! });
    if (!s || !ok(s)) throw new Error(none);
    return s;
  }
  const all = (await deps.migrations.list()).filter(ok);
  if (!all.length) throw new Error(none);
  if (all.length === 1) return all[0];
  const picked = await deps.prompts.pick(all.map((s) => ({ label: `${s.namespace}/${s.app}`, description: `${s.context} · ${s.status}`, s })), { title: vscode.l10n.t('Which migration?') });
  return picked.s;
}

async function rollbackCmd(deps: MigrateDeps, arg: unknown): Promise<MigrationState> {
  const s = await chooseState(deps, arg, canRollback, vscode.l10n.t('No database migration to roll back: only a switched app can be rolled back.'));
  const back = vscode.l10n.t('Roll Back');
  await deps.prompts.confirm(vscode.l10n.t('Roll back the database migration of {0} (namespace {1})?', s.app, s.namespace),
    vscode.l10n.t('DATABASE_URL in Secret {0}-secrets goes back to the value saved in {1}, and the app restarts. The StatefulSet and its data stay until you delete them.', s.app, PREMIGRATION_SECRET), back);
  const { pty } = openTerminal(deps, s);
  await rollbackIn(deps, s, pty);
  return s;
}

async function cleanupCmd(deps: MigrateDeps, arg: unknown): Promise<MigrationState> {
  const s = await chooseState(deps, arg, canCleanup, vscode.l10n.t('No database migration to clean up: cleanup follows a finished migration.'));
  const del = vscode.l10n.t('Delete');
  const src = s.source ? `${s.source.host}:${s.source.port}/${s.source.database}` : vscode.l10n.t('the source database');
  await deps.prompts.confirm(
    vscode.l10n.t('Delete pod {0} and Secret {1} in namespace {2}?', HELPER_POD, PREMIGRATION_SECRET, s.namespace),
    vscode.l10n.t('Only objects Homelab created (label app.kubernetes.io/managed-by=homelab) are deleted. Afterwards the migration cannot be rolled back. {0} is not deleted: Homelab did not create it; remove it yourself when you no longer need it.', src),
    del,
  );
  const deleted = await deps.migrations.cleanup(s, { onLine: (l) => deps.log.info(l) });
  void vscode.window.showInformationMessage(vscode.l10n.t('Cleaned up the migration of {0}: {1}.', s.app, deleted.join(', ') || vscode.l10n.t('nothing left to delete')));
  return s;
}

export function registerDatabaseMigrationCommands(deps: MigrateDeps): void {
  deps.registry.register('homelab.kubernetes.migrateDatabase', (arg?: unknown) => migrate(deps, arg));
  deps.registry.register('homelab.kubernetes.rollbackDatabaseMigration', (arg?: unknown) => rollbackCmd(deps, arg));
  deps.registry.register('homelab.kubernetes.cleanupDatabaseMigration', (arg?: unknown) => cleanupCmd(deps, arg));
}
