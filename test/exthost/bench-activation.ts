// Loaded by bench/activation.ts as extensionTestsPath, once per FRESH extension host: waits until the
// host has settled after start (as when a user opens the Homelab view some seconds after the window),
// then times `getExtension(id).activate()` from the test side: require of the bundle, activate(), and
// VS Code's own bookkeeping, the span a user waits for. Also records what a normal activation exports.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { extensionId } from './util';

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension(extensionId);
  if (!ext) throw new Error(`${extensionId} is not loaded`);
  if (ext.isActive) throw new Error('the extension is already active: this host cannot measure a cold activation');
  const settleMs = Number(process.env.HOMELAB_BENCH_SETTLE_MS ?? 10_000);
  await new Promise((r) => setTimeout(r, settleMs));
  // HOMELAB_BENCH_CPUPROFILE=<file>: a V8 CPU profile of the span (to see what activation spends on).
  const profile = process.env.HOMELAB_BENCH_CPUPROFILE ? await startProfile() : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const exports: unknown = await ext.activate();
  const activateMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (profile) writeFileSync(process.env.HOMELAB_BENCH_CPUPROFILE!, JSON.stringify(await profile()));
  // VS Code's own marks around loading and activating the extension (what "Running Extensions"
  // reports), where this host version records them where we can read them.
  const hostMarks = readHostMarks(extensionId);
  const result = {
    hostMarks,
    activateMs: +activateMs.toFixed(2),
    // CPU time of the host process over the same span: what activation costs the machine, much less
    // dependent than wall time on other processes competing for the cores.
    cpuMs: +((cpu.user + cpu.system) / 1000).toFixed(2),
    settleMs,
    // The bench host does not set HOMELAB_TEST_HOOKS: this is what every other extension would see.
    exportKeys: exports === undefined || exports === null ? null : Object.keys(exports as object),
  };
  if (process.env.HOMELAB_TEST_RESULTS) writeFileSync(process.env.HOMELAB_TEST_RESULTS, JSON.stringify({ passed: 1, failed: 0, pending: 0, failures: [], result }));
}

/** Starts the V8 profiler in this thread; the returned function stops it and gives the profile. */
async function startProfile(): Promise<() => Promise<unknown>> {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  return async () => {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    session.disconnect();
    return profile;
  };
}

/** Spans between VS Code's performance marks for our extension (node perf_hooks or its polyfill). */
function readHostMarks(id: string): Record<string, number> | undefined {
  const marks = new Map<string, number>();
  for (const e of performance.getEntriesByType('mark')) marks.set(e.name, e.startTime);
  // vs/base/common/performance keeps [name, time, name, time, ...] on a global when it polyfills.
  const poly = (globalThis as { MonacoPerformanceMarks?: Map<string, Array<string | number>> | unknown }).MonacoPerformanceMarks;
  if (poly instanceof Map) {
    for (const list of poly.values()) {
      if (!Array.isArray(list)) continue;
      for (let i = 0; i + 1 < list.length; i += 2) if (typeof list[i] === 'string' && typeof list[i + 1] === 'number') marks.set(list[i] as string, list[i + 1] as number);
    }
  }
  const ours = [...marks.entries()].filter(([n]) => n.toLowerCase().includes(id.toLowerCase()));
  if (!ours.length) return undefined;
  const at = (re: RegExp): number | undefined => ours.find(([n]) => re.test(n))?.[1];
  const spans: Record<string, number> = {};
  const load = [at(/willLoadExtensionCode/i), at(/didLoadExtensionCode/i)];
  const act = [at(/willActivate/i), at(/didActivate/i)];
  if (load[0] !== undefined && load[1] !== undefined) spans.codeLoadingMs = +(load[1] - load[0]).toFixed(2);
  if (act[0] !== undefined && act[1] !== undefined) spans.activateMs = +(act[1] - act[0]).toFixed(2);
  return Object.keys(spans).length ? spans : Object.fromEntries(ours.map(([n, t]) => [n, +t.toFixed(2)]));
}
