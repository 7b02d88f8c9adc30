// The step engine of a database migration: runs the steps from the first one not done, records the
// state after every transition (through `save`), and stops at the first failure so a later run
// resumes from there. What each step does is given (migration-kube.ts in the extension, fakes in
// unit tests); the engine only knows order, recording and the stop rules.
import { CancelledError, isCancellation } from '../cancellation';
import { MIGRATION_STEPS, nextStep, step, type MigrationState, type MigrationStepId } from './migration-state';

export interface StepResult {
  /** Figures shown in the step table and recorded (no secret). */
  figures: string;
}

export type StepFn = (signal: AbortSignal) => Promise<StepResult>;
export type StepImpl = Record<MigrationStepId, StepFn>;

export interface RunOptions {
  /** Persists the state (called after every change, awaited: a step starts only once its "running" is recorded). */
  save(s: MigrationState): Promise<void>;
  signal: AbortSignal;
  now?(): Date;
  /** Ends the run (status 'stopped') once this step is done: tests stop a migration between steps. */
  stopAfter?: MigrationStepId;
  /** Heartbeat owner of this run. */
  session: string;
}

/** A run stopped on purpose between two steps (`stopAfter`). */
export class MigrationPaused extends Error {
  override readonly name = 'MigrationPaused';
  constructor(readonly after: MigrationStepId) { super(`stopped after the ${after} step`); }
}

/** A step failed: the message says which and why; the state records it. */
export class MigrationStepFailed extends Error {
  override readonly name = 'MigrationStepFailed';
  constructor(readonly step: MigrationStepId, readonly reason: string, override readonly cause?: unknown) { super(reason); }
}

/**
 * Runs the remaining steps in order. Resolves with the state once every step is done (status
 * 'switched'); throws MigrationStepFailed (status 'failed'), MigrationPaused or CancelledError
 * (status 'stopped') otherwise. A failed or interrupted step is run again by the next run.
 */
export async function runSteps(s: MigrationState, impl: StepImpl, o: RunOptions): Promise<MigrationState> {
  const now = o.now ?? (() => new Date());
  const touch = async () => {
    const at = now().toISOString();
    s.updatedAt = at;
    if (s.status === 'running') s.owner = { session: o.session, heartbeatAt: at };
    await o.save(s);
  };
  for (let id = nextStep(s); id !== undefined; id = nextStep(s)) {
    if (o.signal.aborted) {
      s.status = 'stopped';
      await touch();
      throw new CancelledError();
    }
    const st = step(s, id);
    st.status = 'running';
    st.startedAt = now().toISOString();
    delete st.endedAt;
    delete st.error;
    s.status = 'running';
    delete s.error;
    await touch();
    try {
      const r = await impl[id](o.signal);
      st.status = 'done';
      st.figures = r.figures;
      st.endedAt = now().toISOString();
    } catch (e) {
      st.endedAt = now().toISOString();
      if (isCancellation(e)) {
        // An interrupted step is not done: the next run does it again from its start.
        st.status = 'pending';
        s.status = 'stopped';
        await touch();
        throw e;
      }
      const reason = e instanceof Error ? e.message : String(e);
      st.status = 'failed';
      st.error = reason;
      s.status = 'failed';
      s.error = reason;
      await touch();
      throw new MigrationStepFailed(id, reason, e);
    }
    if (nextStep(s) === undefined) s.status = 'switched';
    await touch();
    if (o.stopAfter === id && nextStep(s) !== undefined) {
      s.status = 'stopped';
      await touch();
      throw new MigrationPaused(id);
    }
  }
  return s;
}

/** Whether the steps before `id` are done (a step's precondition: resume never skips one). */
export function stepsBeforeDone(s: MigrationState, id: MigrationStepId): boolean {
  return MIGRATION_STEPS.slice(0, MIGRATION_STEPS.indexOf(id)).every((x) => step(s, x).status === 'done');
}
