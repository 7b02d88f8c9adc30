// One writer per file: every read-modify-write of a journal/tracker file in this extension host
// runs through `serializePerFile`, so two quick edits of one file run one after the other and the
// second re-reads the bytes the first wrote (instead of both editing the same old bytes and the
// later rename dropping the earlier change). Different files still proceed in parallel.
const tails = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task for the same `path` has settled; returns its result. */
export function serializePerFile<T>(path: string, task: () => Promise<T>): Promise<T> {
  const key = normalize(path);
  const before = tails.get(key) ?? Promise.resolve();
  const run = before.then(task, task);
  const tail = run.then(() => undefined, () => undefined);
  tails.set(key, tail);
  // Forget the file once its queue is empty, so the map does not grow with every file ever edited.
  void tail.then(() => { if (tails.get(key) === tail) tails.delete(key); });
  return run;
}

/** Files currently queued (for tests). */
export function queuedFiles(): number {
  return tails.size;
}

function normalize(path: string): string {
  // One file, one queue, whichever separator style names it.
  return path.replace(/\\/g, '/');
}
