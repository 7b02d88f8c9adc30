#!/usr/bin/env node
// `npm run demo [-- --port N] [--no-open]`: the Proxmox simulator plus code-server with the packaged
// extension installed and already connected to it. Prints the URL; Ctrl-C or SIGTERM stops
// everything it started, on every exit path.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { assertPortFree, installVsix, startCodeServer, stopProcessGroup } from './lib/code-server.mjs';
import { ensureTools, root } from './lib/tools.mjs';

const argv = process.argv.slice(2);
const portArg = argv.indexOf('--port');
const port = portArg >= 0 ? Number(argv[portArg + 1]) : 8080;
const open = !argv.includes('--no-open');
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`demo: --port takes a number from 1 to 65535 (got ${argv[portArg + 1]})`);
  process.exit(2);
}

const started = [];
let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all(started.map((p) => stopProcessGroup(p).catch(() => {})));
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

function startSimulator() {
  const child = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'test/proxmox-sim/cli.ts'), '--nodes', '3', '--guests', '24', '--seed', '1', '--task-ms', '3000', '--lab', '1'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  started.push(child);
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`the simulator exited (${code}) before it was ready`)));
  });
}

try {
  await assertPortFree(port);
  ensureTools();
  execFileSync(process.execPath, [join(root, 'scripts/package.mjs')], { cwd: root, stdio: 'inherit' });
  const sim = await startSimulator();
  console.log(`demo: Proxmox simulator on ${sim.url} (fingerprint ${sim.fingerprint})`);

  const runDir = process.env.HOMELAB_DEMO_RUN_DIR ?? join(root, '.run/demo');
  const workspace = join(runDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const sample = join(root, 'resources/demo-workspace');
  if (existsSync(sample)) cpSync(sample, workspace, { recursive: true, force: false, errorOnExist: false });
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  await installVsix(runDir, join(root, `homelab-${version}.vsix`));
  const server = await startCodeServer({
    runDir,
    port,
    workspace,
    env: { HOMELAB_DEMO_CLUSTER: JSON.stringify({ url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret }) },
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
  });
  started.push(server.child);
  server.child.once('exit', (code) => {
    if (!stopping) console.error(`demo: code-server exited (${code}); see ${join(runDir, 'code-server.log')}`);
    void stopAll(1);
  });
  console.log(`\nHomelab demo: open ${server.url}/?folder=${encodeURIComponent(workspace)}\nPress Ctrl-C to stop.\n`);
  if (open && (process.env.DISPLAY || process.env.WAYLAND_DISPLAY)) {
    spawn('xdg-open', [`${server.url}/?folder=${encodeURIComponent(workspace)}`], { stdio: 'ignore', detached: true }).on('error', () => {}).unref();
  }
} catch (err) {
  console.error(`demo: ${err instanceof Error ? err.message : err}`);
  await stopAll(1);
}
