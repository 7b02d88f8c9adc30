// Starts a REAL OpenSSH sshd on a free 127.0.0.1 port, with its own config, host key, user key and
// authorized_keys in a temp dir. Never touches /etc/ssh or the system sshd.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const SSHD = '/usr/sbin/sshd';

export interface SshdHandle {
  /** 127.0.0.1 unless listenAddress chose another loopback address. */
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** Private key (unencrypted ed25519) whose public half is in authorized_keys. */
  readonly privateKeyPath: string;
  /** `ssh-ed25519 AAAA...` line of the CURRENT host key. */
  readonly hostPublicKey: string;
  readonly hostPublicKeyPath: string;
  /** `SHA256:...` of the current host key, as printed by `ssh-keygen -lf`. */
  readonly hostKeyFingerprint: string;
  readonly dir: string;
  /** Everything sshd logged (LogLevel VERBOSE, via -e) since start. */
  logs(): string;
  stop(): Promise<void>;
  /** Restart on the same port with a NEW host key (for the changed-key test). */
  regenerateHostKey(): Promise<void>;
}

export interface StartSshdOptions {
  /** Extra public key line to authorize, besides the generated user key. */
  userPublicKey?: string;
  /** Use this port instead of a free one (e.g. to start late on a port a test already chose). */
  port?: number;
  /** Another loopback address (127.0.0.2 ...), so several "hosts" can each have their own address. */
  listenAddress?: string;
  /** Environment of every session (one `SetEnv` line: sshd keeps only the first). HOME is the sshd's own dir unless given. */
  env?: Record<string, string>;
  /** Extra sshd_config lines (Subsystem, ForceCommand ...); environment goes in `env`. */
  extraConfig?: string[];
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function fingerprintOf(pubPath: string): string {
  // `256 SHA256:xxxx comment (ED25519)`
  const out = execFileSync('ssh-keygen', ['-lf', pubPath], { encoding: 'utf8' });
  const fp = out.split(/\s+/)[1];
  if (!fp?.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen -lf output: ${out}`);
  return fp;
}

function keygen(path: string, comment: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

/** Resolves once the port sends an SSH identification line. */
async function waitForBanner(port: number, timeoutMs: number, child: ChildProcess, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect({ host, port });
      let buf = '';
      const done = (v: boolean) => { sock.destroy(); resolve(v); };
      sock.setTimeout(1000, () => done(false));
      sock.on('data', (d) => { buf += d.toString('latin1'); if (buf.includes('\n')) done(buf.startsWith('SSH-')); });
      sock.on('error', (e) => { last = e.message; done(false); });
      sock.on('close', () => done(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd on ${host}:${port} did not answer within ${timeoutMs} ms (${last})`);
}

export async function startSshd(opts: StartSshdOptions = {}): Promise<SshdHandle> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir
  const dir = mkdtempSync(join(tmpdir(), 'homelab-sshd-'));
  const hostKeyPath = join(dir, 'ssh_host_ed25519_key');
  const privateKeyPath = join(dir, 'id_ed25519');
  const authorizedKeys = join(dir, 'authorized_keys');
  const configPath = join(dir, 'sshd_config');
  keygen(hostKeyPath, 'homelab-test-host');
  keygen(privateKeyPath, 'homelab-test-user');
  const userPub = readFileSync(`${privateKeyPath}.pub`, 'utf8').trim();
  writeFileSync(authorizedKeys, [userPub, opts.userPublicKey?.trim()].filter(Boolean).join('\n') + '\n', {
    mode: 0o600,
  });

  const listen = opts.listenAddress ?? '127.0.0.1';
  let port = opts.port ?? (await freePort(listen));
  let child: ChildProcess | undefined;
  let log = '';
  let hostPublicKey = '';
  let hostKeyFingerprint = '';

  const writeConfig = () =>
    writeFileSync(
      configPath,
      [
        `ListenAddress ${listen}`,
        `Port ${port}`,
        `HostKey ${hostKeyPath}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        `PasswordAuthentication no`,
        `KbdInteractiveAuthentication no`,
        `PubkeyAuthentication yes`,
        `StrictModes no`,
        `UsePAM no`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `PermitRootLogin prohibit-password`,
        `UseDNS no`,
        `PrintMotd no`,
        `PrintLastLog no`,
        `LogLevel VERBOSE`, // DEBUG would leak into sessions' stderr through -e
        // Sessions run the user's login shell; with the real HOME it would source the user's rc files
        // (a `pyenv rehash` there, killed with a test's session, once left a lock that hung every later
        // session). The sshd's own dir as HOME keeps sessions independent of the machine's user.
        `SetEnv ${Object.entries({ HOME: dir, ...opts.env }).map(([k, v]) => `${k}=${v}`).join(' ')}`,
        ...(opts.extraConfig ?? []),
        '',
      ].join('\n'),
    );

  const launch = async () => {
    hostPublicKey = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim();
    hostKeyFingerprint = fingerprintOf(`${hostKeyPath}.pub`);
    writeConfig();
    const c = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr!.on('data', (d: Buffer) => { log += d.toString('utf8'); });
    try {
      await waitForBanner(port, 10_000, c, listen);
    } catch (e) {
      c.kill('SIGTERM');
      throw new Error(`${(e as Error).message}\n--- sshd log ---\n${log}`);
    }
  };

  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => c.kill('SIGKILL'), 3000);
      c.once('exit', () => { clearTimeout(t); resolve(); });
      c.kill('SIGTERM');
    });
  };

  // A port picked free can be taken before sshd binds it: retry a few times with a new one.
  for (let attempt = 0; ; attempt++) {
    try {
      await launch();
      break;
    } catch (e) {
      if (opts.port !== undefined || attempt >= 2 || !/Bind to port|exited/.test(log + (e as Error).message)) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
      port = await freePort(listen);
      log = '';
    }
  }

  const username = userInfo().username;
  return {
    host: listen,
    get port() { return port; },
    username,
    privateKeyPath,
    get hostPublicKey() { return hostPublicKey; },
    hostPublicKeyPath: `${hostKeyPath}.pub`,
    get hostKeyFingerprint() { return hostKeyFingerprint; },
    dir,
    logs: () => log,
    async stop() {
      await kill();
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
    async regenerateHostKey() {
      await kill();
      keygen(hostKeyPath, 'homelab-test-host-new');
      await launch();
    },
  };
}
