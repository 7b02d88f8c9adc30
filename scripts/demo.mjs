#!/usr/bin/env node
// `npm run demo [-- --port N] [--no-open]`: the whole product on this machine, loopback only: the
// Proxmox simulator, the Kubernetes test server with a small lab cluster, a demo workspace (journal,
// tracker, learning goals) and code-server with the packaged extension connected to both.
// Prints ONE line with the URL. Ctrl-C, SIGTERM or SIGHUP to it or to npm, or the end of any process
// it started, stops everything it started.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { assertPortFree, installVsix, startCodeServer, stopProcessGroup } from './lib/code-server.mjs';
import { stopWithLaunchers } from './lib/lifetime.mjs';
import { codeServerEntry, ensureTools, node24, root } from './lib/tools.mjs';
import { vsixIsFresh, vsixPath } from './lib/vsix.mjs';

const argv = process.argv.slice(2);
const portArg = argv.indexOf('--port');
const port = portArg >= 0 ? Number(argv[portArg + 1]) : 8080;
const open = !argv.includes('--no-open');
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`demo: --port takes a number from 1 to 65535 (got ${argv[portArg + 1]})`);
  process.exit(2);
}
const runDir = process.env.HOMELAB_DEMO_RUN_DIR ?? join(root, '.run/demo');

const started = [];
let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all(started.map((p) => stopProcessGroup(p).catch(() => {})));
  rmSync(join(runDir, 'demo.json'), { force: true });
  process.exit(code);
}
stopWithLaunchers(() => void stopAll(0));

/** Starts a helper that prints one JSON line when ready; its end (any signal) ends the demo. */
function startHelper(name, script, args) {
  const child = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, script), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  started.push(child);
  return new Promise((resolve, reject) => {
    let ready = false;
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      ready = true;
      resolve(JSON.parse(line));
    });
    child.once('exit', (code, signal) => {
      if (!ready) return reject(new Error(`the ${name} exited (${code ?? signal}) before it was ready`));
      if (!stopping) console.error(`demo: the ${name} stopped (${code ?? signal}); stopping the demo`);
      void stopAll(1);
    });
  });
}

/** Packages the extension only when the .vsix is older than its sources; quiet unless it fails. */
function ensureVsix() {
  if (vsixIsFresh()) return;
  console.log('demo: packaging the extension (only when the sources changed)…');
  try {
    execFileSync(process.execPath, [join(root, 'scripts/package.mjs')], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    throw new Error('packaging the extension failed (output above)');
  }
}

/** Installs the .vsix into the run folder unless that very file is already installed there. */
async function ensureInstalled(vsix) {
  const stamp = join(runDir, 'installed-vsix.json');
  const { mtimeMs, size } = statSync(vsix);
  const want = JSON.stringify({ vsix, mtimeMs, size });
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want && existsSync(join(runDir, 'extensions'))) return;
  await installVsix(runDir, vsix);
  writeFileSync(stamp, want);
}

/** A passphrase-less key for the demo only (never the user's own), made once per run folder. */
function demoSshKey() {
  const key = join(runDir, 'ssh/demo_ed25519');
  if (!existsSync(key)) {
    mkdirSync(join(runDir, 'ssh'), { recursive: true, mode: 0o700 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'homelab-demo', '-f', key], { stdio: 'ignore' });
  }
  return key;
}

try {
  await assertPortFree(port);
  // setup-tools.sh is fast when everything is there, but not silent: only run it when something is missing.
  if (!existsSync(node24) || !existsSync(codeServerEntry)) ensureTools();
  ensureVsix();
  mkdirSync(runDir, { recursive: true });
  const [sim, k8s] = await Promise.all([
    startHelper('Proxmox simulator', 'test/proxmox-sim/cli.ts', ['--nodes', '3', '--guests', '24', '--seed', '1', '--task-ms', '3000', '--lab', '1']),
    startHelper('Kubernetes test server', 'test/k8s-server/demo-cli.ts', [join(runDir, 'kubeconfig')]),
  ]);

  const workspace = join(runDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  // The sample files are copied once: what the user changes in the demo stays until they delete .run/demo.
  cpSync(join(root, 'resources/demo-workspace'), workspace, { recursive: true, force: false, errorOnExist: false });
  await ensureInstalled(vsixPath());
  let sshKey;
  try {
    sshKey = demoSshKey();
  } catch {
    sshKey = undefined; // no ssh-keygen: the shells say what is missing
  }
  const server = await startCodeServer({
    runDir,
    port,
    workspace,
    env: {
      HOMELAB_DEMO_CLUSTER: JSON.stringify({ url: sim.url, fingerprint: sim.fingerprint, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret }),
      // Also through the environment (read at start, before settings arrive), and kubectl in the demo's terminals finds it.
      KUBECONFIG: k8s.kubeconfig,
    },
    settings: {
      'workbench.colorTheme': 'Default Dark Modern',
      'homelab.kubernetes.kubeconfig': [k8s.kubeconfig],
      ...(sshKey ? { 'homelab.ssh.privateKeyPath': sshKey } : {}),
    },
  });
  started.push(server.child);
  server.child.once('exit', (code) => {
    if (!stopping) console.error(`demo: code-server exited (${code}); see ${join(runDir, 'code-server.log')}`);
    void stopAll(1);
  });
  // What is running, for `kill` and for the tests: every process and port this demo owns.
  const ports = [port, Number(new URL(sim.url).port), Number(new URL(k8s.url).port)];
  writeFileSync(join(runDir, 'demo.json'), JSON.stringify({ pid: process.pid, pids: started.map((c) => c.pid), ports }, null, 2));
  const url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;
  console.log(`Homelab demo: open ${url}  (Ctrl-C stops it)`);
  if (open && (process.env.DISPLAY || process.env.WAYLAND_DISPLAY)) {
    spawn('xdg-open', [url], { stdio: 'ignore', detached: true }).on('error', () => {}).unref();
  }
} catch (err) {
  console.error(`demo: ${err instanceof Error ? err.message : err}`);
  await stopAll(1);
}
