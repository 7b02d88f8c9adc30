// An authenticated SSH connection (ssh2, pure JS), with exec and PTY shells.
import { promises as fs } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Client, utils, type AnyAuthMethod, type ClientChannel, type ConnectConfig, type ParsedKey, type SFTPWrapper } from 'ssh2';
import { SshAuthError, SshConnectError, SshError, SshKeyFileError, abortError, type SshConnectFailure } from './errors';
import { HostVerification, type ConfirmUnknown, type VerifiedHostKey } from './host-verifier';
import type { KnownHosts } from './known-hosts';

export interface ConnectSshOptions {
  host: string;
  /** Default 22. */
  port?: number;
  username: string;
  privateKeyPath?: string;
  passphrase?: string;
  /** ssh-agent socket. Default: process.env.SSH_AUTH_SOCK; false: do not use an agent. */
  agentSocket?: string | false;
  knownHosts: KnownHosts;
  confirmUnknown: ConfirmUnknown;
  /** Connect + handshake + auth budget, not counting time spent in confirmUnknown. Default 20000. */
  readyTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface Disposable {
  dispose(): void;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when the command was killed by a signal or the server sent none. */
  code: number | null;
  /** Signal name as Node spells it (e.g. `SIGTERM`) when killed by a signal. */
  signal: string | null;
}

export interface ShellOptions {
  rows?: number;
  cols?: number;
  /** TERM value. Default `xterm-256color`. */
  term?: string;
}

export interface ShellExit {
  code: number | null;
  signal: string | null;
}

export interface SshShell {
  /** Output (stdout and stderr of the PTY), UTF-8 decoded. Output before the first listener is buffered. */
  onData(listener: (data: string) => void): Disposable;
  /** Fires once, when the channel closed. */
  onExit(listener: (exit: ShellExit) => void): Disposable;
  write(data: string | Buffer): void;
  resize(rows: number, cols: number): void;
  close(): void;
}

/** A remote command with streamed stdio (nothing buffered): for builds, file copies and long output. */
export interface SshProcess {
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** End it to send EOF. */
  readonly stdin: Writable;
  /** Resolves when the channel closed; code null when killed by a signal or none was sent. */
  readonly exit: Promise<ShellExit>;
  /** Closes the channel (the remote side sees EOF/SIGPIPE; kill the process explicitly if it must stop). */
  close(): void;
}

export interface SshSession {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly hostKey: VerifiedHostKey;
  exec(command: string, opts?: { signal?: AbortSignal }): Promise<ExecResult>;
  shell(opts?: ShellOptions): Promise<SshShell>;
  /** Starts a command with streamed stdin/stdout/stderr. */
  start(command: string): Promise<SshProcess>;
  /** Opens an SFTP channel (the server's sftp subsystem); end it when done. */
  sftp(): Promise<SFTPWrapper>;
  /** Fires once when the connection is gone (error set when it did not end by close()). */
  onClose(listener: (error?: Error) => void): Disposable;
  close(): void;
}

/** ssh2's host key algorithm names for a known_hosts key type. */
function algorithmsFor(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}
const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
];

/** Prefer the key types we already know for this host, as OpenSSH does, so a known key is presented. */
export function hostKeyAlgorithms(knownTypes: string[]): string[] {
  const preferred = knownTypes.flatMap(algorithmsFor).filter((a) => DEFAULT_HOST_KEY_ALGORITHMS.includes(a));
  return [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}

/** Reads and parses a private key file, mapping every failure to an SshKeyFileError. */
export async function loadPrivateKey(path: string, passphrase?: string): Promise<ParsedKey> {
  let data: Buffer;
  try {
    data = await fs.readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new SshKeyFileError('missing', path);
    if (code === 'EISDIR') throw new SshKeyFileError('invalid', path, 'it is a directory');
    throw new SshKeyFileError('unreadable', path, code);
  }
  const parsed = utils.parseKey(data, passphrase);
  if (parsed instanceof Error) {
    if (/no passphrase given/i.test(parsed.message)) throw new SshKeyFileError('encrypted', path);
    if (passphrase !== undefined && /passphrase|decrypt/i.test(parsed.message)) {
      throw new SshKeyFileError('bad-passphrase', path);
    }
    throw new SshKeyFileError('invalid', path, parsed.message);
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) throw new SshKeyFileError('invalid', path);
  return key;
}

const SOCKET_FAILURES: Record<string, SshConnectFailure> = {
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
};

/** Maps an ssh2 connection error (before 'ready') to a typed error naming host:port. */
export function connectErrorFrom(err: Error & { level?: string; code?: string }, host: string, port: number): Error {
  if (err instanceof SshError) return err;
  if (err.level === 'client-socket' || err.level === 'client-dns') {
    const kind = (err.code && SOCKET_FAILURES[err.code]) || (err.level === 'client-dns' ? 'dns' : 'reset');
    return new SshConnectError(kind, host, port, err.code ?? err.message, err.code);
  }
  if (err.level === 'client-timeout') return new SshConnectError('timeout', host, port, err.message);
  return new SshConnectError('protocol', host, port, err.message);
}

export async function connectSsh(opts: ConnectSshOptions): Promise<SshSession> {
  const { host, username, knownHosts, confirmUnknown, signal } = opts;
  const port = opts.port ?? 22;
  if (!host) throw new TypeError('connectSsh: host is required');
  if (!username) throw new TypeError('connectSsh: username is required');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`connectSsh: invalid port ${port}`);
  signal?.throwIfAborted();

  const agentSocket = opts.agentSocket === false ? undefined : (opts.agentSocket ?? process.env.SSH_AUTH_SOCK) || undefined;
  const key = opts.privateKeyPath ? await loadPrivateKey(opts.privateKeyPath, opts.passphrase) : undefined;
  const knownTypes = await knownHosts.knownKeyTypes(host, port);
  signal?.throwIfAborted();

  // The key the user chose first, then the agent's keys.
  const pending: { label: string; method: AnyAuthMethod }[] = [];
  if (key) pending.push({ label: `publickey (${opts.privateKeyPath})`, method: { type: 'publickey', username, key } });
  if (agentSocket) pending.push({ label: `agent (${agentSocket})`, method: { type: 'agent', username, agent: agentSocket } });
  const tried: string[] = [];
  let serverMethods: string[] = [];

  const client = new Client();
  const timeoutMs = opts.readyTimeoutMs ?? 20_000;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;

  return new Promise<SshSession>((resolve, reject) => {
    const verification = new HostVerification(host, port, knownHosts, confirmUnknown, {
      onAskStart: () => clearTimeout(timer),
      onAskEnd: () => armTimer(),
      isClosed: () => settled,
    });
    let hostKey: Promise<VerifiedHostKey> | undefined;

    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      client.destroy();
      reject(err);
    };
    const onAbort = () => fail(abortError(signal!));
    function armTimer() {
      clearTimeout(timer);
      if (timeoutMs > 0 && !settled) {
        timer = setTimeout(
          () => fail(new SshConnectError('timeout', host, port, `no SSH session within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    client.on('handshake', () => {
      hostKey ??= verification.commit();
      hostKey.catch(fail);
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (verification.failure) return fail(verification.failure);
      if (err.level === 'client-authentication') {
        return fail(new SshAuthError(host, port, username, tried, serverMethods));
      }
      fail(connectErrorFrom(err, host, port));
    });
    client.on('close', () => {
      fail(verification.failure ?? new SshConnectError('reset', host, port, 'connection closed before login completed'));
    });
    client.on('ready', () => {
      (hostKey ?? Promise.reject(new Error('ready without handshake'))).then((hk) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        client.removeAllListeners('error');
        client.removeAllListeners('close');
        resolve(new Ssh2Session(client, host, port, username, hk));
      }, fail);
    });

    const config: ConnectConfig = {
      host,
      port,
      username,
      readyTimeout: 0, // our own timer, paused while the user decides about an unknown key
      hostVerifier: verification.hostVerifier,
      algorithms: { serverHostKey: hostKeyAlgorithms(knownTypes) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      authHandler: (methodsLeft, _partial, next) => {
        if (methodsLeft) serverMethods = methodsLeft;
        const nextMethod = pending.shift();
        if (!nextMethod) return (next as unknown as (m: false) => void)(false) // ssh2: false = give up;
        tried.push(nextMethod.label);
        next(nextMethod.method);
      },
    };
    armTimer();
    try {
      client.connect(config);
    } catch (e) {
      fail(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

class Ssh2Session implements SshSession {
  private closedByUs = false;
  private closed = false;
  private closeError: Error | undefined;
  private readonly closeListeners = new Set<(error?: Error) => void>();

  constructor(
    private readonly client: Client,
    readonly host: string,
    readonly port: number,
    readonly username: string,
    readonly hostKey: VerifiedHostKey,
  ) {
    client.on('error', (err: Error) => { this.closeError ??= err; });
    client.on('close', () => {
      this.closed = true;
      const err = this.closedByUs ? undefined : (this.closeError ?? new SshError(`Connection to ${host}:${port} was lost`));
      for (const l of [...this.closeListeners]) l(err);
      this.closeListeners.clear();
    });
  }

  private ensureOpen(): void {
    if (this.closed) throw new SshError(`The SSH connection to ${this.host}:${this.port} is closed`);
  }

  exec(command: string, opts: { signal?: AbortSignal } = {}): Promise<ExecResult> {
    const { signal } = opts;
    return new Promise<ExecResult>((resolve, reject) => {
      this.ensureOpen();
      signal?.throwIfAborted();
      this.client.exec(command, (err, stream) => {
        if (err) return reject(new SshError(`Cannot run a command on ${this.host}:${this.port}: ${err.message}`));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code: number | null = null;
        let sig: string | null = null;
        let done = false;
        const onAbort = () => {
          if (done) return;
          done = true;
          try { stream.signal('KILL'); } catch { /* best effort */ }
          stream.close();
          reject(abortError(signal!));
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errOut.push(d));
        stream.on('exit', (c: number | null, s?: string) => {
          code = typeof c === 'number' ? c : null;
          sig = s ?? null;
        });
        stream.on('close', () => {
          signal?.removeEventListener('abort', onAbort);
          if (done) return;
          done = true;
          resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8'), code, signal: sig });
        });
      });
    });
  }

  start(command: string): Promise<SshProcess> {
    return new Promise<SshProcess>((resolve, reject) => {
      this.ensureOpen();
      this.client.exec(command, (err, stream) => {
        if (err) return reject(new SshError(`Cannot run a command on ${this.host}:${this.port}: ${err.message}`));
        let code: number | null = null;
        let sig: string | null = null;
        stream.on('exit', (c: number | null, s?: string) => {
          code = typeof c === 'number' ? c : null;
          sig = s ?? null;
        });
        const exit = new Promise<ShellExit>((r) => stream.on('close', () => r({ code, signal: sig })));
        resolve({ stdout: stream, stderr: stream.stderr, stdin: stream, exit, close: () => stream.close() });
      });
    });
  }

  sftp(): Promise<SFTPWrapper> {
    return new Promise<SFTPWrapper>((resolve, reject) => {
      this.ensureOpen();
      this.client.sftp((err, sftp) => {
        if (err) return reject(new SshError(`Cannot open SFTP on ${this.host}:${this.port}: ${err.message}`));
        resolve(sftp);
      });
    });
  }

  shell(opts: ShellOptions = {}): Promise<SshShell> {
    const window = { rows: opts.rows ?? 24, cols: opts.cols ?? 80, height: 0, width: 0, term: opts.term ?? 'xterm-256color' };
    return new Promise<SshShell>((resolve, reject) => {
      this.ensureOpen();
      this.client.shell(window, (err, stream) => {
        if (err) return reject(new SshError(`Cannot open a shell on ${this.host}:${this.port}: ${err.message}`));
        resolve(new Ssh2Shell(stream));
      });
    });
  }

  onClose(listener: (error?: Error) => void): Disposable {
    if (this.closed) {
      queueMicrotask(() => listener(this.closedByUs ? undefined : this.closeError));
      return { dispose() {} };
    }
    this.closeListeners.add(listener);
    return { dispose: () => this.closeListeners.delete(listener) };
  }

  close(): void {
    this.closedByUs = true;
    this.client.end();
  }
}

class Ssh2Shell implements SshShell {
  private readonly dataListeners = new Set<(data: string) => void>();
  private readonly exitListeners = new Set<(exit: ShellExit) => void>();
  private buffered: string[] = [];
  private exit: ShellExit | undefined;
  private exitCode: number | null = null;
  private exitSignal: string | null = null;

  constructor(private readonly stream: ClientChannel) {
    const out = new StringDecoder('utf8');
    const err = new StringDecoder('utf8');
    stream.on('data', (d: Buffer) => this.emit(out.write(d)));
    stream.stderr.on('data', (d: Buffer) => this.emit(err.write(d)));
    stream.on('exit', (c: number | null, s?: string) => {
      this.exitCode = typeof c === 'number' ? c : null;
      this.exitSignal = s ?? null;
    });
    stream.on('close', () => {
      this.emit(out.end() + err.end());
      this.exit = { code: this.exitCode, signal: this.exitSignal };
      for (const l of [...this.exitListeners]) l(this.exit);
      this.exitListeners.clear();
    });
  }

  private emit(data: string): void {
    if (!data) return;
    if (this.dataListeners.size === 0) this.buffered.push(data);
    else for (const l of [...this.dataListeners]) l(data);
  }

  onData(listener: (data: string) => void): Disposable {
    this.dataListeners.add(listener);
    if (this.buffered.length) {
      const pending = this.buffered.join('');
      this.buffered = [];
      listener(pending);
    }
    return { dispose: () => this.dataListeners.delete(listener) };
  }

  onExit(listener: (exit: ShellExit) => void): Disposable {
    if (this.exit) {
      const e = this.exit;
      queueMicrotask(() => listener(e));
      return { dispose() {} };
    }
    this.exitListeners.add(listener);
    return { dispose: () => this.exitListeners.delete(listener) };
  }

  write(data: string | Buffer): void {
    if (this.exit) return;
    this.stream.write(data);
  }

  resize(rows: number, cols: number): void {
    if (this.exit) return;
    if (!(rows > 0 && cols > 0)) throw new RangeError(`Invalid terminal size ${rows}x${cols}`);
    this.stream.setWindow(rows, cols, 0, 0);
  }

  close(): void {
    if (this.exit) return;
    this.stream.end();
    this.stream.close();
  }
}
