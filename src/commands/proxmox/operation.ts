// The ONE path every Proxmox operation takes for a task: a terminal named for the task and the VM
// streaming its log, a progress notification whose Cancel stops the task on the node (DELETE),
// a final status line, and a refresh of the tree when it ends.
import * as vscode from 'vscode';
import type { ProxmoxClient, TaskOutcome } from '../../providers/proxmox';
import type { ClusterResource } from '../../providers/proxmox/types';
import type { ClusterConfig, ClusterStore } from '../../state/clusters';
import type { Connections } from '../../state/connections';
import type { Terminals } from '../../views/terminals/output';
import { TaskTerminal } from '../../views/terminals/task-terminal';
import type { ProxmoxElement, ProxmoxTreeProvider } from '../../views/proxmox/tree';
import type { Prompts } from '../prompts';
import { CancelledError } from '../registry';

const provider = () => import('../../providers/proxmox');

export interface ActivityLog {
  append(e: { what: string; cluster?: string; target?: string; durationMs: number; result: string }): Promise<void>;
}

export interface OperationDeps {
  clusters: ClusterStore;
  connections: Connections;
  tree: ProxmoxTreeProvider;
  prompts: Prompts;
  log: vscode.LogOutputChannel;
  operations: Operations;
}

export interface TaskEnd {
  clusterId: string;
  upid: string;
  outcome?: TaskOutcome;
  error?: string;
  /** When the final line was written to the terminal. */
  at: number;
}

export interface RunTaskOptions {
  /** The guest's name, for the terminal's name. */
  vmName?: string;
  /** Shown in the notification (default: the terminal's name). */
  title?: string;
}

/** Follows tasks in terminals; keeps the ones running so they can be stopped. */
export class Operations implements vscode.Disposable {
  private readonly ended = new vscode.EventEmitter<TaskEnd>();
  /** Fires when a followed task ended and its final line is in its terminal (before the tree refresh). */
  readonly onDidEndTask = this.ended.event;
  readonly running = new Map<string, AbortController>();
  /** Where long operations (clone, migrate, template, deploy) report when they end: the journal's activity log. */
  activity: ActivityLog | undefined;

  constructor(
    readonly terminals: Terminals,
    private readonly tree: ProxmoxTreeProvider,
    private readonly log: vscode.LogOutputChannel,
    /** Poll interval while following a task. */
    readonly pollMs = 500,
  ) {}

  /** Stops a task we follow, as the notification's Cancel does. */
  cancel(upid: string): boolean {
    const ac = this.running.get(upid);
    ac?.abort();
    return !!ac;
  }

  /**
   * Follows `upid` in a new terminal until it ends, then refreshes the cluster in the tree.
   * Resolves with the outcome (also for task errors: callers decide); throws when the task's
   * fate is unknown (node offline, connection lost) with a message that says so.
   */
  async follow(cluster: ClusterConfig, client: ProxmoxClient, upid: string, o: RunTaskOptions = {}): Promise<TaskOutcome & { durationMs: number }> {
    const { parseUpid, followTask } = await provider();
    const u = parseUpid(upid);
    const name = `${u.type} ${u.id}${o.vmName ? ` (${o.vmName})` : ''} · ${u.node}`;
    const pty = new TaskTerminal(name);
    const { terminal } = this.terminals.create('task', pty, new vscode.ThemeIcon('server-process'));
    terminal.show(true);
    pty.header(`${cluster.name} · ${upid}`);
    const ac = new AbortController();
    this.running.set(upid, ac);
    const sub = pty.onInterrupt(() => ac.abort());
    const started = Date.now();
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: o.title ?? name, cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => ac.abort());
          return followTask(client, upid, {
            signal: ac.signal,
            pollMs: this.pollMs,
            onLog: (lines) => {
              pty.log(lines);
              const last = lines[lines.length - 1];
              if (last) progress.report({ message: last.slice(0, 120) });
            },
          });
        },
      );
      const durationMs = Date.now() - started;
      pty.finish(outcome, durationMs);
      this.log.info(`${name}: ${outcome.cancelled ? 'cancelled, ' : ''}${outcome.exitstatus} in ${durationMs} ms`);
      this.ended.fire({ clusterId: cluster.id, upid, outcome, at: Date.now() });
      return { ...outcome, durationMs };
    } catch (err) {
      const message = vscode.l10n.t(
        'Lost track of task {0} on {1}: {2}. The task may still be running there, its result is unknown. Check it with "Show Proxmox Tasks" once the node answers again.',
        `${u.type} ${u.id}`, u.node, err instanceof Error ? err.message : String(err),
      );
      pty.lost(message);
      this.log.error(message);
      this.ended.fire({ clusterId: cluster.id, upid, error: message, at: Date.now() });
      throw new Error(message);
    } finally {
      sub.dispose();
      this.running.delete(upid);
      await this.tree.refresh(cluster.id).catch(() => {});
    }
  }

  dispose(): void {
    for (const ac of this.running.values()) ac.abort();
    this.ended.dispose();
  }
}

/** Reports a finished long operation to the activity log, if there is one; never fails the command. */
export async function reportActivity(deps: OperationDeps, e: Parameters<ActivityLog['append']>[0]): Promise<void> {
  const log = deps.operations.activity;
  await log?.append(e).catch((err: unknown) => deps.log.warn(`activity log: ${err instanceof Error ? err.message : err}`));
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

// ---- which guests a command acts on ----

export interface GuestTarget {
  cluster: ClusterConfig;
  guest: ClusterResource & { vmid: number; node: string };
}

type GuestFilter = (r: ClusterResource) => boolean;

function guestsOf(args: unknown[]): Extract<ProxmoxElement, { kind: 'guest' }>[] {
  // Tree context menus call (clicked, allSelected); the palette calls with nothing.
  const [clicked, selected] = args as [unknown, unknown];
  const list = Array.isArray(selected) && selected.length ? selected : clicked ? [clicked] : [];
  return list.filter((e): e is Extract<ProxmoxElement, { kind: 'guest' }> => (e as ProxmoxElement)?.kind === 'guest');
}

/**
 * The guests a command was invoked on: the tree selection (multi-select), one element, a
 * `{clusterId, vmid}` argument, or the user's pick among the guests that pass `filter`.
 */
export async function resolveGuests(
  deps: Pick<OperationDeps, 'clusters' | 'connections' | 'tree' | 'prompts'>,
  args: unknown[],
  o: { many: boolean; filter: GuestFilter; title: string },
): Promise<GuestTarget[]> {
  const fromTree = guestsOf(args);
  if (fromTree.length) {
    return fromTree.map((e) => {
      const cluster = deps.clusters.get(e.clusterId);
      if (!cluster) throw new Error(vscode.l10n.t('No cluster with id "{0}".', e.clusterId));
      const fresh = deps.tree.inventory(e.clusterId)?.nodes.flatMap((n) => [...n.guests, ...n.templates]).find((g) => g.vmid === e.resource.vmid);
      return { cluster, guest: (fresh ?? e.resource) as GuestTarget['guest'] };
    });
  }
  const { resolveCluster } = await import('./clusters');
  const ref = args[0] as { clusterId?: string; vmid?: number } | undefined;
  const cluster = await resolveCluster(deps, ref?.clusterId ?? undefined);
  const client = await deps.connections.client(cluster);
  const all = (await client.resources('vm')).filter((r) => r.type === 'qemu' && r.vmid !== undefined && r.node) as GuestTarget['guest'][];
  if (ref?.vmid !== undefined) {
    const g = all.find((r) => r.vmid === ref.vmid);
    if (!g) throw new Error(vscode.l10n.t('There is no VM {0} in {1}.', ref.vmid, cluster.name));
    return [{ cluster, guest: g }];
  }
  const candidates = all.filter(o.filter).sort((a, b) => a.vmid - b.vmid);
  if (!candidates.length) throw new Error(vscode.l10n.t('No VM in {0} fits: {1}', cluster.name, o.title));
  const items = candidates.map((g) => ({ label: g.name ?? `VM ${g.vmid}`, description: `${g.vmid} · ${g.node} · ${g.status ?? ''}`, id: String(g.vmid), guest: g }));
  const picked = o.many
    ? await deps.prompts.pickStep(items, { title: o.title, canPickMany: true }, { step: 1, totalSteps: 1, back: false })
    : [await deps.prompts.pick(items, { title: o.title })];
  if (!picked.length) throw new CancelledError();
  return picked.map((p) => ({ cluster, guest: p.guest }));
}

export const vmPath = (g: { node: string; vmid: number }) => `/nodes/${encodeURIComponent(g.node)}/qemu/${g.vmid}`;
export const label = (g: ClusterResource) => `${g.name ?? 'VM'} (${g.vmid})`;
