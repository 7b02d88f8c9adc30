// Wait for a booting guest's sshd: retry TCP connect + SSH handshake with backoff, then record the
// host key (trust on first use). No authentication is attempted.
import { Client, type ConnectConfig } from 'ssh2';
import { HostKeyDeclinedError, HostKeyMismatchError, SshConnectError, SshWaitTimeoutError, abortError } from './errors';
import { HostVerification, type ConfirmUnknown, type VerifiedHostKey } from './host-verifier';
import type { KnownHosts } from './known-hosts';
import { connectErrorFrom, hostKeyAlgorithms } from './session';

export interface WaitForSshOptions {
  host: string;
  /** Default 22. */
  port?: number;
  /** Total budget for the server to answer. Default 300000 (5 min). Time spent in confirmUnknown is not counted. */
  timeoutMs?: number;
  /** First delay between attempts; grows x1.5 up to maxIntervalMs. Default 1000. */
  intervalMs?: number;
  /** Default 10000. */
  maxIntervalMs?: number;
  signal?: AbortSignal;
  knownHosts: KnownHosts;
  confirmUnknown: ConfirmUnknown;
  /** Called after each failed attempt (for a progress message). */
  onAttempt?: (attempt: number, error: Error) => void;
}

export type WaitForSshResult = VerifiedHostKey & { attempts: number };

/** Resolves with the verified host key; rejects with SshWaitTimeoutError, a host key error, or the abort reason. */
export async function waitForSsh(opts: WaitForSshOptions): Promise<WaitForSshResult> {
  const port = opts.port ?? 22;
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const maxInterval = opts.maxIntervalMs ?? 10_000;
  let interval = opts.intervalMs ?? 1000;
  const { signal } = opts;
  if (!opts.host) throw new TypeError('waitForSsh: host is required');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`waitForSsh: invalid port ${port}`);
  signal?.throwIfAborted();

  const start = Date.now();
  let pausedMs = 0; // time the user spent deciding about the key
  const remaining = () => start + timeoutMs + pausedMs - Date.now();
  let attempts = 0;
  let lastError: Error | undefined;

  while (true) {
    attempts++;
    const budget = remaining();
    try {
      const key = await probe(opts.host, port, Math.max(1, Math.min(budget, 10_000)), opts, (ms) => { pausedMs += ms; });
      return { ...key, attempts };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (signal?.aborted) throw abortError(signal);
      // A key problem will not fix itself by retrying.
      if (err instanceof HostKeyMismatchError || err instanceof HostKeyDeclinedError) throw err;
      lastError = err;
      opts.onAttempt?.(attempts, err);
    }
    const left = remaining();
    if (left <= 0) throw new SshWaitTimeoutError(opts.host, port, timeoutMs, attempts, lastError);
    await sleep(Math.min(interval, left), signal);
    // An attempt with next to no time left could only fail with a timeout of its own and hide the
    // real last error (refused, reset...): stop with that one instead.
    if (remaining() < MIN_ATTEMPT_MS) throw new SshWaitTimeoutError(opts.host, port, timeoutMs, attempts, lastError);
    interval = Math.min(maxInterval, Math.round(interval * 1.5));
  }
}

const MIN_ATTEMPT_MS = 100;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => { clearTimeout(t); reject(abortError(signal!)); };
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One attempt: handshake until the host key is verified (and stored when new), then disconnect. */
async function probe(
  host: string,
  port: number,
  timeoutMs: number,
  opts: WaitForSshOptions,
  addPaused: (ms: number) => void,
): Promise<VerifiedHostKey> {
  const knownTypes = await opts.knownHosts.knownKeyTypes(host, port);
  const client = new Client();
  const { signal } = opts;
  return new Promise<VerifiedHostKey>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let askedAt = 0;
    let handshaken = false; // after this only commit() decides: the auth refusal that follows is expected
    const finish = (err: Error | undefined, key?: VerifiedHostKey) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      client.destroy();
      if (err) reject(err);
      else resolve(key!);
    };
    const onAbort = () => finish(abortError(signal!));
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(new SshConnectError('timeout', host, port, `no SSH handshake within ${timeoutMs} ms`)), timeoutMs);
    };
    const verification = new HostVerification(host, port, opts.knownHosts, opts.confirmUnknown, {
      onAskStart: () => { clearTimeout(timer); askedAt = Date.now(); },
      onAskEnd: () => { addPaused(Date.now() - askedAt); arm(); },
      isClosed: () => settled,
    });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    client.on('handshake', () => {
      if (handshaken) return;
      handshaken = true;
      clearTimeout(timer);
      verification.commit().then((k) => finish(undefined, k), (e: Error) => finish(e));
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (!handshaken) finish(verification.failure ?? connectErrorFrom(err, host, port));
    });
    client.on('close', () => {
      if (!handshaken) finish(verification.failure ?? new SshConnectError('reset', host, port, 'closed before the SSH handshake completed'));
    });
    const config: ConnectConfig = {
      host,
      port,
      username: 'homelab-wait', // never used: we disconnect before authentication
      readyTimeout: 0,
      hostVerifier: verification.hostVerifier,
      algorithms: { serverHostKey: hostKeyAlgorithms(knownTypes) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
      authHandler: (_l, _p, next) => (next as unknown as (m: false) => void)(false) // ssh2: false = give up,
    };
    arm();
    try {
      client.connect(config);
    } catch (e) {
      finish(e instanceof Error ? e : new Error(String(e)));
    }
  });
}
