// The pipeline engine: ordered steps whose results are persisted after each one (JSON, through an
// injected store), so a second run resumes after the last completed step. A failure names its step
// and keeps the list of what was created for cleanup; nothing is ever deleted by the engine.
// Cancellation is an AbortSignal; a cancelled run resumes like a failed one.

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';
export type RunStatus = 'running' | 'done' | 'failed' | 'cancelled';

export interface StepState {
  id: string;
  title: string;
  status: StepStatus;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  /** What the step produced (JSON), read by later steps through ctx.results. */
  result?: Record<string, unknown>;
  error?: string;
  /** How many times it was started (1 unless resumed after failing here). */
  attempts: number;
}

/** Something a step made that a failed run may leave behind. */
export interface CreatedResource {
  kind: 'local-file' | 'remote-file' | 'volume' | 'vm';
  /** Path, volid or vmid. */
  id: string;
  node?: string;
  description: string;
  stepId: string;
  /** A token the resource carries (a VM's description), to recognise it as ours on resume. */
  marker?: string;
}

export interface PipelineState {
  version: 1;
  pipeline: string;
  runId: string;
  status: RunStatus;
  startedAt: string;
  updatedAt: string;
  inputs: Record<string, unknown>;
  steps: StepState[];
  created: CreatedResource[];
  failedStep?: string;
  error?: string;
  /** Resources of an earlier run that was not resumed: still listed, never deleted by us. */
  leftovers?: CreatedResource[];
}

export interface PipelineStore {
  load(): Promise<PipelineState | undefined>;
  save(state: PipelineState): Promise<void>;
}

export interface StepContext<I> {
  inputs: I;
  /** Results of the steps before this one (by step id). */
  results: Record<string, Record<string, unknown>>;
  /** The resources this step recorded in a failed earlier attempt (to reuse or avoid them). */
  previous: CreatedResource[];
  signal: AbortSignal;
  log(line: string): void;
  /** Records a resource as created; persisted at once, before the step goes on. */
  created(r: Omit<CreatedResource, 'stepId'>): Promise<void>;
}

export interface PipelineStep<I> {
  id: string;
  title: string;
  run(ctx: StepContext<I>): Promise<Record<string, unknown> | void>;
}

export class PipelineError extends Error {
  override name = 'PipelineError';
  constructor(
    readonly stepId: string,
    readonly stepTitle: string,
    readonly cancelled: boolean,
    /** What exists now because of this run (for the cleanup list). */
    readonly created: CreatedResource[],
    override readonly cause?: unknown,
  ) {
    const why = cancelled ? 'was cancelled' : `failed: ${(cause as Error)?.message ?? String(cause)}`;
    const left = created.length ? ` Left for you to clean up or reuse: ${created.map((c) => c.description).join('; ')}.` : '';
    super(`Step "${stepTitle}" ${why}.${left} Run the command again to resume from this step.`);
  }
}

export interface ResumeInfo {
  /** True when a resumable earlier run exists (failed, cancelled or interrupted, same steps). */
  resumable: boolean;
  /** Step the resume starts with. */
  nextStep?: { id: string; title: string };
  completed: string[];
  previous?: PipelineState;
}

/** What a second run would do: offer "resume after <last completed step>" when this says so. */
export async function resumeInfo<I>(store: PipelineStore, pipeline: string, steps: readonly PipelineStep<I>[]): Promise<ResumeInfo> {
  const prev = await store.load().catch(() => undefined);
  if (!prev || prev.pipeline !== pipeline || prev.status === 'done') return { resumable: false, completed: [], previous: prev };
  const sameSteps = prev.steps.length === steps.length && prev.steps.every((s, i) => s.id === steps[i].id);
  if (!sameSteps) return { resumable: false, completed: [], previous: prev };
  const completed = prev.steps.filter((s) => s.status === 'done').map((s) => s.id);
  const next = prev.steps.find((s) => s.status !== 'done');
  return { resumable: !!next, nextStep: next && { id: next.id, title: next.title }, completed, previous: prev };
}

export interface RunOptions<I> {
  pipeline: string;
  store: PipelineStore;
  inputs: I;
  /** Resume the stored run (completed steps are kept) instead of starting afresh. */
  resume?: boolean;
  signal?: AbortSignal;
  onLog?: (line: string) => void;
  /** Every state change (for the Pipeline view). */
  onChange?: (state: PipelineState) => void;
  now?: () => number;
}

function cancelledError(signal: AbortSignal): boolean {
  return signal.aborted;
}

export async function runPipeline<I extends object>(steps: readonly PipelineStep<I>[], o: RunOptions<I>): Promise<PipelineState> {
  const now = o.now ?? Date.now;
  const iso = () => new Date(now()).toISOString();
  const signal = o.signal ?? new AbortController().signal;
  const info = await resumeInfo(o.store, o.pipeline, steps);
  let state: PipelineState;
  if (o.resume && info.resumable && info.previous) {
    state = structuredClone(info.previous);
    // Current inputs win (a corrected setting is the usual reason to resume); identities made by
    // earlier steps (VMID, volid) live in their results, not in the inputs.
    state.inputs = { ...(o.inputs as Record<string, unknown>) };
    state.status = 'running';
    delete state.failedStep;
    delete state.error;
    for (const s of state.steps) if (s.status !== 'done') s.status = 'pending';
  } else {
    const prev = info.previous;
    const leftovers = prev && prev.status !== 'done' ? [...(prev.leftovers ?? []), ...prev.created] : [];
    state = {
      version: 1, pipeline: o.pipeline, runId: `${now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      status: 'running', startedAt: iso(), updatedAt: iso(), inputs: { ...(o.inputs as Record<string, unknown>) },
      steps: steps.map((s) => ({ id: s.id, title: s.title, status: 'pending', attempts: 0 })), created: [],
      ...(leftovers.length ? { leftovers } : {}),
    };
  }
  const save = async () => {
    state.updatedAt = iso();
    await o.store.save(state);
    o.onChange?.(structuredClone(state));
  };
  await save();
  const inputs = state.inputs as I;
  const results: Record<string, Record<string, unknown>> = {};
  for (const s of state.steps) if (s.status === 'done') results[s.id] = s.result ?? {};

  for (const step of steps) {
    const st = state.steps.find((s) => s.id === step.id)!;
    if (st.status === 'done') continue;
    const t0 = now();
    st.status = 'running';
    st.startedAt = iso();
    st.attempts++;
    delete st.error;
    delete st.finishedAt;
    delete st.durationMs;
    await save();
    const log = (line: string) => o.onLog?.(line);
    log(`▶ ${step.title}`);
    try {
      signal.throwIfAborted();
      const previous = state.created.filter((c) => c.stepId === step.id);
      const result = await step.run({
        inputs, results: { ...results }, previous, signal, log,
        created: async (r) => {
          state.created.push({ ...r, stepId: step.id });
          await save();
        },
      });
      signal.throwIfAborted();
      st.status = 'done';
      st.result = (result ?? {}) as Record<string, unknown>;
      results[step.id] = st.result;
      st.finishedAt = iso();
      st.durationMs = now() - t0;
      await save();
      log(`✔ ${step.title} (${formatDuration(st.durationMs)})`);
    } catch (e) {
      const wasCancelled = cancelledError(signal);
      st.status = wasCancelled ? 'cancelled' : 'failed';
      st.error = wasCancelled ? 'cancelled' : ((e as Error)?.message ?? String(e));
      st.finishedAt = iso();
      st.durationMs = now() - t0;
      state.status = wasCancelled ? 'cancelled' : 'failed';
      state.failedStep = step.id;
      state.error = st.error;
      await save();
      log(`✖ ${step.title}: ${st.error}`);
      throw new PipelineError(step.id, step.title, wasCancelled, [...state.created], e);
    }
  }
  state.status = 'done';
  await save();
  return state;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Rows of the Pipeline view: one per step with its state and duration. */
export interface PipelineRow {
  id: string;
  title: string;
  status: StepStatus;
  /** "12 s", "4 min 3 s", or "" while pending. */
  duration: string;
  detail?: string;
}

export function pipelineRows(state: PipelineState | undefined, steps: readonly { id: string; title: string }[], now = Date.now()): PipelineRow[] {
  return steps.map((s) => {
    const st = state?.steps.find((x) => x.id === s.id);
    const status = st?.status ?? 'pending';
    const ms = st?.durationMs ?? (status === 'running' && st?.startedAt ? now - Date.parse(st.startedAt) : undefined);
    return { id: s.id, title: s.title, status, duration: ms === undefined ? '' : formatDuration(ms), ...(st?.error ? { detail: st.error } : {}) };
  });
}

/** A PipelineStore over a JSON file (write to a temp sibling, then rename: never half a file). */
export function jsonFileStore(file: string, fs: {
  readFile(p: string): Promise<Uint8Array | string>;
  writeFile(p: string, data: string): Promise<void>;
  rename(a: string, b: string): Promise<void>;
  mkdir(p: string): Promise<void>;
}): PipelineStore {
  const dir = file.replace(/[\\/][^\\/]*$/, '');
  return {
    async load() {
      let text: string;
      try {
        text = Buffer.from(await fs.readFile(file)).toString('utf8');
      } catch {
        return undefined;
      }
      try {
        const s = JSON.parse(text) as PipelineState;
        return s && s.version === 1 && Array.isArray(s.steps) ? s : undefined;
      } catch {
        return undefined; // a damaged state file means: start afresh
      }
    },
    async save(state) {
      await fs.mkdir(dir);
      const tmp = `${file}.tmp-${process.pid}`;
      await fs.writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
      await fs.rename(tmp, file);
    },
  };
}

/** jsonFileStore on node:fs. */
export function nodeJsonFileStore(file: string): PipelineStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fsp = require('node:fs/promises') as typeof import('node:fs/promises');
  return jsonFileStore(file, {
    readFile: (p) => fsp.readFile(p),
    writeFile: (p, d) => fsp.writeFile(p, d),
    rename: (a, b) => fsp.rename(a, b),
    mkdir: (p) => fsp.mkdir(p, { recursive: true }).then(() => undefined),
  });
}
