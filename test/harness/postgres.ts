// Starts REAL PostgreSQL 15 servers (Debian's binaries) on 127.0.0.1, each with its own data
// directory in a temp dir: initdb + postgres, scram-sha-256 over TCP with a generated password,
// a free port. PostgreSQL refuses to run as root, so when the tests run as root the server runs as
// the `postgres` system user (setpriv) in a temp dir it owns. Never touches the system cluster.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './sshd';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface PgServer {
  /** 127.0.0.1 for servers this harness starts. */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** postgresql://user:password@127.0.0.1:port/database */
  readonly url: string;
  /** The temp dir (data directory, socket, log). */
  readonly dir: string;
  /** Runs SQL (psql, ON_ERROR_STOP) over the server's Unix socket; resolves with psql's stdout (-At). */
  psql(sql: string, o?: { database?: string }): Promise<string>;
  /** The server's log so far. */
  logs(): string;
  /** Fast shutdown, then the temp dir is removed: nothing is left behind. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions { password?: string; user?: string; database?: string }

const running = new Set<{ child: ChildProcess; dir: string }>();
let exitHookInstalled = false;
/** A test process that ends without calling stop() still leaves no server or data directory behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const r of running) {
      try { r.child.kill('SIGQUIT'); } catch { /* gone */ }
      try { rmSync(r.dir, { recursive: true, force: true }); } catch { /* best effort */ }
    }
  });
}

const asRoot = process.getuid?.() === 0;
function pgIds(): { uid: number; gid: number } {
  return { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()) };
}
/** The command line that runs `bin args` as the postgres user when we are root. */
function asPostgres(bin: string, args: string[]): [string, string[]] {
  return asRoot ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', bin, ...args]] : [bin, args];
}

function run(bin: string, args: string[], o: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { env: o.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = []; const err: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    p.on('error', reject);
    p.stdin.on('error', () => undefined);
    p.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    p.stdin.end(o.input ?? '');
  });
}

export async function startPostgres(o: StartPostgresOptions = {}): Promise<PgServer> {
  const user = o.user ?? 'homelab';
  const password = o.password ?? randomBytes(12).toString('base64url');
  const database = o.database ?? 'app';
  const dir = mkdtempSync(join(tmpdir(), 'homelab-pg-'));
  const ids = asRoot ? pgIds() : undefined;
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (ids) chownSync(pwfile, ids.uid, ids.gid);
  try {
    const [ib, ia] = asPostgres(join(PG_BIN, 'initdb'), ['-D', data, '-U', user, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    const init = await run(ib, ia, { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    if (init.code !== 0) throw new Error(`initdb failed (${init.code}): ${init.stderr || init.stdout}`);
  } finally { rmSync(pwfile, { force: true }); }

  let log = '';
  let child: ChildProcess | undefined;
  let port = 0;
  // A free port can be taken between the check and the bind (other helpers run tests too): retry.
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    const [pb, pa] = asPostgres(join(PG_BIN, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
      // A throwaway server: durability is not what the tests measure.
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=40', '-c', 'shared_buffers=64MB', '-c', 'TimeZone=UTC']);
    const c = spawn(pb, pa, { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (d: Buffer) => { log += d.toString('utf8'); });
    c.stderr!.on('data', (d: Buffer) => { log += d.toString('utf8'); });
    const entry = { child: c, dir };
    running.add(entry);
    installExitHook();
    c.on('exit', () => running.delete(entry));
    const ok = await waitReady(c, dir, port, 30_000);
    if (ok) { child = c; break; }
    if (c.exitCode === null) c.kill('SIGQUIT');
    if (!/could not bind|Address already in use/.test(log)) { rmSync(dir, { recursive: true, force: true }); throw new Error(`postgres did not start: ${log.slice(-2000)}`); }
  }
  if (!child) { rmSync(dir, { recursive: true, force: true }); throw new Error(`postgres did not start after 5 ports: ${log.slice(-2000)}`); }
  const server = child;

  const psql = async (sql: string, po: { database?: string } = {}): Promise<string> => {
    const r = await run(join(PG_BIN, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', user, '-d', po.database ?? database], { input: sql });
    if (r.code !== 0) throw new Error(`psql failed (${r.code}): ${r.stderr.slice(0, 2000)}`);
    return r.stdout;
  };
  if (database !== 'postgres') await psql(`CREATE DATABASE "${database}"`, { database: 'postgres' });

  let stopped: Promise<void> | undefined;
  return {
    host: '127.0.0.1', port, user, password, database, dir,
    url: `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    psql,
    logs: () => log,
    stop: () => stopped ??= (async () => {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise<void>((r) => server.once('exit', () => r()));
        server.kill('SIGINT'); // fast shutdown: disconnects clients, no waiting for them
        const t = setTimeout(() => server.kill('SIGQUIT'), 10_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    })(),
  };
}

async function waitReady(child: ChildProcess, dir: string, port: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    if (existsSync(join(dir, `.s.PGSQL.${port}`))) {
      const r = await run(join(PG_BIN, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]);
      if (r.code === 0) return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * A server this harness did not start (e.g. a PostgreSQL pod of a real cluster, reached at its pod
 * IP), with the same interface: psql over TCP with the password (in the environment), stop() a no-op.
 */
export function remotePostgres(t: { host: string; port: number; user: string; password: string; database: string }): PgServer {
  const psql = async (sql: string, po: { database?: string } = {}): Promise<string> => {
    const r = await run(join(PG_BIN, 'psql'), ['-X', '-w', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', t.host, '-p', String(t.port), '-U', t.user, '-d', po.database ?? t.database], { input: sql, env: { ...process.env, PGPASSWORD: t.password, PGCONNECT_TIMEOUT: '5' } });
    if (r.code !== 0) throw new Error(`psql failed (${r.code}): ${r.stderr.slice(0, 2000)}`);
    return r.stdout;
  };
  return {
    host: t.host, port: t.port, user: t.user, password: t.password, database: t.database, dir: t.host,
    url: `postgresql://${encodeURIComponent(t.user)}:${encodeURIComponent(t.password)}@${t.host}:${t.port}/${encodeURIComponent(t.database)}`,
    psql, logs: () => '', stop: async () => undefined,
  };
}
