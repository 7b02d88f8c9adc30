// Tracker parsing that never holds the extension host's main thread for long: a 10 MB tracker
// takes seconds to parse, so files past a small size go to a worker thread; small files (the
// common case, well under 50 ms) are parsed inline. Without a worker script, everything is inline.
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { parseTracker, type TrackerModel } from './tracker';

/** Files up to this size are parsed inline (about 20 ms on a slow machine). */
export const INLINE_PARSE_BYTES = 64 * 1024;

export class TrackerParser {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(m: TrackerModel): void; reject(e: Error): void }>();

  /** `workerScript`: the bundled parse-worker (dist/tracker-worker.js); `execArgv` for running it from source in tests. */
  constructor(private readonly workerScript?: string, private readonly execArgv?: string[]) {}

  /** True when large files are parsed off the main thread. */
  get offThread(): boolean {
    return !!this.workerScript && existsSync(this.workerScript);
  }

  parse(bytes: Uint8Array, file: string): Promise<TrackerModel> {
    if (bytes.byteLength <= INLINE_PARSE_BYTES || !this.offThread) return Promise.resolve(parseTracker(bytes, file));
    const w = this.start();
    const id = this.nextId++;
    return new Promise<TrackerModel>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, bytes, file });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.workerScript!, { execArgv: this.execArgv });
    w.unref(); // an idle parser never keeps the process alive
    w.on('message', (m: { id: number; model?: TrackerModel; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (!p) return;
      if (m.model) p.resolve(m.model);
      else p.reject(new Error(m.error ?? 'tracker parse failed'));
    });
    const fail = (e: Error) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.worker = undefined;
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the tracker parser stopped (exit ${code})`)));
    this.worker = w;
    return w;
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }
}
