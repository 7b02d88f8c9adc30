// Shared simulator internals handed to every handler.
import type { Auth } from './auth';
import type { FaultInjector } from './faults';
import { ApiError } from './http';
import type { Prng } from './prng';
import type { ClusterState, Guest, GuestType } from './state';
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

/** The guest `vmid` of `type` on `node`, or the real 500: a wrong node or a wrong type (a
 *  container addressed under /qemu/) reads as a missing config file in that type's directory. */
export function guestOn(core: SimCore, node: string, vmid: number, type: GuestType = 'qemu'): Guest {
  const g = core.state.guests.get(vmid);
  if (!g || g.node !== node || g.type !== type) {
    throw new ApiError(500, `Configuration file 'nodes/${node}/${type === 'qemu' ? 'qemu-server' : 'lxc'}/${vmid}.conf' does not exist`);
  }
  return g;
}

/** "VM" or "CT", as PVE names guests in its messages. */
export const guestWord = (g: { type: GuestType }) => (g.type === 'qemu' ? 'VM' : 'CT');

/** Splits a task's total time into `steps` sleeps so log lines appear while it runs. */
export function stepMs(core: SimCore, steps: number): number {
  return Math.max(1, Math.floor(core.opts.taskDurationMs / steps));
}
