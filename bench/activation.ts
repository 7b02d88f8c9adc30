// bench/activation: cold activation as a user meets it. Ten runs, each in a FRESH VS Code extension
// host (code-server started anew), the production bundle; the test side waits for the host to settle,
// then times `vscode.extensions.getExtension(id).activate()`. Where the host's log has VS Code's own
// activation figure (what "Running Extensions" shows), it is reported too. Prints median and max and
// the bundle sizes; JSON on the last line. Goals: median under 50 ms, extension bundle under 1.5 MB,
// and a normal (unflagged) activation exports nothing.
//   HOMELAB_BENCH_RUNS (default 10), HOMELAB_BENCH_SETTLE_MS (default 10000)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { buildProduction, measureInExtensionHost, runBench } from './exthost';
import { root } from '../scripts/lib/tools.mjs';

interface Run {
  activateMs: number;
  cpuMs: number;
  hostMarks?: Record<string, number>;
  exportKeys: string[] | null;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return +(s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2).toFixed(2);
};

function sizes(): Record<string, number> {
  const dist = join(root, 'dist');
  const out: Record<string, number> = {};
  const walk = (dir: string, prefix: string): void => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p, `${prefix}${f}/`);
      else if (f.endsWith('.js')) out[`${prefix}${f}`] = statSync(p).size;
    }
  };
  if (existsSync(dist)) walk(dist, '');
  return out;
}

/** VS Code's own activation time of our extension from the extension host log, if it logs one. */
function hostLogFigure(runDir: string): number | undefined {
  const logs = join(runDir, 'user-data/logs');
  if (!existsSync(logs)) return undefined;
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/exthost.*\.log$/.test(f)) files.push(p);
    }
  };
  walk(logs);
  for (const f of files) {
    const m = /homelab\.homelab[^\n]*?activat[^\n]*?(\d+(?:\.\d+)?)\s*ms/i.exec(readFileSync(f, 'utf8'));
    if (m) return Number(m[1]);
  }
  return undefined;
}

runBench('activation', async () => {
  const runs = Number(process.env.HOMELAB_BENCH_RUNS ?? 10);
  buildProduction();
  const times: number[] = [];
  const cpuTimes: number[] = [];
  const hostTimes: number[] = [];
  const leaked = new Set<string>();
  const hostMarks: Array<Record<string, number>> = [];
  for (let i = 0; i < runs; i++) {
    const runDir = join(root, '.run/bench/activation');
    const r = await measureInExtensionHost<Run>('activation', {}, { build: false, testHooks: false, runDir, onDone: () => {
      const h = hostLogFigure(runDir);
      if (h !== undefined) hostTimes.push(h);
    } });
    if (r.hostMarks) hostMarks.push(r.hostMarks);
    times.push(r.activateMs);
    cpuTimes.push(r.cpuMs);
    for (const k of r.exportKeys ?? []) leaked.add(k);
    console.log(`run ${i + 1}/${runs}: activate() ${r.activateMs} ms (cpu ${r.cpuMs} ms)${r.exportKeys ? `, EXPORTS ${r.exportKeys.join(', ')}` : ', exports nothing'}`);
  }
  const bundles = sizes();
  const bundleBytes = bundles['extension.js'] ?? 0;
  const result = {
    method: 'fresh extension host per run (code-server), production bundle, getExtension(id).activate() timed from the test side after the host settled',
    runs,
    medianMs: median(times),
    maxMs: Math.max(...times),
    minMs: Math.min(...times),
    cpu: { medianMs: median(cpuTimes), maxMs: Math.max(...cpuTimes) },
    loadAverage: os.loadavg().map((l) => +l.toFixed(1)),
    hostLog: hostTimes.length ? { medianMs: median(hostTimes), maxMs: Math.max(...hostTimes) } : 'not in the host log',
    hostMarks: hostMarks.length ? hostMarks : 'no VS Code performance marks readable in the host',
    bundleBytes,
    bundles,
    exportsInProduction: [...leaked],
  };
  const goals = { medianUnder50ms: result.medianMs < 50, bundleUnder1_5MB: bundleBytes < 1.5 * 1024 * 1024, exportsNothing: leaked.size === 0 };
  console.log(`activation: median ${result.medianMs} ms, max ${result.maxMs} ms (${runs} fresh hosts; cpu median ${result.cpu.medianMs} ms, max ${result.cpu.maxMs} ms; load ${result.loadAverage.join(' ')}); extension.js ${(bundleBytes / 1024).toFixed(0)} KiB`);
  console.log(JSON.stringify({ bench: 'activation', ...result, goals }));
});
