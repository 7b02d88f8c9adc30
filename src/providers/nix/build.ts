// Builds the self-installing ISO with `nix build`, locally (child process in its own process
// group, so cancel stops the whole build) or on a build host over SSH (flake copied with tar,
// build streamed, stopped by process group on cancel, ISO fetched back or its remote path given).
import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SshSession } from '../ssh';
import { NixError, noBuilderError } from './errors';

export type BuildPhase = 'copying' | 'evaluating' | 'fetching' | 'building' | 'compressing' | 'fetching-iso' | 'done';

export interface BuildHandlers {
  /** Each output line of the build as nix printed it (stdout and stderr interleaved). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  onPhase?: (phase: BuildPhase) => void;
  /** Bytes of the ISO fetched back from a build host. */
  onFetchProgress?: (bytes: number, total: number) => void;
  signal?: AbortSignal;
}

export interface NixInstallation {
  path: string;
  version: string;
}

/** The flake attribute with the ISO (packages.<system>.iso = config.system.build.images.iso-installer). */
export const ISO_ATTR = 'iso';

/** `nix` arguments of the ISO build. `path:` (not git+file:) so untracked files in a git workspace count. */
export function nixBuildArgs(flakeDir: string, outLink: string, attr = ISO_ATTR): string[] {
  return [
    '--extra-experimental-features', 'nix-command flakes',
    'build', `path:${flakeDir}#${attr}`,
    '--out-link', outLink,
    '--print-build-logs',
    '--print-out-paths',
  ];
}

/** Phase shown in the notification, guessed from nix's output. */
export function phaseOf(line: string): BuildPhase | undefined {
  if (/mksquashfs|squashfs|xorriso|Creating .* filesystem/i.test(line)) return 'compressing';
  if (/^\s*building '|> building|^\s*\w[\w.-]*> /.test(line)) return 'building';
  if (/copying path|downloading|fetching/i.test(line)) return 'fetching';
  if (/evaluat/i.test(line)) return 'evaluating';
  return undefined;
}

function searchPath(name: string, env: NodeJS.ProcessEnv): string[] {
  return (env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, name));
}

/** Local Nix if there is one on PATH that answers `--version`; else undefined. */
export async function detectLocalNix(o: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<NixInstallation | undefined> {
  const env = o.env ?? process.env;
  for (const candidate of searchPath('nix', env)) {
    try {
      await fsp.access(candidate, 1 /* X_OK */);
    } catch {
      continue;
    }
    const version = await new Promise<string | undefined>((resolve) => {
      execFile(candidate, ['--version'], { env, timeout: o.timeoutMs ?? 10_000 }, (err, stdout) => resolve(err ? undefined : String(stdout).trim()));
    });
    if (version) return { path: candidate, version: version.replace(/^nix \(Nix\)\s*/, '') };
  }
  return undefined;
}

export type BuildWhere = { kind: 'local'; nix: NixInstallation } | { kind: 'remote'; host: string };

/** Local Nix first, else the configured build host, else the explanation of the two ways. */
export async function chooseBuilder(o: { buildHost?: string; env?: NodeJS.ProcessEnv }): Promise<BuildWhere> {
  const nix = await detectLocalNix({ env: o.env });
  if (nix) return { kind: 'local', nix };
  if (o.buildHost?.trim()) return { kind: 'remote', host: o.buildHost.trim() };
  throw noBuilderError();
}

/** Splits a byte stream into lines (the last partial line is flushed at the end). */
export function lineSplitter(onLine: (line: string) => void): Writable {
  let rest = '';
  const dec = new TextDecoder();
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      rest += dec.decode(chunk, { stream: true });
      const parts = rest.split(/\r?\n|\r/);
      rest = parts.pop() ?? '';
      for (const p of parts) onLine(p);
      cb();
    },
    final(cb) {
      rest += dec.decode();
      if (rest) onLine(rest);
      cb();
    },
  });
}

/** The .iso under an out-link (result/iso/*.iso), checked to be ISO 9660 ("CD001" at 0x8001). */
export async function findIso(outLink: string): Promise<string> {
  const dir = path.join(outLink, 'iso');
  let names: string[];
  try {
    names = (await fsp.readdir(dir)).filter((n) => n.endsWith('.iso'));
  } catch {
    names = [];
  }
  if (!names.length) throw new NixError('no-output', `The build finished but ${dir} holds no .iso: does the flake's "${ISO_ATTR}" output build an ISO image?`, { outLink });
  const iso = path.join(dir, names.sort()[names.length - 1]);
  const fh = await fsp.open(iso, 'r');
  try {
    const b = Buffer.alloc(5);
    await fh.read(b, 0, 5, 0x8001);
    if (b.toString('latin1') !== 'CD001') throw new NixError('no-output', `${iso} is not an ISO 9660 image (no CD001 signature)`, { iso });
  } finally {
    await fh.close();
  }
  return iso;
}

export interface BuildResult {
  /** Local ISO path (after fetching it back for a remote build). */
  isoPath?: string;
  /** ISO path on the build host (remote builds). */
  remoteIsoPath?: string;
  durationMs: number;
  /** Last lines of output (for error messages and the journal). */
  tail: string[];
}

const TAIL = 30;
function tailKeeper(h: BuildHandlers) {
  const tail: string[] = [];
  let phase: BuildPhase | undefined;
  const setPhase = (p: BuildPhase | undefined) => {
    if (p && p !== phase) h.onPhase?.((phase = p));
  };
  const onLine = (line: string, stream: 'stdout' | 'stderr') => {
    tail.push(line);
    if (tail.length > TAIL) tail.shift();
    setPhase(phaseOf(line));
    h.onLine?.(line, stream);
  };
  return { tail, onLine, setPhase };
}

function cancelled(where: string): NixError {
  return new NixError('cancelled', `The ISO build ${where} was cancelled and stopped.`);
}

export interface LocalBuildOptions extends BuildHandlers {
  nix: string;
  flakeDir: string;
  outLink: string;
  env?: NodeJS.ProcessEnv;
  /** Between SIGTERM and SIGKILL on cancel, default 5000. */
  killGraceMs?: number;
}

/** Runs `nix build` in its own process group; cancel (signal) kills the group, children included. */
export async function buildIsoLocally(o: LocalBuildOptions): Promise<BuildResult> {
  o.signal?.throwIfAborted();
  const started = Date.now();
  const { tail, onLine, setPhase } = tailKeeper(o);
  setPhase('evaluating');
  const child = spawn(o.nix, nixBuildArgs(o.flakeDir, o.outLink), {
    cwd: o.flakeDir, env: o.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, sig);
    } catch { /* already gone */ }
  };
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    aborted = true;
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), o.killGraceMs ?? 5000);
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const out = pipeline(child.stdout!, lineSplitter((l) => onLine(l, 'stdout')));
  const err = pipeline(child.stderr!, lineSplitter((l) => onLine(l, 'stderr')));
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    }).catch((e: NodeJS.ErrnoException) => {
      throw new NixError('build-failed', `Cannot start ${o.nix}: ${e.code === 'ENOENT' ? 'not found' : e.message}`);
    });
    await Promise.allSettled([out, err]);
    if (aborted) {
      killGroup('SIGKILL'); // whatever the build left behind in its group
      throw cancelled('on this machine');
    }
    if (exit.code !== 0) {
      throw new NixError('build-failed', `nix build failed (${exit.code === null ? `killed by ${exit.signal}` : `exit code ${exit.code}`}). Last output:\n${tail.slice(-10).join('\n')}`, { tail: [...tail], code: exit.code });
    }
    const isoPath = await findIso(o.outLink);
    setPhase('done');
    return { isoPath, durationMs: Date.now() - started, tail };
  } finally {
    clearTimeout(killTimer);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/** POSIX shell quoting for the remote command line. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface RemoteBuildOptions extends BuildHandlers {
  session: SshSession;
  /** Local flake directory (staged) to copy over. */
  flakeDir: string;
  /** Build directory on the host; default $HOME/.cache/homelab/nix-build. Its contents are replaced. */
  remoteDir?: string;
  /** nix on the host; default `nix` from the login PATH. */
  nixCommand?: string;
  /** Fetch the ISO back to this local path; without it only remoteIsoPath is returned. */
  fetchTo?: string;
}

const PID_FILE = '.homelab-build.pid';

/** The error for a dropped connection mid-build (the build may still run there). */
function connectionLost(s: SshSession, dir: string, during: string, cause?: Error): NixError {
  return new NixError('connection-lost',
    `The SSH connection to ${s.host}:${s.port} was lost during ${during}${cause ? ` (${cause.message})` : ''}. ` +
    `The build may still be running there (process group in ${dir}/${PID_FILE}); run the build again to start over once the host is reachable.`,
    { host: s.host, remoteDir: dir });
}

async function remoteRun(s: SshSession, cmd: string, signal?: AbortSignal): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await s.exec(cmd, { signal });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** Races a promise against the session dropping. */
function whileConnected<T>(s: SshSession, p: Promise<T>, lost: (e?: Error) => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const d = s.onClose((e) => reject(lost(e)));
    p.then((v) => { d.dispose(); resolve(v); }, (e) => { d.dispose(); reject(e); });
  });
}

export async function buildIsoRemotely(o: RemoteBuildOptions): Promise<BuildResult> {
  const s = o.session;
  o.signal?.throwIfAborted();
  const started = Date.now();
  const { tail, onLine, setPhase } = tailKeeper(o);
  const nix = o.nixCommand ?? 'nix';
  const home = o.remoteDir ? undefined : (await remoteRun(s, 'printf %s "$HOME"', o.signal)).stdout.trim();
  const dir = o.remoteDir ?? `${home}/.cache/homelab/nix-build`;
  const flake = `${dir}/flake`;
  const outLink = `${dir}/result`;

  // 1. nix present on the host?
  const has = await remoteRun(s, `command -v ${shQuote(nix)} >/dev/null 2>&1 && ${shQuote(nix)} --version`, o.signal);
  if (has.code !== 0) {
    throw new NixError('remote', `${s.host} has no "${nix}" on its PATH for non-interactive SSH sessions: install Nix there (or set the full path of nix), then build again.`, { host: s.host });
  }

  // 2. Copy the flake: local tar -> ssh tar -x (the old copy is replaced).
  setPhase('copying');
  const recv = await s.start(`set -e; rm -rf ${shQuote(flake)}; mkdir -p ${shQuote(flake)}; tar -xf - -C ${shQuote(flake)}`);
  const tar = spawn('tar', ['-cf', '-', '-C', o.flakeDir, '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const copyErr: string[] = [];
  recv.stderr.on('data', (d: Buffer) => copyErr.push(d.toString()));
  recv.stdout.resume(); // tar -x prints nothing; reading lets the channel end
  tar.stderr!.on('data', (d: Buffer) => copyErr.push(d.toString()));
  const copied = whileConnected(s, (async () => {
    await new Promise<void>((resolve, reject) => {
      tar.stdout!.on('error', reject);
      tar.stdout!.pipe(recv.stdin);
      tar.stdout!.on('end', () => resolve());
    });
    const [exit, tarCode] = await Promise.all([recv.exit, new Promise<number | null>((r) => (tar.exitCode !== null ? r(tar.exitCode) : tar.once('close', r)))]);
    if (tarCode !== 0) return { code: tarCode, signal: null };
    return exit;
  })(), (e) => connectionLost(s, dir, 'the copy of the flake', e));
  const copyExit = await copied;
  if (copyExit.code !== 0) throw new NixError('remote', `Copying the flake to ${s.host}:${flake} failed: ${copyErr.join('').trim() || `exit ${copyExit.code}`}`);

  // 3. Build. The remote shell leads its own process group (sshd setsid()s each session): its pid,
  //    written first, lets a cancel stop nix and all its children.
  o.signal?.throwIfAborted();
  setPhase('evaluating');
  const args = nixBuildArgs(flake, outLink).map(shQuote).join(' ');
  const proc = await s.start(`cd ${shQuote(dir)} && echo $$ > ${PID_FILE} && exec ${shQuote(nix)} ${args}`);
  const outDone = pipeline(proc.stdout, lineSplitter((l) => onLine(l, 'stdout')));
  const errDone = pipeline(proc.stderr, lineSplitter((l) => onLine(l, 'stderr')));
  let aborted = false;
  const stopRemote = async () => {
    aborted = true;
    const pidf = shQuote(`${dir}/${PID_FILE}`);
    // TERM the group, then KILL what is left after a grace period.
    await s.exec(`p=$(cat ${pidf} 2>/dev/null) || exit 0; kill -TERM -- -$p 2>/dev/null || kill -TERM $p 2>/dev/null; ` +
      `for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 -- -$p 2>/dev/null || exit 0; sleep 0.5; done; kill -KILL -- -$p 2>/dev/null; exit 0`).catch(() => undefined);
    proc.close();
  };
  const onAbort = () => void stopRemote();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let exit;
  try {
    exit = await whileConnected(s, proc.exit, (e) => connectionLost(s, dir, 'the build', e));
    await Promise.allSettled([outDone, errDone]);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  if (aborted) throw cancelled(`on ${s.host}`);
  if (exit.code !== 0) {
    throw new NixError('build-failed', `nix build on ${s.host} failed (${exit.code === null ? `killed${exit.signal ? ` by ${exit.signal}` : ''}` : `exit code ${exit.code}`}). Last output:\n${tail.slice(-10).join('\n')}`, { tail: [...tail], code: exit.code, host: s.host });
  }

  // 4. The ISO path there (checked like a local one).
  const found = await remoteRun(s, `for f in ${shQuote(outLink)}/iso/*.iso; do [ -f "$f" ] && readlink -f "$f"; done | tail -n 1`);
  const remoteIsoPath = found.stdout.trim();
  if (!remoteIsoPath) throw new NixError('no-output', `The build on ${s.host} finished but ${outLink}/iso holds no .iso.`, { host: s.host });
  const sig = await remoteRun(s, `dd if=${shQuote(remoteIsoPath)} bs=1 skip=32769 count=5 2>/dev/null`);
  if (sig.stdout !== 'CD001') throw new NixError('no-output', `${s.host}:${remoteIsoPath} is not an ISO 9660 image (no CD001 signature).`, { host: s.host });

  const result: BuildResult = { remoteIsoPath, durationMs: 0, tail };
  if (o.fetchTo) {
    setPhase('fetching-iso');
    await fetchRemoteFile(s, remoteIsoPath, o.fetchTo, { onProgress: o.onFetchProgress, signal: o.signal });
    result.isoPath = o.fetchTo;
  }
  setPhase('done');
  result.durationMs = Date.now() - started;
  return result;
}

/** Streams a remote file to a local path (`cat` over an exec channel; constant memory), then
 *  checks size and SHA-256 against the host's own. A partial file is removed. */
export async function fetchRemoteFile(s: SshSession, remotePath: string, localPath: string,
  o: { onProgress?: (bytes: number, total: number) => void; signal?: AbortSignal } = {}): Promise<{ size: number; sha256: string }> {
  const info = await s.exec(`stat -Lc %s ${shQuote(remotePath)} && sha256sum ${shQuote(remotePath)}`, { signal: o.signal });
  const m = /^(\d+)\s+([0-9a-f]{64})\b/m.exec(info.stdout.replace(/\n/, ' '));
  if (info.code !== 0 || !m) throw new NixError('remote', `Cannot read ${s.host}:${remotePath}: ${info.stderr.trim() || 'stat/sha256sum failed'}`);
  const total = Number(m[1]);
  const want = m[2];
  await fsp.mkdir(path.dirname(localPath), { recursive: true });
  const proc = await s.start(`cat -- ${shQuote(remotePath)}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      bytes += chunk.length;
      hash.update(chunk);
      o.onProgress?.(bytes, total);
      cb(null, chunk);
    },
  });
  const onAbort = () => proc.close();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await whileConnected(s, pipeline(proc.stdout, counter, createWriteStream(localPath)), (e) => connectionLost(s, path.dirname(remotePath), 'the download of the ISO', e));
    o.signal?.throwIfAborted();
    const got = hash.digest('hex');
    if (bytes !== total || got !== want) {
      throw new NixError('remote', `The ISO fetched from ${s.host} is damaged (${bytes} of ${total} bytes, sha256 ${got.slice(0, 12)}... != ${want.slice(0, 12)}...): fetch it again.`);
    }
    return { size: total, sha256: got };
  } catch (e) {
    await fsp.rm(localPath, { force: true });
    if (o.signal?.aborted && !(e instanceof NixError && e.kind === 'connection-lost')) throw new NixError('cancelled', 'The download of the ISO was cancelled.');
    throw e;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}
