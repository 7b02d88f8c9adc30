// Starts code-server (real VS Code: web workbench + Node extension host) isolated in a run folder.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeServerEntry, node24 } from './tools.mjs';

export const quietSettings = {
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'workbench.tips.enabled': false,
  'update.mode': 'none',
  'git.openRepositoryInParentFolders': 'never',
  'workbench.enableExperiments': false,
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves when nothing listens on 127.0.0.1:port; rejects with a clear message otherwise. */
export function assertPortFree(port) {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (e) =>
      reject(new Error(e.code === 'EADDRINUSE' ? `port ${port} is already in use: pick another with --port N` : `port ${port}: ${e.message}`)),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

function env(runDir, extra) {
  return {
    ...process.env,
    XDG_CONFIG_HOME: join(runDir, 'xdg/config'),
    XDG_DATA_HOME: join(runDir, 'xdg/data'),
    XDG_CACHE_HOME: join(runDir, 'xdg/cache'),
    // No extension gallery: code-server's default (open-vsx.org) would be contacted on start.
    // Loopback only, for the demo and every test.
    EXTENSIONS_GALLERY: '{}',
    ...extra,
  };
}

function dirs(runDir) {
  const d = { userData: join(runDir, 'user-data'), extensions: join(runDir, 'extensions') };
  for (const p of [d.userData, d.extensions, join(runDir, 'xdg/config'), join(runDir, 'xdg/data'), join(runDir, 'xdg/cache')]) {
    mkdirSync(p, { recursive: true });
  }
  return d;
}

/** Installs a .vsix into the run folder's extensions dir (code-server --install-extension). */
export function installVsix(runDir, vsix) {
  const d = dirs(runDir);
  return new Promise((resolve, reject) => {
    const p = spawn(node24, [codeServerEntry, '--user-data-dir', d.userData, '--extensions-dir', d.extensions, '--install-extension', vsix, '--force'], {
      env: env(runDir, {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (out += b));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`installing ${vsix} failed (${code}): ${out.trim()}`))));
  });
}

/** The extension's settings declared `machine` or `machine-overridable` in package.json. */
function machineScopedSettings() {
  const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../package.json'), 'utf8'));
  const sections = [pkg.contributes?.configuration ?? []].flat();
  return new Set(sections.flatMap((c) => Object.entries(c.properties ?? {}).filter(([, v]) => /^machine/.test(v.scope ?? '')).map(([k]) => k)));
}

/**
 * Starts code-server on 127.0.0.1:port. `smokeTest` enables VS Code's test-driver payload
 * (extensionTestsPath); without it the workbench behaves as for a user (toasts, dialogs).
 */
export async function startCodeServer({ runDir, port, workspace, smokeTest = false, env: extraEnv = {}, settings = {}, logFile = undefined }) {
  const d = dirs(runDir);
  // code-server's window is remote: machine-scoped settings in the (browser side) user settings are
  // ignored there, so they go to the server's Machine settings, where a user of code-server sets them.
  const machineKeys = machineScopedSettings();
  const pick = (machine) => Object.fromEntries(Object.entries({ ...quietSettings, ...settings }).filter(([k]) => machineKeys.has(k) === machine));
  mkdirSync(join(d.userData, 'User'), { recursive: true });
  mkdirSync(join(d.userData, 'Machine'), { recursive: true });
  writeFileSync(join(d.userData, 'User/settings.json'), JSON.stringify(pick(false), null, 2));
  writeFileSync(join(d.userData, 'Machine/settings.json'), JSON.stringify(pick(true), null, 2));
  const args = [
    codeServerEntry, '--config', '/dev/null', '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--user-data-dir', d.userData, '--extensions-dir', d.extensions,
  ];
  if (smokeTest) args.push('--vscode-option', 'enable-smoke-test-driver');
  if (workspace) args.push(workspace);
  const child = spawn(node24, args, { env: env(runDir, extraEnv), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const log = createWriteStream(logFile ?? join(runDir, 'code-server.log'));
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited during start (${JSON.stringify(exited)}); see ${logFile ?? join(runDir, 'code-server.log')}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      stopProcessGroup(child);
      throw new Error('code-server did not answer /healthz within 60 s');
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, child, stop: () => stopProcessGroup(child) };
}

/** Kills the whole process group (code-server forks the extension host and more). */
export function stopProcessGroup(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return resolve();
    }
    setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000).unref();
  });
}
