#!/usr/bin/env node
// `npm test`: installs what is missing, then runs every layer (unit, integration, extension host,
// UI) and ends with ONE line `N passed, N failed` summing all layers (`N passed, N failed, N not run`
// when some tests could not run where they are, e.g. on a real cluster without a kubelet). Exits non-zero on any failure,
// on a skipped (pending) test, and on a layer that could not run.
//   --layer typecheck,unit,integration,exthost,ui   run only these layers
//   --area NAME                            only suites of one area (folder name, e.g. kubernetes)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureTools, root } from './lib/tools.mjs';

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const layers = (opt('layer') ?? 'typecheck,unit,integration,exthost,ui').split(',');
const area = opt('area');
const runDir = join(root, '.run/test');
const results = [];

function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? findTests(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

const inArea = (file) => !area || relative(root, file).split('/').includes(area) || relative(root, file).includes(`${area}.`);

function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
    p.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function readResults(file, layer, exitCode) {
  if (!existsSync(file)) throw new Error(`layer ${layer} exited ${exitCode} without reporting results`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Node-side mocha layer (unit, integration, ui) in a child process. */
async function mochaLayer(layer, files, { timeout, env = {} }) {
  const resultsFile = join(runDir, `${layer}.json`);
  rmSync(resultsFile, { force: true });
  const code = await run(process.execPath, [
    join(root, 'node_modules/mocha/bin/mocha.js'), '--require', 'tsx/cjs', '--reporter', join(root, 'test/harness/count-reporter.cjs'),
    '--timeout', String(timeout), '--exit', ...files,
  ], { ...env, HOMELAB_TEST_RESULTS: resultsFile });
  return readResults(resultsFile, layer, code);
}

async function layer(name, fn) {
  if (!layers.includes(name)) return;
  console.log(`\n=== ${name} ===`);
  const started = Date.now();
  try {
    const r = await fn();
    if (!r) return;
    results.push({ name, ...r, seconds: (Date.now() - started) / 1000 });
  } catch (err) {
    console.error(`\nLAYER ${name} DID NOT RUN: ${err instanceof Error ? err.message : err}`);
    results.push({ name, passed: 0, failed: 1, pending: 0, failures: [`layer did not run: ${err.message ?? err}`], seconds: (Date.now() - started) / 1000 });
  }
}

mkdirSync(runDir, { recursive: true });
let setupError;
try {
  ensureTools();
} catch (err) {
  setupError = err;
}

// The strict type check of src/, test/ and bench/ counts as one test.
await layer('typecheck', async () => {
  if (area) return undefined;
  const tsc = (project) => run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project, '--noEmit']);
  // The extension and its tests, then the browser side of the webviews (DOM types).
  const code = (await tsc(join(root, 'tsconfig.json'))) || (await tsc(join(root, 'webview-ui')));
  return code === 0 ? { passed: 1, failed: 0, pending: 0 } : { passed: 0, failed: 1, pending: 0, failures: ['tsc --noEmit reported type errors (above)'] };
});

for (const [name, dir, timeout] of [['unit', 'test/unit', 10_000], ['integration', 'test/integration', 60_000]]) {
  await layer(name, async () => {
    if (setupError && name === 'integration') throw setupError;
    const files = findTests(join(root, dir)).filter(inArea);
    if (!files.length) {
      if (area) return undefined;
      throw new Error(`no test files under ${dir}`);
    }
    return mochaLayer(name, files, { timeout });
  });
}

await layer('exthost', async () => {
  if (setupError) throw setupError;
  const code = await run(process.execPath, [join(root, 'scripts/build.mjs'), '--tests']);
  if (code !== 0) throw new Error('build failed');
  const workspace = join(runDir, 'exthost-workspace');
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  // The standard @vscode/test-electron entry point, with code-server behind it (test/harness/vscode-shim.mjs).
  const resultsFile = join(runDir, 'exthost.json');
  rmSync(resultsFile, { force: true });
  const { runTests } = await import('@vscode/test-electron');
  await runTests({
    vscodeExecutablePath: join(root, 'test/harness/vscode-shim.mjs'),
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out/exthost/index.js'),
    launchArgs: [workspace],
    reuseMachineInstall: true,
    extensionTestsEnv: { HOMELAB_TEST_RESULTS: resultsFile, ...(area ? { HOMELAB_TEST_GREP: area } : {}) },
  }).catch(() => undefined); // a failing run is read from the results below
  const r = readResults(resultsFile, 'exthost', 'non-zero');
  const ran = r.passed + r.failed + r.pending;
  if (ran === 0 && area) return undefined; // no extension-host suite in this area
  if (ran === 0) throw new Error('the extension host ran no test');
  return r;
});

await layer('ui', async () => {
  if (setupError) throw setupError;
  const files = findTests(join(root, 'test/ui')).filter(inArea);
  if (!files.length) {
    if (area) return undefined;
    throw new Error('no test files under test/ui');
  }
  const code = await run(process.execPath, [join(root, 'scripts/package.mjs')]);
  if (code !== 0) throw new Error('packaging the .vsix failed');
  return mochaLayer('ui', files, { timeout: 180_000, env: { HOMELAB_UI_RUN_DIR: join(runDir, 'ui') } });
});

console.log('\n=== summary ===');
let passed = 0;
let failed = 0;
let notRun = 0;
for (const r of results) {
  // A skipped test is a check that did not run: it counts as a failure.
  const bad = r.failed + r.pending;
  passed += r.passed;
  failed += bad;
  // Not run (the environment lacks what the test needs, e.g. a kubelet): neither passed nor failed, and said so.
  notRun += r.notRun ?? 0;
  console.log(`${r.name.padEnd(12)} ${String(r.passed).padStart(4)} passed ${String(bad).padStart(4)} failed${r.notRun ? ` ${String(r.notRun).padStart(4)} not run` : ''}  (${r.seconds.toFixed(1)} s)`);
  for (const f of r.failures ?? []) console.log(`  ✗ ${f}`);
  for (const f of r.notRunList ?? []) console.log(`  - NOT RUN ${f}`);
  if (r.pending) console.log(`  ✗ ${r.pending} skipped test(s): skipping is not allowed`);
}
if (!results.length) {
  failed += 1;
  console.log('no layer ran');
}
console.log(`${passed} passed, ${failed} failed${notRun ? `, ${notRun} not run` : ''}`);
process.exit(failed > 0 ? 1 : 0);
