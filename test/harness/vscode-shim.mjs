#!/usr/bin/env node
// An "executable" for @vscode/test-electron's runTests({ vscodeExecutablePath }): takes the
// Electron-style --extensionDevelopmentPath/--extensionTestsPath arguments and runs the suites in
// a real VS Code extension host on code-server instead (Electron cannot be downloaded here).
// Results go to $HOMELAB_TEST_RESULTS; the exit code is 0 only when every test passed.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runExtensionHostTests } from '../../scripts/lib/exthost.mjs';
import { root } from '../../scripts/lib/tools.mjs';

const args = process.argv.slice(2);
const value = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const extensionPath = value('extensionDevelopmentPath');
const testsPath = value('extensionTestsPath');
const workspace = args.find((a) => !a.startsWith('-')) ?? join(root, '.run/test/exthost-workspace');
if (!extensionPath || !testsPath) {
  console.error('vscode-shim: --extensionDevelopmentPath=... and --extensionTestsPath=... are required');
  process.exit(2);
}
mkdirSync(workspace, { recursive: true });
const noise = /open-vsx|ENOTFOUND|^\s+at .*workbench\.js|^\[AccountPolicyGate\]|^\[AgentHost/;
let started = false;
try {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('HOMELAB_')));
  const r = await runExtensionHostTests({
    runDir: process.env.HOMELAB_EXTHOST_RUN_DIR ?? join(root, '.run/test/exthost'),
    extensionPath,
    testsPath: testsPath.replace(/\.js$/, ''),
    workspace,
    env,
    onLog: (line) => {
      if (line.includes('HOMELAB-MOCHA-START')) return void (started = true);
      if (started && !noise.test(line)) console.log(line);
    },
  });
  process.exit(r.failed + r.pending === 0 && r.exitCode === 0 ? 0 : 1);
} catch (err) {
  console.error(`vscode-shim: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
