// Fault injection for resilience tests and benchmarks. Decisions come from a seeded PRNG so a
// failing run can be replayed with the same seed.
import type { Prng } from './prng';

export interface Faults {
  latencyMs?: number;
  errorRate?: number;
  dropRate?: number;
}

export type FaultDecision = { kind: 'none' } | { kind: 'drop' } | { kind: 'error'; status: number; message: string };

/** Real 5xx answers seen from pveproxy under load or during a cluster hiccup. */
const ERRORS: Array<[number, string]> = [
  [500, "cfs-lock 'file-user_cfg' error: got lock request timeout"],
  [503, 'Service Unavailable'],
  [500, 'unable to read file /etc/pve/nodes - Transport endpoint is not connected'],
];

export class FaultInjector {
  private f: Required<Faults> = { latencyMs: 0, errorRate: 0, dropRate: 0 };
  constructor(private readonly rng: Prng) {}

  set(f: Faults): void {
    this.f = { latencyMs: f.latencyMs ?? 0, errorRate: f.errorRate ?? 0, dropRate: f.dropRate ?? 0 };
  }

  get latencyMs(): number {
    return this.f.latencyMs;
  }

  decide(): FaultDecision {
    if (this.f.dropRate > 0 && this.rng.next() < this.f.dropRate) return { kind: 'drop' };
    if (this.f.errorRate > 0 && this.rng.next() < this.f.errorRate) {
      const [status, message] = this.rng.pick(ERRORS);
      return { kind: 'error', status, message };
    }
    return { kind: 'none' };
  }
}
