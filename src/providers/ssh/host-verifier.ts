// Enforces the known-hosts decision inside ssh2's key exchange, before any authentication.
// The key is stored only after the handshake completed, i.e. after ssh2 checked the server's
// signature: a server that merely replays someone's public key never gets recorded.
import { HostKeyDeclinedError, HostKeyMismatchError } from './errors';
import { keyTypeOfBlob, sha256Fingerprint } from './fingerprint';
import type { KnownHosts } from './known-hosts';

export interface HostKeyInfo {
  host: string;
  port: number;
  keyType: string;
  /** `SHA256:...`, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

/** Asked on first contact with a host (trust on first use). Resolve true to trust and store the key. */
export type ConfirmUnknown = (info: HostKeyInfo) => Promise<boolean>;

export interface VerifiedHostKey extends HostKeyInfo {
  /** 'added' when this connection stored the key (first use). */
  status: 'known' | 'added';
}

export interface HostVerifierHooks {
  /** The user is being asked: connection timers should not run meanwhile. */
  onAskStart?: () => void;
  onAskEnd?: () => void;
  /** The connection is gone: skip late answers. */
  isClosed?: () => boolean;
}

export class HostVerification {
  private failureError: Error | undefined;
  private accepted: { keyType: string; fingerprint: string; blob: Buffer; isNew: boolean } | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly knownHosts: KnownHosts,
    private readonly confirmUnknown: ConfirmUnknown,
    private readonly hooks: HostVerifierHooks = {},
  ) {}

  /** Why we denied the host key (the handshake error from ssh2 only says "Host denied"). */
  get failure(): Error | undefined {
    return this.failureError;
  }

  /** ssh2 `hostVerifier`, async form: must return undefined and call verify later. */
  readonly hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
    void this.decide(key).then(
      (ok) => { if (!this.hooks.isClosed?.()) verify(ok); },
      (err: unknown) => {
        this.failureError = err instanceof Error ? err : new Error(String(err));
        if (!this.hooks.isClosed?.()) verify(false);
      },
    );
  };

  private async decide(blob: Buffer): Promise<boolean> {
    const keyType = keyTypeOfBlob(blob);
    if (!keyType) throw new Error(`${this.host}:${this.port} sent an unreadable host key`);
    const check = await this.knownHosts.check(this.host, this.port, keyType, blob);
    const { fingerprint } = check;
    if (check.status === 'known') {
      this.accepted = { keyType, fingerprint, blob, isNew: false };
      return true;
    }
    if (check.status === 'mismatch') {
      this.failureError = new HostKeyMismatchError(
        this.host, this.port, keyType, check.storedFingerprints, fingerprint, this.knownHosts.path, check.lines,
      );
      return false;
    }
    this.hooks.onAskStart?.();
    let trusted: boolean;
    try {
      trusted = await this.confirmUnknown({ host: this.host, port: this.port, keyType, fingerprint });
    } finally {
      this.hooks.onAskEnd?.();
    }
    if (trusted !== true) {
      this.failureError = new HostKeyDeclinedError(this.host, this.port, fingerprint);
      return false;
    }
    this.accepted = { keyType, fingerprint, blob, isNew: true };
    return true;
  }

  /** Call on ssh2's first 'handshake' event: stores a newly trusted key. */
  async commit(): Promise<VerifiedHostKey> {
    const a = this.accepted;
    if (!a) throw new Error('handshake completed without host key verification');
    if (a.isNew) await this.knownHosts.add(this.host, this.port, a.keyType, a.blob);
    return { host: this.host, port: this.port, keyType: a.keyType, fingerprint: a.fingerprint, status: a.isNew ? 'added' : 'known' };
  }
}
