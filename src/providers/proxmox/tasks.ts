// Proxmox tasks (UPIDs): parse them, follow one to its end with its log, cancel it.
// Many failures happen inside a task (HTTP 200 + UPID, then exitstatus is the error),
// so an operation is only done when its task says so.

import { pathSegment } from './client';
import { ProxmoxError } from './errors';
import type { TaskLogLine, TaskStatus, Upid } from './types';

export type { Upid };

// Same shape as PVE::Tools::upid_decode; the user may be a token (`root@pam!tok`).
const UPID_RE = /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$/;

export function parseUpid(upid: string): Upid {
  const m = typeof upid === 'string' ? UPID_RE.exec(upid.trim()) : null;
  if (!m) {
    throw new ProxmoxError({ kind: 'not-proxmox', method: '', path: '',
      message: `"${String(upid).slice(0, 120)}" is not a Proxmox task id (UPID:node:pid:pstart:starttime:type:id:user:)` });
  }
  return {
    upid: upid.trim(), node: m[1], pid: parseInt(m[3], 16), pstart: parseInt(m[4], 16),
    starttime: parseInt(m[5], 16), type: m[6], id: m[7], user: m[8],
  };
}

export interface TaskOutcome {
  status: 'ok' | 'warnings' | 'error';
  /** "OK", "WARNINGS: n" or the error text. */
  exitstatus: string;
  warnings?: number;
  /** Last lines of the log (up to `tailLines`). */
  logTail: string[];
  /** True when the AbortSignal fired and the task was stopped by us. */
  cancelled?: boolean;
}

export interface FollowOptions {
  /** Called with each batch of NEW log lines, in order. */
  onLog?: (lines: string[]) => void;
  /** Aborting stops the task on the node (DELETE) and resolves with its final state. */
  signal?: AbortSignal;
  pollMs?: number; // default 1000
  tailLines?: number; // default 20
  /** How long a 400 right after creation is tolerated, default 5000 ms. */
  startGraceMs?: number;
}

/** The subset of ProxmoxClient a follower needs (a fake in tests is fine). */
export interface TaskApi {
  get<T>(path: string, params?: Record<string, unknown>, opts?: { signal?: AbortSignal }): Promise<T>;
  delete<T>(path: string, params?: Record<string, unknown>): Promise<T>;
}

const LOG_PAGE = 500;
const TRANSIENT_LIMIT = 3;
const STOP_WAIT_MS = 30_000;

export async function followTask(client: TaskApi, upid: string, opts: FollowOptions = {}): Promise<TaskOutcome> {
  const u = parseUpid(upid);
  const base = `/nodes/${pathSegment(u.node)}/tasks/${pathSegment(u.upid)}`; // ask the node named in the UPID
  const pollMs = opts.pollMs ?? 1000;
  const tailLines = opts.tailLines ?? 20;
  const grace = opts.startGraceMs ?? 5000;
  const started = Date.now();
  const tail: string[] = [];
  let seen = 0; // log lines already delivered (PVE numbers them from 1)
  let cancelled = false;
  let transient = 0;

  // A status/log call right after creation can 400 briefly, and a network blip should not lose
  // a long task: tolerate those for a while, rethrow anything else.
  const tolerable = (e: unknown) => {
    if (!(e instanceof ProxmoxError)) return false;
    if (e.kind === 'parameter' && Date.now() - started < grace) return true;
    if ((e.kind === 'network' || e.kind === 'timeout') && ++transient <= TRANSIENT_LIMIT) return true;
    return false;
  };

  const readLog = async (signal?: AbortSignal) => {
    for (;;) {
      const lines = await client.get<TaskLogLine[]>(`${base}/log`, { start: seen, limit: LOG_PAGE }, { signal });
      // An empty log is answered as one line "no content": not a real line.
      const real = (lines ?? []).filter((l) => l.n > seen && !(l.n === 1 && l.t === 'no content' && lines.length === 1));
      if (real.length) {
        seen = Math.max(...real.map((l) => l.n));
        const texts = real.map((l) => l.t);
        tail.push(...texts);
        if (tail.length > tailLines) tail.splice(0, tail.length - tailLines);
        opts.onLog?.(texts);
      }
      if ((lines ?? []).length < LOG_PAGE) return;
    }
  };

  let cancelledAt = 0;
  const cancel = async () => {
    cancelled = true;
    cancelledAt = Date.now();
    await client.delete(base);
  };

  for (;;) {
    if (opts.signal?.aborted && !cancelled) {
      try {
        await cancel();
      } catch (e) {
        // Already stopped tasks refuse DELETE; the status below tells the truth.
        if (!(e instanceof ProxmoxError) || e.kind === 'permission' || e.kind === 'auth') throw e;
      }
    }
    const signal = cancelled ? undefined : opts.signal;
    let status: TaskStatus | undefined;
    try {
      status = await client.get<TaskStatus>(`${base}/status`, undefined, { signal });
      transient = 0;
    } catch (e) {
      if (!(opts.signal?.aborted && !cancelled) && !tolerable(e)) throw e;
    }
    if (status) {
      try {
        await readLog(signal);
      } catch (e) {
        if (!(opts.signal?.aborted && !cancelled) && !tolerable(e)) throw e;
      }
      if (status.status === 'stopped') {
        const exitstatus = String(status.exitstatus ?? '').trim();
        const outcome: TaskOutcome = { status: 'error', exitstatus, logTail: tail, ...(cancelled ? { cancelled } : {}) };
        const w = /^WARNINGS:\s*(\d+)$/i.exec(exitstatus);
        if (exitstatus === 'OK') outcome.status = 'ok';
        else if (w) {
          outcome.status = 'warnings';
          outcome.warnings = Number(w[1]);
        }
        return outcome;
      }
    }
    if (cancelled && Date.now() - cancelledAt > STOP_WAIT_MS) {
      throw new ProxmoxError({ kind: 'timeout', method: 'DELETE', path: base,
        message: `Task ${u.type} ${u.id} on ${u.node} was asked to stop but is still running after ${STOP_WAIT_MS / 1000} s` });
    }
    await sleep(pollMs, cancelled ? undefined : opts.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
