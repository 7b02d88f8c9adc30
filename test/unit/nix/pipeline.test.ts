import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PipelineError, nodeJsonFileStore, pipelineRows, resumeInfo, runPipeline, type PipelineState, type PipelineStep, type PipelineStore,
} from '../../../src/providers/nix';

interface In { n: number }

function memStore(): PipelineStore & { saves: PipelineState[]; current?: PipelineState } {
  const s = {
    saves: [] as PipelineState[],
    current: undefined as PipelineState | undefined,
    async load() { return s.current && structuredClone(s.current); },
    async save(st: PipelineState) { s.current = structuredClone(st); s.saves.push(s.current); },
  };
  return s;
}

/** Four steps; each counts its runs; `failAt` makes that step throw (after recording a resource). */
function makeSteps(runs: Record<string, number>, ctl: { failAt?: string; hangAt?: string }) {
  const ids = ['a', 'b', 'c', 'd'];
  return ids.map((id, k): PipelineStep<In> => ({
    id, title: `Step ${id.toUpperCase()}`,
    async run(ctx) {
      runs[id] = (runs[id] ?? 0) + 1;
      const prev = k ? Number(ctx.results[ids[k - 1]].value) : ctx.inputs.n;
      if (id === 'b') await ctx.created({ kind: 'vm', id: String(100 + runs[id]), description: `VM ${100 + runs[id]}` });
      if (ctl.failAt === id) throw new Error(`boom in ${id}`);
      if (ctl.hangAt === id) await new Promise((_r, rej) => ctx.signal.addEventListener('abort', () => rej(ctx.signal.reason)));
      ctx.log(`${id} ok`);
      return { value: prev * 2 };
    },
  }));
}

describe('nix: pipeline engine', () => {
  it('runs the steps in order, passes results along and persists after each step', async () => {
    const store = memStore();
    const runs: Record<string, number> = {};
    const logs: string[] = [];
    const st = await runPipeline(makeSteps(runs, {}), { pipeline: 'p', store, inputs: { n: 1 }, onLog: (l) => logs.push(l) });
    assert.equal(st.status, 'done');
    assert.deepEqual(st.steps.map((s) => [s.id, s.status, s.result?.value]), [['a', 'done', 2], ['b', 'done', 4], ['c', 'done', 8], ['d', 'done', 16]]);
    assert.ok(st.steps.every((s) => typeof s.durationMs === 'number' && s.attempts === 1));
    assert.ok(store.saves.length >= 9, 'saved at the start and before/after each step');
    assert.ok(logs.includes('b ok'));
    assert.equal((await resumeInfo(store, 'p', makeSteps({}, {}))).resumable, false, 'a finished run is not resumable');
  });

  for (const failAt of ['a', 'b', 'c', 'd']) {
    it(`a failure at step ${failAt} names the step, lists what was made, and a resume runs only what is left`, async () => {
      const store = memStore();
      const runs: Record<string, number> = {};
      const ctl: { failAt?: string } = { failAt };
      await assert.rejects(runPipeline(makeSteps(runs, ctl), { pipeline: 'p', store, inputs: { n: 3 } }), (e: unknown) => {
        assert.ok(e instanceof PipelineError);
        assert.equal(e.stepId, failAt);
        assert.match(e.message, new RegExp(`Step "Step ${failAt.toUpperCase()}" failed: boom in ${failAt}`));
        assert.match(e.message, /Run the command again to resume/);
        if (failAt >= 'b') assert.deepEqual(e.created.map((c) => c.id), ['101']);
        return true;
      });
      assert.equal(store.current!.status, 'failed');
      assert.equal(store.current!.failedStep, failAt);
      const info = await resumeInfo(store, 'p', makeSteps({}, {}));
      assert.equal(info.resumable, true);
      assert.equal(info.nextStep!.id, failAt);
      ctl.failAt = undefined;
      const st = await runPipeline(makeSteps(runs, ctl), { pipeline: 'p', store, inputs: { n: 3 }, resume: true });
      assert.equal(st.status, 'done');
      assert.equal(st.steps.at(-1)!.result!.value, 48, 'results of completed steps were reused');
      for (const id of ['a', 'b', 'c', 'd']) assert.equal(runs[id], id === failAt ? 2 : 1, `step ${id} ran ${runs[id]} times`);
      assert.equal(st.steps.find((s) => s.id === failAt)!.attempts, 2);
      // Nothing deleted: a VM made by a failed attempt of b stays listed.
      if (failAt === 'b') assert.deepEqual(st.created.map((c) => c.id), ['101', '102']);
    });
  }

  it('cancellation stops the running step, marks it cancelled, and can be resumed', async () => {
    const store = memStore();
    const runs: Record<string, number> = {};
    const ac = new AbortController();
    const ctl: { hangAt?: string } = { hangAt: 'c' };
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(runPipeline(makeSteps(runs, ctl), { pipeline: 'p', store, inputs: { n: 1 }, signal: ac.signal }), (e: unknown) => {
      assert.ok(e instanceof PipelineError && e.cancelled && e.stepId === 'c');
      assert.match((e as Error).message, /was cancelled/);
      return true;
    });
    assert.equal(store.current!.status, 'cancelled');
    assert.equal(store.current!.steps[2].status, 'cancelled');
    ctl.hangAt = undefined;
    const st = await runPipeline(makeSteps(runs, ctl), { pipeline: 'p', store, inputs: { n: 1 }, resume: true });
    assert.equal(st.status, 'done');
    assert.equal(runs.a, 1);
  });

  it('a fresh start after a failed run keeps its resources listed as leftovers', async () => {
    const store = memStore();
    await runPipeline(makeSteps({}, { failAt: 'c' }), { pipeline: 'p', store, inputs: { n: 1 } }).catch(() => undefined);
    const st = await runPipeline(makeSteps({}, {}), { pipeline: 'p', store, inputs: { n: 1 } });
    assert.deepEqual(st.leftovers?.map((c) => c.id), ['101']);
    assert.deepEqual(st.created.map((c) => c.id), ['101']);
  });

  it('a different step list or pipeline name is not resumable', async () => {
    const store = memStore();
    await runPipeline(makeSteps({}, { failAt: 'b' }), { pipeline: 'p', store, inputs: { n: 1 } }).catch(() => undefined);
    assert.equal((await resumeInfo(store, 'other', makeSteps({}, {}))).resumable, false);
    assert.equal((await resumeInfo(store, 'p', makeSteps({}, {}).slice(1))).resumable, false);
  });

  it('JSON file store: round trip, and a damaged file means start afresh', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipe-store-'));
    try {
      const file = join(dir, 'homelab', 'pipeline', 'x.json');
      const store = nodeJsonFileStore(file);
      assert.equal(await store.load(), undefined);
      await runPipeline(makeSteps({}, { failAt: 'b' }), { pipeline: 'p', store, inputs: { n: 1 } }).catch(() => undefined);
      const saved = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(saved.failedStep, 'b');
      assert.equal((await resumeInfo(store, 'p', makeSteps({}, {}))).nextStep!.id, 'b');
      writeFileSync(file, '{"version":1,"steps":[');
      assert.equal(await store.load(), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pipelineRows: state and duration per step for the view', () => {
    const steps = [{ id: 'a', title: 'A' }, { id: 'b', title: 'B' }, { id: 'c', title: 'C' }];
    const state = {
      steps: [
        { id: 'a', title: 'A', status: 'done', durationMs: 125_000, attempts: 1 },
        { id: 'b', title: 'B', status: 'failed', durationMs: 3000, error: 'nope', attempts: 1 },
      ],
    } as unknown as PipelineState;
    assert.deepEqual(pipelineRows(state, steps), [
      { id: 'a', title: 'A', status: 'done', duration: '2 min 5 s' },
      { id: 'b', title: 'B', status: 'failed', duration: '3 s', detail: 'nope' },
      { id: 'c', title: 'C', status: 'pending', duration: '' },
    ]);
  });
});
