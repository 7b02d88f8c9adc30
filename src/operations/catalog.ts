// The one catalog: every operation the palette, the language-model tools and the MCP server run.
// `invoke` is the one path of a call from a model: validate the input against the schema, prepare
// (state, refusals, confirmation), let the caller confirm, run, and append the audit line.
import { isCancellation } from '../providers/cancellation';
import { appDeploy } from './apps-deploy';
import * as appsManage from './apps-manage';
import * as journal from './journal';
import * as kubernetes from './kubernetes';
import * as appsMigrate from './apps-migrate';
import * as lab from './lab';
import * as proxmox from './proxmox';
import * as changes from './proxmox-changes';
import { validateInput } from './schema';
import type { Operation, OperationHost, OperationResult, Prepared, Progress } from './types';

export const CATALOG: readonly Operation<any>[] = [
  proxmox.inventory,
  proxmox.guestDetails,
  proxmox.power.start,
  proxmox.power.shutdown,
  proxmox.power.stop,
  proxmox.power.reboot,
  proxmox.power.suspend,
  proxmox.power.resume,
  proxmox.deleteGuestOp,
  changes.cloneTemplate,
  changes.migrate,
  changes.snapshotCreate,
  changes.snapshotRollback,
  proxmox.tasks,
  proxmox.taskLog,
  lab.deployPlan,
  lab.deployApply,
  lab.clusterDestroy,
  lab.pipelineStatus,
  lab.pipelineStart,
  kubernetes.contexts,
  kubernetes.list,
  kubernetes.get,
  kubernetes.scale,
  kubernetes.rolloutRestart,
  kubernetes.logs,
  kubernetes.applyDryRun,
  kubernetes.apply,
  appDeploy,
  appsManage.list, appsManage.scale, appsManage.setImage, appsManage.restart,
  appsMigrate.migrationStatus,
  journal.read,
  journal.newEntryOp,
  journal.appendActivityOp,
  journal.trackerRead,
  journal.storyStatus,
];

export function operation(id: string): Operation<any> | undefined {
  return CATALOG.find((o) => o.id === id);
}

// Input fields never written to the audit line as they are (secrets, long texts).
const HIDDEN = /secret|password|token|passphrase|databaseurl|clientid/i;
const LONG = new Set(['manifest', 'sshKeys', 'summary', 'description']);

/** The input as the audit line shows it: secrets left out, long fields summarized. */
export function auditInput(input: Record<string, unknown>): string {
  const parts = Object.entries(input).filter(([, v]) => v !== undefined).map(([k, v]) => {
    if (HIDDEN.test(k)) return `${k}=(hidden)`;
    if (LONG.has(k)) return `${k}=(${Array.isArray(v) ? `${v.length} items` : `${String(v).length} chars`})`;
    return `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`;
  });
  return parts.join(' ').slice(0, 300);
}

export interface InvokeOptions {
  /** Who asked: "VS Code tool (copilot)", "MCP client claude-code 1.0". */
  caller: string;
  /**
   * Asked after prepare, with the confirmation of a side effect; false ends the call as declined.
   * Left out: the caller confirmed before (VS Code's prepareInvocation) or runs unattended.
   */
  confirm?(prepared: Prepared, op: Operation<any>): Promise<boolean>;
  progress?: Progress;
  signal?: AbortSignal;
  /** Already prepared and confirmed by the caller (the palette confirms several guests at once). */
  prepared?: Prepared;
}

export type InvokeOutcome = { status: 'ok'; result: OperationResult } | { status: 'declined' };

/**
 * One call from a model. Throws InvalidInput (schema), OperationRefused (state), or the run's own
 * error; every outcome, including a refusal, is appended to the activity log.
 */
export async function invoke(op: Operation<any>, rawInput: unknown, host: OperationHost, o: InvokeOptions): Promise<InvokeOutcome> {
  const started = Date.now();
  let input: Record<string, unknown> = (rawInput ?? {}) as Record<string, unknown>;
  let prepared: Prepared | undefined;
  let result = 'ok';
  try {
    input = validateInput(op.inputSchema, rawInput);
    prepared = o.prepared ?? (await op.prepare(input, host));
    if (!o.prepared && op.effect !== 'readOnly' && o.confirm && !(await o.confirm(prepared, op))) {
      result = 'declined';
      return { status: 'declined' };
    }
    const signal = o.signal ?? new AbortController().signal;
    return { status: 'ok', result: await prepared.run(o.progress ?? { report: () => {} }, signal) };
  } catch (e) {
    result = isCancellation(e) ? 'cancelled' : `${e instanceof Error && e.name === 'OperationRefused' ? 'refused' : e instanceof Error && e.name === 'InvalidInput' ? 'invalid input' : 'failed'}: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300);
    throw e;
  } finally {
    await host.activity({
      what: `${o.caller} · ${op.id}`,
      cluster: prepared?.cluster,
      target: [prepared?.target, auditInput(input)].filter(Boolean).join(' · '),
      durationMs: Date.now() - started,
      result,
    });
  }
}

/** The text a model gets for an error: what went wrong, no stack. */
export function errorText(e: unknown): string {
  if (isCancellation(e)) return (e as Error).message && (e as Error).message !== 'cancelled' ? (e as Error).message : 'cancelled';
  return e instanceof Error ? e.message : String(e);
}
