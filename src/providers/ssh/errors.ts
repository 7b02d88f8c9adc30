// Typed SSH errors, each with a message the user can act on.

/** `host` or `[host]:port`, the way OpenSSH names an endpoint. */
export function endpoint(host: string, port: number): string {
  return port === 22 ? host : `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export class SshError extends Error {
  override name = 'SshError';
}

/** The server presented a host key different from the one we stored: refused, never auto-accepted. */
export class HostKeyMismatchError extends SshError {
  override name = 'HostKeyMismatchError';
  constructor(
    readonly host: string,
    readonly port: number,
    readonly keyType: string,
    /** Fingerprints (`SHA256:...`) of the keys stored for this host. */
    readonly storedFingerprints: string[],
    readonly presentedFingerprint: string,
    readonly knownHostsPath: string,
    readonly lines: number[],
  ) {
    super(
      `The host key of ${endpoint(host, port)} has CHANGED: it presented ${keyType} ${presentedFingerprint}, ` +
        `but ${storedFingerprints.join(', ')} is stored. Someone could be doing something nasty ` +
        `(possible man-in-the-middle attack), or the guest was reinstalled and got a new key. ` +
        `The connection was refused and the stored key kept. If you are sure the change is legitimate ` +
        `(for example a VM at this address was destroyed and a new one took it), remove line ` +
        `${lines.join(', ')} of ${knownHostsPath} and connect again: the new key is then shown for you to confirm.`,
    );
  }
}

/** The host key was unknown and the user (confirmUnknown) declined it. */
export class HostKeyDeclinedError extends SshError {
  override name = 'HostKeyDeclinedError';
  constructor(readonly host: string, readonly port: number, readonly fingerprint: string) {
    super(`Connection to ${endpoint(host, port)} cancelled: host key ${fingerprint} was not trusted.`);
  }
}

export type SshConnectFailure = 'refused' | 'unreachable' | 'timeout' | 'dns' | 'reset' | 'protocol';

export class SshConnectError extends SshError {
  override name = 'SshConnectError';
  constructor(
    readonly kind: SshConnectFailure,
    readonly host: string,
    readonly port: number,
    detail: string,
    readonly code?: string,
  ) {
    super(`${describe(kind, host, port)}${detail ? ` (${detail})` : ''}`);
  }
}

function describe(kind: SshConnectFailure, host: string, port: number): string {
  const at = `${host}:${port}`;
  switch (kind) {
    case 'refused':
      return `Connection refused by ${at}: is sshd running on the guest and listening on port ${port}?`;
    case 'unreachable':
      return `Host ${at} is unreachable: check the guest's IP address and the network route.`;
    case 'timeout':
      return `Timed out connecting to ${at}: the guest may be down, booting, or a firewall drops the traffic.`;
    case 'dns':
      return `Cannot resolve host name of ${at}: check the name or use an IP address.`;
    case 'reset':
      return `${at} closed the connection during the SSH handshake.`;
    case 'protocol':
      return `SSH handshake with ${at} failed.`;
  }
}

export class SshAuthError extends SshError {
  override name = 'SshAuthError';
  constructor(
    readonly host: string,
    readonly port: number,
    readonly username: string,
    /** What we tried, e.g. `publickey (/home/me/.ssh/id_ed25519)`, `agent (/run/ssh-agent.sock)`. */
    readonly methodsTried: string[],
    /** Methods the server said it accepts (from its last USERAUTH_FAILURE), if any. */
    readonly serverMethods: string[],
  ) {
    super(
      `Authentication failed for ${username}@${host}:${port}. Tried: ` +
        `${methodsTried.length ? methodsTried.join(', ') : 'nothing (no key file and no agent given)'}. ` +
        (serverMethods.length ? `The server accepts: ${serverMethods.join(', ')}. ` : '') +
        `Check that your public key is in ~${username}/.ssh/authorized_keys on the guest.`,
    );
  }
}

export type SshKeyFileProblem = 'missing' | 'unreadable' | 'encrypted' | 'bad-passphrase' | 'invalid';

export class SshKeyFileError extends SshError {
  override name = 'SshKeyFileError';
  constructor(readonly problem: SshKeyFileProblem, readonly path: string, detail?: string) {
    super(keyFileMessage(problem, path) + (detail ? ` (${detail})` : ''));
  }
}

function keyFileMessage(problem: SshKeyFileProblem, path: string): string {
  switch (problem) {
    case 'missing':
      return `SSH key file ${path} does not exist: pick another key or generate one.`;
    case 'unreadable':
      return `SSH key file ${path} cannot be read: check its permissions.`;
    case 'encrypted':
      return `SSH key file ${path} is encrypted: enter its passphrase, or load it into ssh-agent.`;
    case 'bad-passphrase':
      return `Wrong passphrase for SSH key file ${path}.`;
    case 'invalid':
      return `${path} is not a private key ssh can use (expected an OpenSSH or PEM private key, not a .pub).`;
  }
}

/** waitForSsh gave up. */
export class SshWaitTimeoutError extends SshError {
  override name = 'SshWaitTimeoutError';
  constructor(
    readonly host: string,
    readonly port: number,
    readonly timeoutMs: number,
    readonly attempts: number,
    readonly lastError: Error | undefined,
  ) {
    super(
      `SSH on ${host}:${port} did not answer within ${Math.round(timeoutMs / 1000)} s ` +
        `(${attempts} attempt${attempts === 1 ? '' : 's'}); last error: ${lastError?.message ?? 'none'}`,
    );
  }
}

/** Rejection for an aborted AbortSignal (its reason when it is an Error). */
export function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error(typeof r === 'string' ? r : 'The operation was aborted');
  e.name = 'AbortError';
  return e;
}
