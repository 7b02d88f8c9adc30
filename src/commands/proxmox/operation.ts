// What every Proxmox command shares: its dependencies, how a task's outcome becomes an error, and
// the activity report. Which guests it acts on is guest-target.ts; the task path itself is the
// Operations service (src/services/operations.ts).
import * as vscode from 'vscode';
import type { TaskOutcome } from '../../providers/proxmox';
import type { ClusterResource } from '../../providers/proxmox/types';
import { CancelledError } from '../../providers/cancellation';
import type { ActivityRecord } from '../../services/activity';
import type { Operations } from '../../services/operations';
import type { ClusterStore } from '../../services/proxmox/clusters';
import type { Connections } from '../../services/proxmox/connections';
import type { ProxmoxSession } from '../../services/proxmox/session';
import type { Prompts } from '../prompts';

export interface OperationDeps {
  /** The inventory commands read; `clusters` and `connections` are its parts. */
  session: ProxmoxSession;
  clusters: ClusterStore;
  connections: Connections;
  prompts: Prompts;
  log: vscode.LogOutputChannel;
  operations: Operations;
}

/** Reports a finished long operation to the activity log; never fails the command. */
export function reportActivity(deps: Pick<OperationDeps, 'operations'>, e: ActivityRecord): Promise<void> {
  return deps.operations.report(e);
}

/** Runs `work` and reports it to the activity log with its duration and result (OK, or the error's message). */
export async function reported<T>(deps: Pick<OperationDeps, 'operations'>, a: Omit<ActivityRecord, 'durationMs' | 'result'>, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let result = 'error';
  try {
    const value = await work();
    result = 'OK';
    return value;
  } catch (e) {
    result = e instanceof Error ? e.message : String(e);
    throw e;
  } finally {
    await reportActivity(deps, { ...a, durationMs: Date.now() - started, result });
  }
}

/** Throws a user-facing error for a task that failed; a cancelled task ends the command quietly. */
export function expectOk(outcome: TaskOutcome, what: string): void {
  if (outcome.cancelled) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} was cancelled: the task was stopped ({1}).', what, outcome.exitstatus));
    throw new CancelledError();
  }
  if (outcome.status === 'error') {
    const tail = outcome.logTail.filter((l) => !/^TASK ERROR/.test(l)).slice(-3);
    throw new Error(vscode.l10n.t('{0} failed: {1}', what, outcome.exitstatus) + (tail.length ? ` — ${tail.join(' / ')}` : ''));
  }
}

export const vmPath = (g: { node: string; vmid: number }) => `/nodes/${encodeURIComponent(g.node)}/qemu/${g.vmid}`;
export const label = (g: ClusterResource) => `${g.name ?? 'VM'} (${g.vmid})`;
