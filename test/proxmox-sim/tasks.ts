// Worker tasks with real UPIDs. Many failures happen inside a task (HTTP 200 + UPID, then an
// error exitstatus), so clients must poll the status: this reproduces that timing.
import type { Prng } from './prng';

export interface Task {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
  tokenid?: string;
  status: 'running' | 'stopped';
  exitstatus?: string;
  endtime?: number;
  log: string[];
  abort: AbortController;
}

export interface TaskCtx {
  log(line: string): void;
  warn(line: string): void;
  /** Sleeps, but rejects at once when the task is stopped via DELETE. */
  sleep(ms: number): Promise<void>;
  readonly signal: AbortSignal;
}

const hex8 = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

export function parseUpid(upid: string): { node: string; type: string; id: string; user: string } | undefined {
  const m = /^UPID:([a-zA-Z0-9-]+):([0-9A-F]{8}):([0-9A-F]{8,9}):([0-9A-F]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$/.exec(upid);
  return m ? { node: m[1], type: m[5], id: m[6], user: m[7] } : undefined;
}

const INTERRUPTED = 'received interrupt';

export class TaskManager {
  /** Bounded: oldest finished tasks are dropped so long benchmarks do not grow without end. */
  private readonly max = 5000;
  constructor(
    readonly tasks: Task[],
    private readonly rng: Prng,
  ) {}

  /** Starts `body` as a worker; returns the task at once (the caller answers with its UPID). */
  start(node: string, type: string, id: string, user: string, body: (ctx: TaskCtx) => Promise<void>): Task {
    // UPID fields are ':'-separated: a volid used as id gets its colons escaped.
    id = id.replace(/:/g, '\\x3a').replace(/\s/g, '_');
    const starttime = Math.floor(Date.now() / 1000);
    const pid = this.rng.int(1000, 4_000_000);
    const pstart = this.rng.int(100_000, 90_000_000);
    const upid = `UPID:${node}:${hex8(pid)}:${hex8(pstart)}:${hex8(starttime)}:${type}:${id}:${user}:`;
    const [u, tok] = user.split('!');
    const task: Task = {
      upid, node, pid, pstart, starttime, type, id, user: u, tokenid: tok, status: 'running', log: [], abort: new AbortController(),
    };
    this.tasks.push(task);
    if (this.tasks.length > this.max) {
      const i = this.tasks.findIndex((t) => t.status === 'stopped');
      if (i >= 0) this.tasks.splice(i, 1);
    }
    let warnings = 0;
    const signal = task.abort.signal;
    const ctx: TaskCtx = {
      signal,
      log: (l) => void task.log.push(l),
      warn: (l) => {
        warnings++;
        task.log.push(`WARN: ${l}`);
      },
      sleep: (ms) =>
        new Promise<void>((resolve, reject) => {
          if (signal.aborted) return reject(new Error(INTERRUPTED));
          const t = setTimeout(() => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          }, ms);
          const onAbort = () => {
            clearTimeout(t);
            reject(new Error(INTERRUPTED));
          };
          signal.addEventListener('abort', onAbort, { once: true });
        }),
    };
    // Defer so the HTTP answer (the UPID) goes out before the worker's first step, as with fork().
    setImmediate(() => {
      body(ctx).then(
        () => this.finish(task, warnings ? `WARNINGS: ${warnings}` : 'OK'),
        (e: unknown) => this.finish(task, signal.aborted ? INTERRUPTED : String((e as Error)?.message ?? e).replace(/\n+$/, '')),
      );
    });
    return task;
  }

  private finish(task: Task, exitstatus: string): void {
    if (task.status === 'stopped') return;
    task.log.push(exitstatus === 'OK' ? 'TASK OK' : exitstatus.startsWith('WARNINGS') ? `TASK ${exitstatus}` : `TASK ERROR: ${exitstatus}`);
    task.exitstatus = exitstatus;
    task.status = 'stopped';
    task.endtime = Math.floor(Date.now() / 1000);
  }

  find(upid: string): Task | undefined {
    for (let i = this.tasks.length - 1; i >= 0; i--) if (this.tasks[i].upid === upid) return this.tasks[i];
    return undefined;
  }

  /** DELETE /nodes/{node}/tasks/{upid}: the worker gets SIGTERM and dies with "received interrupt". */
  stop(task: Task): void {
    if (task.status === 'running') task.abort.abort();
  }

  /** Stops every running worker (simulator shutdown). */
  stopAll(): void {
    for (const t of this.tasks) this.stop(t);
  }
}

export function taskJson(t: Task): Record<string, unknown> {
  const o: Record<string, unknown> = {
    upid: t.upid, node: t.node, pid: t.pid, pstart: t.pstart, starttime: t.starttime, type: t.type, id: t.id, user: t.user, status: t.status,
  };
  if (t.tokenid) o.tokenid = t.tokenid;
  if (t.status === 'stopped') o.exitstatus = t.exitstatus;
  return o;
}
