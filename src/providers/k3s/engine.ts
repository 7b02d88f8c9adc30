// Runs per-node step lists with the ordering K3s needs, like the cluster deploy engine runs VMs:
// per-node status rows (step, state, message) reported through onProgress, a failed node retried
// from its failed step, cancellation through an AbortSignal. Subclasses say which steps there are,
// what each does, and which node must be done before a step may start (control planes one at a
// time, workers after the first control plane). Only nodes that take a slot (workers) are limited
// by `parallelism`; waiting for another node holds no slot.
import { CancelledError, isCancellation } from '../cancellation';
import type { SshSession } from '../ssh';
import { K3sError } from './errors';
import { NodeOps, sshNodeShell, type NodeLayout } from './node';
import type { K3sPlan, PlannedK3sNode } from './plan';
import { Slots } from '../slots';

export type NodeState = 'pending' | 'waiting' | 'running' | 'done' | 'adopted' | 'failed' | 'blocked' | 'cancelled';

export interface NodeReadiness {
  ready: boolean;
  version?: string;
  roles: string[];
  /** The condition that is not yet as it should be, e.g. `Ready=False (KubeletNotReady: ...)`. */
  waitingFor?: string;
}

export interface NodeProgress<S extends string = string> {
  node: PlannedK3sNode;
  /** The step running, failed, or last done. */
  step: S;
  state: NodeState;
  message?: string;
  startedAt?: number;
  endedAt?: number;
  layout?: NodeLayout;
  /** After a failure the cleanup removed the token file: a retry writes it again first. */
  tokenRemoved?: boolean;
  /** Filled by the ready check. */
  readiness?: NodeReadiness;
}

export interface Outcome<S extends string = string> {
  ok: boolean;
  cancelled: boolean;
  failed: NodeProgress<S>[];
  progress: NodeProgress<S>[];
}

export interface EngineOptions<S extends string = string> {
  /** Opens an SSH session to the node (host key verified by the caller's KnownHosts). */
  connect(node: PlannedK3sNode, signal: AbortSignal): Promise<SshSession>;
  /** Workers at once (homelab.cluster.parallelism); default 3. */
  parallelism?: number;
  onProgress?(p: NodeProgress<S>): void;
  /** Remote output lines (nixos-rebuild), per node. Never holds the token. */
  onLog?(node: string, line: string): void;
  /** Path prefix of each node's file system (tests); default none. */
  root?(node: PlannedK3sNode): string;
  /** Force sudo on or off; default: sudo unless the SSH user is root. */
  sudo?: boolean;
  tokenFile?: string;
  startTimeoutS?: number;
  now?(): number;
}

const FINISHED: ReadonlySet<NodeState> = new Set(['done', 'adopted']);
const STOPPED: ReadonlySet<NodeState> = new Set(['failed', 'blocked', 'cancelled']);

/** Thrown by a step to end the node as adopted (nothing changed there). */
export class Adopted {
  constructor(readonly message: string) {}
}

export abstract class NodeEngine<S extends string> {
  readonly progress: NodeProgress<S>[];
  private readonly slots: Slots;
  private readonly inRun = new Set<string>();
  private readonly wakers = new Set<() => void>();

  constructor(readonly plan: K3sPlan, protected readonly options: EngineOptions<S>, readonly steps: readonly S[], order: PlannedK3sNode[]) {
    this.progress = order.map((node) => ({ node, step: steps[0], state: 'pending' }));
    this.slots = new Slots(options.parallelism ?? 3);
  }

  /** Runs every node not finished (or only the named ones), resuming failed nodes at their failed step. */
  async run(signal: AbortSignal, o: { only?: readonly string[] } = {}): Promise<Outcome<S>> {
    const batch = this.progress.filter((p) => !FINISHED.has(p.state) && (!o.only || o.only.includes(p.node.name)));
    for (const n of o.only ?? []) this.find(n);
    const from = new Map(batch.map((p) => [p, p.state === 'pending' ? 0 : Math.max(0, this.steps.indexOf(p.step))]));
    for (const p of batch) {
      this.inRun.add(p.node.name);
      this.update(p, { state: 'pending', message: undefined, endedAt: undefined });
    }
    try {
      await Promise.all(batch.map((p) => this.runNode(p, from.get(p)!, signal)));
    } finally {
      for (const p of batch) this.inRun.delete(p.node.name);
    }
    return this.outcome(signal);
  }

  /** Retries one node from the step that failed. */
  async retry(name: string, signal: AbortSignal): Promise<Outcome<S>> {
    const p = this.find(name);
    if (!STOPPED.has(p.state)) throw new Error(`${name} has not failed; nothing to retry.`);
    return this.run(signal, { only: [name] });
  }

  find(name: string): NodeProgress<S> {
    const p = this.progress.find((x) => x.node.name === name);
    if (!p) throw new Error(`${name} is not a node of the cluster ${this.plan.cluster}.`);
    return p;
  }

  /** The nodes that must be finished before `step` of p may start. */
  protected abstract dependencies(p: NodeProgress<S>, step: S): string[];
  /** Whether p counts against `parallelism`. */
  protected abstract limited(p: NodeProgress<S>): boolean;
  /** The steps of this run of p, starting at index `from` (the connect step always runs first). */
  protected abstract stepsFrom(p: NodeProgress<S>, from: number): S[];
  protected abstract runStep(p: NodeProgress<S>, step: S, ops: NodeOps, signal: AbortSignal): Promise<void>;
  /** After a failure, block or cancel: remove what must not stay behind (best effort). */
  protected async cleanup(_p: NodeProgress<S>, _ops: NodeOps | undefined): Promise<void> {}

  private async connect(p: NodeProgress<S>, signal: AbortSignal): Promise<NodeOps> {
    const session = await this.options.connect(p.node, signal);
    if (signal.aborted) {
      session.close();
      throw new CancelledError();
    }
    return new NodeOps(sshNodeShell(session), `${p.node.name} (${p.node.address})`, {
      root: this.options.root?.(p.node),
      sudo: this.options.sudo,
      tokenFile: this.options.tokenFile ?? '/var/lib/homelab/k3s/token',
      startTimeoutS: this.options.startTimeoutS,
    });
  }

  private async runNode(p: NodeProgress<S>, from: number, signal: AbortSignal): Promise<void> {
    let release: (() => void) | undefined;
    let ops: NodeOps | undefined;
    const stop = async (state: NodeState, message?: string) => {
      release?.();
      release = undefined;
      if (state !== 'done' && state !== 'adopted') await this.cleanup(p, ops).catch(() => undefined);
      this.update(p, { state, message, endedAt: this.now() });
    };
    try {
      if (this.limited(p)) release = await this.slots.acquire(signal);
      const steps = this.stepsFrom(p, from);
      this.update(p, { state: 'running', step: steps[0], startedAt: p.startedAt ?? this.now() });
      for (const step of steps) {
        if (signal.aborted) return await stop('cancelled');
        // Wait for every dependency before the step shows as running again: reporting "running"
        // between two dependencies would say the step started while it still waits.
        const unfinished = () => this.dependencies(p, step).filter((dep) => !FINISHED.has(this.find(dep).state));
        let waiting = unfinished();
        if (waiting.length) {
          release?.();
          release = undefined;
          while (waiting.length) {
            const dep = waiting[0];
            this.update(p, { state: 'waiting', step, message: `waits for ${dep}` });
            const ok = await this.waitFor(dep, signal);
            if (!ok) return await stop('blocked', `waits for ${dep}, which did not finish: retry it first`);
            waiting = unfinished();
          }
          if (this.limited(p)) release = await this.slots.acquire(signal);
          this.update(p, { state: 'running', message: undefined });
        }
        this.update(p, { step });
        try {
          if (step === this.steps[0]) ops ??= await this.connect(p, signal);
          else {
            ops ??= await this.connect(p, signal);
            await this.runStep(p, step, ops, signal);
          }
        } catch (err) {
          if (err instanceof Adopted) return await stop('adopted', err.message);
          if (signal.aborted || isCancellation(err)) return await stop('cancelled');
          return await stop('failed', message(err));
        }
      }
      await stop('done');
    } catch (err) {
      // only the slot wait and the dependency wait throw here: both on cancellation
      await stop(signal.aborted || isCancellation(err) ? 'cancelled' : 'failed', signal.aborted ? undefined : message(err));
    } finally {
      release?.();
      ops?.shell.close();
    }
  }

  /** True once `name` finished; false when it stopped (or is not part of this run and not finished). */
  private async waitFor(name: string, signal: AbortSignal): Promise<boolean> {
    for (;;) {
      const d = this.find(name);
      if (FINISHED.has(d.state)) return true;
      if (!this.inRun.has(name) || STOPPED.has(d.state)) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.wakers.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.wakers.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
      if (signal.aborted) throw new CancelledError();
    }
  }

  protected update(p: NodeProgress<S>, change: Partial<NodeProgress<S>>): NodeProgress<S> {
    Object.assign(p, change);
    this.options.onProgress?.(p);
    for (const w of [...this.wakers]) w();
    return p;
  }

  private outcome(signal: AbortSignal): Outcome<S> {
    const failed = this.progress.filter((p) => p.state === 'failed' || p.state === 'blocked');
    const cancelled = signal.aborted || this.progress.some((p) => p.state === 'cancelled');
    return { ok: !failed.length && !cancelled && this.progress.every((p) => FINISHED.has(p.state)), cancelled, failed, progress: this.progress };
  }

  protected now(): number {
    return (this.options.now ?? Date.now)();
  }
}

export const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The per-node status table the bootstrap terminal redraws. */
export function statusTable(progress: readonly NodeProgress[], now = Date.now()): string[] {
  const rows = progress.map((p) => {
    const seconds = p.startedAt ? Math.round(((p.endedAt ?? now) - p.startedAt) / 1000) : 0;
    const r = p.readiness;
    const ready = r ? (r.ready ? 'Ready' : 'NotReady') : '';
    const msg = r && !r.ready && r.waitingFor ? r.waitingFor : (p.message ?? '').split('\n')[0];
    return [p.node.name, p.node.role, p.node.address, p.step, p.state, ready, r?.version ?? '', r?.roles.join(',') ?? '', p.startedAt ? `${seconds}s` : '', msg];
  });
  const header = ['NODE', 'ROLE', 'ADDRESS', 'STEP', 'STATE', 'K8S', 'VERSION', 'ROLES', 'TIME', 'MESSAGE'];
  const last = header.length - 1;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === last ? 0 : r[i].length))));
  const line = (r: string[]) => r.map((c, i) => (i === last ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export { K3sError };
