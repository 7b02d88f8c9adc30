// Typed refusals for guest operations, recognised from PVE's own messages (HTTP 500 reason or a
// task's exitstatus), each with a message that names the guest and what to do next.
import { ProxmoxError } from './errors';
import { describeGuest, type GuestRef } from './guests';

/** The config changed since it was read (stale `digest`): nothing was written. */
export class ConfigChangedError extends Error {
  override readonly name = 'ConfigChangedError';
  constructor(readonly guest: GuestRef, what: string, options?: { cause?: unknown }) {
    super(`The configuration of ${describeGuest(guest)} was changed by someone else since it was opened, so ${what} was not saved (nothing was overwritten). Reload it, re-apply your change and save again.`, options);
  }
}

/** The guest carries a `lock:` (backup, snapshot, migrate, clone, ...). */
export class GuestLockedError extends Error {
  override readonly name = 'GuestLockedError';
  constructor(readonly guest: GuestRef, readonly lock: string, options?: { cause?: unknown }) {
    super(`${capital(describeGuest(guest))} is locked (${lock}): ${LOCK_HINT[lock] ?? 'another operation is running on it'}. Try again when it has finished, or remove a stale lock on the node with \`${guest.type === 'qemu' ? 'qm' : 'pct'} unlock ${guest.vmid}\`.`, options);
  }
}

/** A console cannot be opened (no serial port, guest not running). */
export class ConsoleUnavailableError extends Error {
  override readonly name = 'ConsoleUnavailableError';
  constructor(readonly guest: GuestRef | undefined, message: string, readonly reason: 'no-serial' | 'not-running' | 'refused') {
    super(message);
  }
}

const LOCK_HINT: Record<string, string> = {
  backup: 'a backup of it is running',
  snapshot: 'a snapshot is being taken',
  'snapshot-delete': 'a snapshot is being deleted',
  rollback: 'a snapshot rollback is running',
  migrate: 'it is being migrated',
  clone: 'it is being cloned',
  create: 'it is being created or restored',
  disk: 'a disk operation is running',
  suspended: 'it is hibernated; resume it first',
  suspending: 'it is being hibernated',
};

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The PVE text of an error: a ProxmoxError's reason/body message, a task's exitstatus, or any message. */
function pveText(e: unknown): string {
  if (e instanceof ProxmoxError) return `${e.reason} ${e.pveMessage ?? ''}`;
  if (typeof e === 'string') return e;
  return String((e as Error)?.message ?? '');
}

/** The lock named in "VM is locked (backup)" / "CT is locked (snapshot)", if that is the error. */
export function lockOf(e: unknown): string | undefined {
  return /\b(?:VM|CT) is locked \(([\w-]+)\)/.exec(pveText(e))?.[1];
}

export function isDigestMismatch(e: unknown): boolean {
  return /detected modified configuration - file changed by other user/.test(pveText(e));
}

/** Turns PVE's refusals into the typed errors above; anything else comes back unchanged. */
export function classifyGuestError(e: unknown, guest: GuestRef, what = 'the change'): unknown {
  if (isDigestMismatch(e)) return new ConfigChangedError(guest, what, { cause: e });
  const lock = lockOf(e);
  if (lock) return new GuestLockedError(guest, lock, { cause: e });
  return e;
}
