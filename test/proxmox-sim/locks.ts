// The two kinds of lock PVE has: the config-file flock (short, waited for up to a timeout, then
// "got timeout") and the `lock:` property in a guest config (refused at once: "VM is locked (x)").
import { ApiError } from './http';

/** An flock(2)-like mutex on /var/lock/qemu-server/lock-<vmid>.conf. */
export class FileLock {
  private held = false;
  private waiters: Array<() => void> = [];
  constructor(readonly vmid: number) {}

  /** Resolves to a release function; rejects with the real 500 after `timeoutMs`. */
  acquire(timeoutMs: number): Promise<() => void> {
    let released = false;
    const release = () => {
      // Idempotent: a double release must not hand the lock to two waiters.
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.held = false;
    };
    if (!this.held) {
      this.held = true;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== grant);
        reject(new ApiError(500, `can't lock file '/var/lock/qemu-server/lock-${this.vmid}.conf' - got timeout`));
      }, timeoutMs);
      this.waiters.push(grant);
    });
  }

  get locked(): boolean {
    return this.held;
  }
}

export function checkConfigLock(conf: Record<string, unknown>): void {
  if (conf.lock) throw new ApiError(500, `VM is locked (${conf.lock})`);
}

/** The `lock:` check with the guest's word: "VM is locked (backup)" / "CT is locked (backup)". */
export function checkGuestLock(g: { type: 'qemu' | 'lxc'; conf: Record<string, unknown> }): void {
  if (g.conf.lock) throw new ApiError(500, `${g.type === 'qemu' ? 'VM' : 'CT'} is locked (${g.conf.lock})`);
}
