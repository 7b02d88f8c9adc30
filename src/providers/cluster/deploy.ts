// Runs a cluster plan: every VM goes clone -> configure -> start -> address -> ssh. The Proxmox
// work (clone, configure, start) runs for at most `parallelism` VMs at once; waiting for a guest to
// boot (agent address, SSH) holds no slot, so the next clone need not wait for a boot. A failed VM
// keeps its failed step so it can be retried from there; rollback destroys exactly the VMs this
// deployment created, nothing else.
import type { Plan, PlannedVm } from './plan';

export const VM_STEPS = ['clone', 'configure', 'start', 'address', 'ssh'] as const;
export type VmStep = (typeof VM_STEPS)[number];
/** Steps that load the Proxmox cluster: limited by `parallelism`. The others only wait. */
const WORK_STEPS: ReadonlySet<VmStep> = new Set(['clone', 'configure', 'start']);

/** A FIFO semaphore: VMs get their turn in plan order. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(n: number) {
    this.free = Math.max(1, n);
  }
  async acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (this.free > 0) this.free--;
    else {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.waiting.indexOf(go);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal.reason);
        };
        this.waiting.push(go);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(); // the slot passes on directly
      else this.free++;
    };
  }
}
export type VmState = 'pending' | 'running' | 'done' | 'failed' | 'cancelled' | 'rolled-back';

export interface VmProgress {
  vm: PlannedVm;
  /** The step running, failed, or last done. */
  step: VmStep;
  state: VmState;
  error?: string;
  ip?: string;
  hostKeyFingerprint?: string;
  startedAt?: number;
  endedAt?: number;
}

/** The outside work, one call per step; each must honour the signal. */
export interface DeploySteps {
  /**
   * Creates exactly one VM (vm.vmid) or throws; lock contention is the step's own business.
   * Calls `created()` as soon as the VM exists, so a later failure in the same step still leaves
   * it to rollback.
   */
  clone(vm: PlannedVm, signal: AbortSignal, created: () => void): Promise<void>;
  configure(vm: PlannedVm, signal: AbortSignal): Promise<void>;
  start(vm: PlannedVm, signal: AbortSignal): Promise<void>;
  waitForAddress(vm: PlannedVm, signal: AbortSignal): Promise<string>;
  waitForSsh(vm: PlannedVm, ip: string, signal: AbortSignal): Promise<string>;
  /** Stops and deletes a VM this deployment created. */
  destroy(vm: PlannedVm, signal: AbortSignal): Promise<void>;
}

export interface DeployOutcome {
  ok: boolean;
  cancelled: boolean;
  failed: VmProgress[];
  progress: VmProgress[];
}

export class ClusterDeployment {
  readonly progress: VmProgress[];
  /** VM IDs whose clone succeeded: the only VMs rollback may delete. */
  readonly created = new Set<number>();
  private readonly slots: Slots;

  constructor(
    readonly plan: Plan,
    private readonly steps: DeploySteps,
    private readonly options: { parallelism?: number; onProgress?: (p: VmProgress) => void; now?: () => number } = {},
  ) {
    this.progress = plan.vms.map((vm) => ({ vm, step: 'clone', state: 'pending' }));
    this.slots = new Slots(options.parallelism ?? 3);
  }

  /** Runs every pending or failed VM; resolves when all have finished one way or another. */
  async run(signal: AbortSignal): Promise<DeployOutcome> {
    const queue = this.progress.filter((p) => p.state === 'pending' || p.state === 'failed' || p.state === 'cancelled');
    await Promise.all(queue.map((p) => this.runVm(p, signal)));
    return this.outcome(signal);
  }

  /** Retries one failed VM from the step that failed. */
  async retry(vmid: number, signal: AbortSignal): Promise<DeployOutcome> {
    const p = this.find(vmid);
    if (p.state !== 'failed' && p.state !== 'cancelled') throw new Error(`${p.vm.name} has not failed; nothing to retry.`);
    await this.runVm(p, signal);
    return this.outcome(signal);
  }

  /** Destroys the VMs this deployment created (and only those), last created first. */
  async rollback(signal: AbortSignal): Promise<VmProgress[]> {
    const failures: VmProgress[] = [];
    for (const p of [...this.progress].reverse()) {
      if (!this.created.has(p.vm.vmid)) continue;
      try {
        await this.steps.destroy(p.vm, signal);
        this.created.delete(p.vm.vmid);
        this.update(p, { state: 'rolled-back', error: undefined });
      } catch (err) {
        failures.push(this.update(p, { state: 'failed', error: `rollback: ${message(err)}` }));
      }
    }
    return failures;
  }

  private async runVm(p: VmProgress, signal: AbortSignal): Promise<void> {
    const from = p.state === 'pending' ? 0 : VM_STEPS.indexOf(p.step);
    let release: (() => void) | undefined;
    try {
      for (const step of VM_STEPS.slice(from)) {
        if (signal.aborted) return void this.update(p, { state: 'cancelled', endedAt: this.now() });
        if (WORK_STEPS.has(step)) {
          try {
            release ??= await this.slots.acquire(signal);
          } catch {
            return void this.update(p, { state: 'cancelled', endedAt: this.now() });
          }
        } else {
          release?.();
          release = undefined;
        }
        // The clock starts when the VM gets its first slot, not while it queues.
        if (p.state !== 'running') this.update(p, { state: 'running', error: undefined, startedAt: p.startedAt ?? this.now() });
        this.update(p, { step });
        try {
          await this.runStep(p, step, signal);
        } catch (err) {
          if (signal.aborted) return void this.update(p, { state: 'cancelled', endedAt: this.now() });
          return void this.update(p, { state: 'failed', error: message(err), endedAt: this.now() });
        }
      }
      this.update(p, { state: 'done', endedAt: this.now() });
    } finally {
      release?.();
    }
  }

  private async runStep(p: VmProgress, step: VmStep, signal: AbortSignal): Promise<void> {
    const vm = p.vm;
    switch (step) {
      case 'clone':
        await this.steps.clone(vm, signal, () => this.created.add(vm.vmid));
        this.created.add(vm.vmid);
        return;
      case 'configure':
        return this.steps.configure(vm, signal);
      case 'start':
        return this.steps.start(vm, signal);
      case 'address':
        this.update(p, { ip: await this.steps.waitForAddress(vm, signal) });
        return;
      case 'ssh':
        this.update(p, { hostKeyFingerprint: await this.steps.waitForSsh(vm, p.ip!, signal) });
        return;
    }
  }

  private outcome(signal: AbortSignal): DeployOutcome {
    const failed = this.progress.filter((p) => p.state === 'failed');
    const cancelled = signal.aborted || this.progress.some((p) => p.state === 'cancelled');
    return { ok: !failed.length && !cancelled && this.progress.every((p) => p.state === 'done'), cancelled, failed, progress: this.progress };
  }

  private find(vmid: number): VmProgress {
    const p = this.progress.find((x) => x.vm.vmid === vmid);
    if (!p) throw new Error(`VM ${vmid} is not part of this deployment.`);
    return p;
  }

  private update(p: VmProgress, change: Partial<VmProgress>): VmProgress {
    Object.assign(p, change);
    this.options.onProgress?.(p);
    return p;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The per-VM status table the deploy terminal redraws. */
export function statusTable(progress: readonly VmProgress[], now = Date.now()): string[] {
  const rows = progress.map((p) => {
    const seconds = p.startedAt ? Math.round(((p.endedAt ?? now) - p.startedAt) / 1000) : 0;
    return [String(p.vm.vmid), p.vm.name, p.vm.role, p.vm.node, p.step, p.state, p.ip ?? '', p.startedAt ? `${seconds}s` : '', p.error ?? ''];
  });
  const header = ['VMID', 'NAME', 'ROLE', 'NODE', 'STEP', 'STATE', 'IP', 'TIME', 'ERROR'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 8 ? 0 : r[i].length))));
  const line = (r: string[]) => r.map((c, i) => (i === 8 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
