import type { K3sNodeInput } from '../../../src/providers/k3s';

/** `cps` control planes at 10.0.0.<base>.., `workers` workers at 10.0.0.<base+10>.. */
export function nodesOf(cps: number, workers: number, base = 20): K3sNodeInput[] {
  return [
    ...Array.from({ length: cps }, (_, i) => ({ name: `lab-cp-${i + 1}`, role: 'control-plane' as const, address: `10.0.0.${base + i}` })),
    ...Array.from({ length: workers }, (_, i) => ({ name: `lab-worker-${i + 1}`, role: 'worker' as const, address: `10.0.0.${base + 10 + i}` })),
  ];
}
