import { strict as assert } from 'node:assert';
import { CancelledError } from '../../../src/providers/cancellation';
import { MigrationPaused, MigrationStepFailed, runSteps, type StepImpl } from '../../../src/providers/postgres/migration-engine';
import {
  canCleanup, canRollback, heldByOther, MIGRATION_STEPS, newMigration, nextStep, parseState, PREMIGRATION_REF, resumable, step, stepTable,
  type MigrationState, type MigrationStepId,
} from '../../../src/providers/postgres/migration-state';

const T0 = new Date('2026-12-02T10:00:00Z');
const fresh = () => newMigration({ context: 'lab', namespace: 'hacky-stack', app: 'hacky-stack', storageClass: '', databaseImage: 'postgres:15', now: T0 });

/** Steps that record their calls; `fail` makes one throw. */
function fakeSteps(calls: string[], o: { fail?: MigrationStepId; cancel?: MigrationStepId } = {}): StepImpl {
  const impl = {} as StepImpl;
  for (const id of MIGRATION_STEPS) {
    impl[id] = async () => {
      calls.push(id);
      if (o.fail === id) throw new Error(`${id} broke`);
      if (o.cancel === id) throw new CancelledError();
      return { figures: `${id} figures` };
    };
  }
  return impl;
}

/** A save that keeps a JSON copy of every recorded state (what a reload would read back). */
function recorder() {
  const saved: MigrationState[] = [];
  return { saved, save: async (s: MigrationState) => { saved.push(JSON.parse(JSON.stringify(s))); }, last: () => saved[saved.length - 1] };
}

describe('migration step engine', () => {
  it('runs every step in order, records running before and done after each, ends switched', async () => {
    const calls: string[] = [];
    const r = recorder();
    const s = await runSteps(fresh(), fakeSteps(calls), { save: r.save, signal: new AbortController().signal, session: 'a' });
    assert.deepEqual(calls, [...MIGRATION_STEPS]);
    assert.equal(s.status, 'switched');
    assert.ok(s.steps.every((x) => x.status === 'done' && x.figures === `${x.id} figures`));
    // a step's "running" is on disk before it runs: a reload during it finds the step recorded
    const runningBackup = r.saved.find((x) => step(x, 'backup').status === 'running');
    assert.ok(runningBackup && step(runningBackup, 'preflight').status === 'done');
    assert.equal(parseState(JSON.stringify(r.last()))?.status, 'switched');
  });

  it('stops at a failed step, records its error, and a second run resumes from it (earlier steps not run again)', async () => {
    const r = recorder();
    const first: string[] = [];
    const s = fresh();
    await assert.rejects(runSteps(s, fakeSteps(first, { fail: 'restore' }), { save: r.save, signal: new AbortController().signal, session: 'a' }),
      (e: unknown) => e instanceof MigrationStepFailed && e.step === 'restore' && /restore broke/.test(e.message));
    assert.deepEqual(first, ['preflight', 'backup', 'deploy', 'restore']);
    const onDisk = parseState(JSON.stringify(r.last()))!;
    assert.equal(onDisk.status, 'failed');
    assert.equal(step(onDisk, 'restore').status, 'failed');
    assert.equal(step(onDisk, 'verify').status, 'pending');
    assert.ok(resumable(onDisk));
    assert.equal(nextStep(onDisk), 'restore');
    const second: string[] = [];
    const done = await runSteps(onDisk, fakeSteps(second), { save: r.save, signal: new AbortController().signal, session: 'b' });
    assert.deepEqual(second, ['restore', 'verify', 'switch']);
    assert.equal(done.status, 'switched');
    assert.equal(done.error, undefined);
  });

  it('stopAfter pauses between steps with the state on disk; the next run starts at the following step', async () => {
    const r = recorder();
    const calls: string[] = [];
    await assert.rejects(runSteps(fresh(), fakeSteps(calls), { save: r.save, signal: new AbortController().signal, session: 'a', stopAfter: 'deploy' }), MigrationPaused);
    const onDisk = parseState(JSON.stringify(r.last()))!;
    assert.equal(onDisk.status, 'stopped');
    assert.equal(nextStep(onDisk), 'restore');
    const more: string[] = [];
    await runSteps(onDisk, fakeSteps(more), { save: r.save, signal: new AbortController().signal, session: 'a' });
    assert.deepEqual(more, ['restore', 'verify', 'switch']);
  });

  it('a cancelled step goes back to pending (not done, not failed) and the run is stopped', async () => {
    const r = recorder();
    await assert.rejects(runSteps(fresh(), fakeSteps([], { cancel: 'backup' }), { save: r.save, signal: new AbortController().signal, session: 'a' }), CancelledError);
    assert.equal(r.last().status, 'stopped');
    assert.equal(step(r.last(), 'backup').status, 'pending');
    assert.equal(nextStep(r.last()), 'backup');
    const ac = new AbortController();
    ac.abort();
    const calls: string[] = [];
    await assert.rejects(runSteps(fresh(), fakeSteps(calls), { save: r.save, signal: ac.signal, session: 'a' }), CancelledError);
    assert.deepEqual(calls, []);
  });

  it('refuses a second run while another host holds a fresh heartbeat; a stale one may be resumed', () => {
    const s = fresh();
    s.status = 'running';
    s.owner = { session: 'other', heartbeatAt: new Date(T0.getTime() - 5_000).toISOString() };
    assert.equal(heldByOther(s, 'me', T0), true);
    assert.equal(heldByOther(s, 'other', T0), false);
    s.owner.heartbeatAt = new Date(T0.getTime() - 120_000).toISOString();
    assert.equal(heldByOther(s, 'me', T0), false, 'a host that died mid-step does not block forever');
    assert.ok(resumable(s));
    s.status = 'stopped';
    s.owner.heartbeatAt = T0.toISOString();
    assert.equal(heldByOther(s, 'me', T0), false);
  });

  it('rollback only once the switch began and saved the previous value; cleanup only when switched', () => {
    const s = fresh();
    for (const id of ['preflight', 'backup', 'deploy', 'restore', 'verify'] as const) step(s, id).status = 'done';
    assert.equal(canRollback(s), false, 'before the switch the app was never touched');
    step(s, 'switch').status = 'failed';
    assert.equal(canRollback(s), false, 'nothing saved: nothing to restore');
    s.created.push(PREMIGRATION_REF);
    assert.equal(canRollback(s), true, 'a failed switch (app not ready) can be rolled back');
    assert.equal(canCleanup(s), false);
    step(s, 'switch').status = 'done';
    s.status = 'switched';
    assert.equal(canRollback(s), true);
    assert.equal(canCleanup(s), true);
    s.status = 'rolled-back';
    assert.equal(canRollback(s), false);
    assert.equal(canCleanup(s), false);
  });

  it('parseState rejects what is not a migration state; the table shows figures and errors', () => {
    assert.equal(parseState('not json'), undefined);
    assert.equal(parseState(JSON.stringify({ version: 2 })), undefined);
    const s = fresh();
    assert.deepEqual(parseState(JSON.stringify(s)), s);
    step(s, 'preflight').status = 'failed';
    step(s, 'preflight').error = 'no StorageClass';
    const titles = Object.fromEntries(MIGRATION_STEPS.map((id) => [id, id])) as Record<MigrationStepId, string>;
    const t = stepTable(s, titles);
    assert.equal(t.length, MIGRATION_STEPS.length + 1);
    assert.match(t[1], /preflight\s+failed\s+no StorageClass/);
    assert.match(t[2], /backup\s+pending/);
  });
});
