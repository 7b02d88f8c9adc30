// Runs a cluster plan: every VM goes clone -> configure -> start -> address -> ssh. The Proxmox
// work (clone, configure, start) runs for at most `parallelism` VMs at once; waiting for a guest to
// boot (agent address, SSH) holds no slot, so the next clone need not wait for a boot. A failed VM
// keeps its failed step so it can be retried from there; rollback destroys exactly the VMs this
// deployment created, nothing else.
// Host keys are never trusted silently: the SSH step of every VM hands its unknown host key to the
// engine, which waits until every VM of the run has either presented one or stopped, then asks the
// caller ONCE for the whole batch (the user sees every fingerprint in one question).
import type { ConfirmUnknown, HostKeyInfo } from '../ssh/host-verifier';
import type { Plan, PlannedVm } from './plan';
import { Slots } from '../slots';

export const VM_STEPS = ['clone', 'configure', 'start', 'address', 'ssh'] as const;
export type VmStep = (typeof VM_STEPS)[number];
/** Steps that load the Proxmox cluster: limited by `parallelism`. The others only wait. */
const WORK_STEPS: ReadonlySet<VmStep> = new Set(['clone', 'configure', 'start']);

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
  /**
   * Waits for the VM's sshd and verifies its host key; an unknown key is trusted (and pinned) only
   * when `confirmUnknown` resolves true. Resolves with the key's SHA256 fingerprint.
   */
  waitForSsh(vm: PlannedVm, ip: string, signal: AbortSignal, confirmUnknown: ConfirmUnknown): Promise<string>;
  /** Stops and deletes a VM this deployment created. */
  destroy(vm: PlannedVm, signal: AbortSignal): Promise<void>;
}

/** An unknown host key a new VM presented, waiting for the user's decision. */
export interface NewHostKey extends HostKeyInfo {
  vm: PlannedVm;
}

/** Asked once per run with every unknown key; true trusts (pins) them all. Throwing counts as no. */
export type ConfirmHostKeys = (keys: NewHostKey[]) => Promise<boolean>;

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
  /** VMs whose run (or retry) has not ended yet: the question waits for each of them. */
  private readonly inFlight = new Set<number>();
  /** Unknown keys presented and not yet decided, by VM ID. */
  private readonly keyRequests = new Map<number, { key: NewHostKey; answer: (ok: boolean) => void }>();
  /** Keys the user accepted in this deployment (a reconnecting VM presents its key again). */
  private readonly trusted = new Set<string>();
  /** Keys declined in the current run: a reconnect does not ask again; a retry does. */
  private readonly declined = new Set<string>();
  private asking = false;

  constructor(
    readonly plan: Plan,
    private readonly steps: DeploySteps,
    private readonly options: {
      parallelism?: number;
      onProgress?: (p: VmProgress) => void;
      now?: () => number;
      /** Without it every unknown host key is declined: nothing is ever trusted silently. */
      confirmHostKeys?: ConfirmHostKeys;
    } = {},
  ) {
    this.progress = plan.vms.map((vm) => ({ vm, step: 'clone', state: 'pending' }));
    this.slots = new Slots(options.parallelism ?? 3);
  }

  /** Runs every pending or failed VM; resolves when all have finished one way or another. */
  async run(signal: AbortSignal): Promise<DeployOutcome> {
    this.declined.clear();
    const queue = this.progress.filter((p) => p.state === 'pending' || p.state === 'failed' || p.state === 'cancelled');
    // All of them count before the first starts, so the host-key question cannot go out early.
    for (const p of queue) this.inFlight.add(p.vm.vmid);
    await Promise.all(queue.map((p) => this.runVm(p, signal)));
    return this.outcome(signal);
  }

  /** Retries one failed VM from the step that failed. */
  async retry(vmid: number, signal: AbortSignal): Promise<DeployOutcome> {
    const p = this.find(vmid);
    if (p.state !== 'failed' && p.state !== 'cancelled') throw new Error(`${p.vm.name} has not failed; nothing to retry.`);
    this.declined.clear();
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
    this.inFlight.add(p.vm.vmid);
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
      this.inFlight.delete(p.vm.vmid);
      this.keyRequests.get(p.vm.vmid)?.answer(false);
      this.keyRequests.delete(p.vm.vmid);
      void this.maybeAsk(); // this VM no longer holds the question back
    }
  }

  private static keyId(k: HostKeyInfo): string {
    return `${k.host}:${k.port} ${k.keyType} ${k.fingerprint}`;
  }

  /** The confirmUnknown handed to one VM's SSH step: queues the key for the one question. */
  private confirmFor(vm: PlannedVm): ConfirmUnknown {
    return (info) => {
      if (this.trusted.has(ClusterDeployment.keyId(info))) return Promise.resolve(true);
      if (this.declined.has(ClusterDeployment.keyId(info))) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        // A reconnect (the guest closed the first connection while we waited) replaces the old request.
        this.keyRequests.get(vm.vmid)?.answer(false);
        this.keyRequests.set(vm.vmid, { key: { ...info, vm }, answer: resolve });
        void this.maybeAsk();
      });
    };
  }

  /** Asks when every VM still running waits for its key decision; one question at a time. */
  private async maybeAsk(): Promise<void> {
    if (this.asking || !this.keyRequests.size) return;
    for (const [vmid, r] of this.keyRequests) {
      const id = ClusterDeployment.keyId(r.key);
      if (this.trusted.has(id) || this.declined.has(id)) {
        this.keyRequests.delete(vmid);
        r.answer(this.trusted.has(id));
      }
    }
    if (!this.keyRequests.size || [...this.inFlight].some((id) => !this.keyRequests.has(id))) return;
    const batch = [...this.keyRequests.values()].sort((a, b) => a.key.vm.vmid - b.key.vm.vmid);
    this.keyRequests.clear();
    this.asking = true;
    let ok = false;
    try {
      ok = this.options.confirmHostKeys ? (await this.options.confirmHostKeys(batch.map((r) => r.key))) === true : false;
    } catch {
      ok = false; // a dismissed question is a no
    } finally {
      this.asking = false;
    }
    for (const r of batch) (ok ? this.trusted : this.declined).add(ClusterDeployment.keyId(r.key));
    for (const r of batch) r.answer(ok);
    void this.maybeAsk(); // keys that arrived while the question was open
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
        this.update(p, { hostKeyFingerprint: await this.steps.waitForSsh(vm, p.ip!, signal, this.confirmFor(vm)) });
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
