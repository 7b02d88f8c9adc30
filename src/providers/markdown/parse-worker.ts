// Worker-thread entry (bundled as dist/tracker-worker.js): parses tracker files off the extension
// host's main thread. One message in ({id, bytes, file}), one out ({id, model} or {id, error}).
import { parentPort } from 'node:worker_threads';
import { parseTracker } from './tracker';

parentPort?.on('message', (m: { id: number; bytes: Uint8Array; file: string }) => {
  try {
    parentPort!.postMessage({ id: m.id, model: parseTracker(m.bytes, m.file) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
