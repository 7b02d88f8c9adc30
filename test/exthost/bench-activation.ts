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
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const exports: unknown = await ext.activate();
  const activateMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const result = {
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
