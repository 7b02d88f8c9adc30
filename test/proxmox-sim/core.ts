// Shared simulator internals handed to every handler.
import type { Auth } from './auth';
import type { FaultInjector } from './faults';
import { ApiError } from './http';
import type { Prng } from './prng';
import type { ClusterState, Guest } from './state';
import type { TaskManager } from './tasks';

export interface CoreOptions {
  taskDurationMs: number;
  authFailDelayMs: number;
  agentBootDelayMs: number;
  lockTimeoutMs: number;
  /** How long an auto-installing guest runs before it powers off (autoinstall.ts). */
  installDurationMs: number;
}

export interface SimCore {
  opts: CoreOptions;
  state: ClusterState;
  tasks: TaskManager;
  auth: Auth;
  faults: FaultInjector;
  rng: Prng;
  /** The certificate's SHA-256, shown as every node's ssl_fingerprint. */
  fingerprint: string;
  /** Temp dir for uploads and stored ISO files; removed on close. */
  dataDir: string;
}

/** The guest `vmid` on `node`, or the real 500 (a wrong node reads as a missing config file). */
export function guestOn(core: SimCore, node: string, vmid: number): Guest {
  const g = core.state.guests.get(vmid);
  if (!g || g.node !== node) {
    throw new ApiError(500, `Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist`);
  }
  return g;
}

/** Splits a task's total time into `steps` sleeps so log lines appear while it runs. */
export function stepMs(core: SimCore, steps: number): number {
  return Math.max(1, Math.floor(core.opts.taskDurationMs / steps));
}
