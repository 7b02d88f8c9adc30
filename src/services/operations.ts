// The ONE path every Proxmox operation takes for a task: a terminal named for the task and the VM
// streaming its log, a progress notification whose Cancel stops the task on the node (DELETE),
// a final status line, and an event when it ends. What the end changes (the session's inventory,
// the tree) follows that event: the Proxmox refresh coordinator listens to it.
import * as vscode from 'vscode';
import type { ProxmoxClient, TaskOutcome } from '../providers/proxmox';
import type { ActivityLog, ActivityRecord } from './activity';
import type { ClusterConfig } from './proxmox/clusters';
import { taskTerminalName } from './task-names';
import type { OpenTerminal, Terminals, TrackedPty } from './terminals';

const provider = () => import('../providers/proxmox');

/** The terminal of one followed task (views/terminals' TaskTerminal). */
export interface TaskPty extends TrackedPty {
  header(line: string): void;
  log(lines: string[]): void;
  finish(outcome: TaskOutcome, durationMs: number): void;
  lost(message: string): void;
  /** The final line is written: the terminal may take the next task of its guest. */
  readonly done: boolean;
  /** Takes the next task: a blank line, and keys stop the task again instead of closing. */
  restart(): void;
  /** The user pressed Ctrl+C while the task runs. */
  readonly onInterrupt: vscode.Event<void>;
}

/**
 * An end event whose listeners may hand back work the operation waits for (as
 * `onWillSaveTextDocument` does): the command returns once the session shows the result.
 */
export interface Awaitable {
  waitUntil(work: Promise<unknown>): void;
}

export interface TaskEnd extends Awaitable {
  clusterId: string;
  upid: string;
  outcome?: TaskOutcome;
  error?: string;
  /** When the final line was written to the terminal. */
  at: number;
}

/** An operation that changed a cluster without a followed task (an upload, a deploy, the template pipeline) ended. */
export interface OperationEnd extends Awaitable {
  clusterId: string;
}

export interface RunTaskOptions {
  /** The guest's name, for the terminal's name. */
  vmName?: string;
  /** Shown in the notification (default: the terminal's name). */
  title?: string;
  /** Open a terminal of its own instead of reusing the guest's finished one (reopening an old task). */
  newTerminal?: boolean;
}

export interface OperationsDeps {
  terminals: Terminals;
  /** Where long operations (clone, migrate, template, deploy) report when they end: the journal's activity log. */
  activity: ActivityLog;
  log: vscode.LogOutputChannel;
  /** Makes the terminal of a task (the Pseudoterminal lives in views/terminals). */
  taskPty(name: string): TaskPty;
  /** Poll interval while following a task. */
  pollMs?: number;
}

/** Follows tasks in terminals; keeps the ones running so they can be stopped. */
export class Operations implements vscode.Disposable {
  private readonly ended = new vscode.EventEmitter<TaskEnd>();
  /** Fires when a followed task ended and its final line is in its terminal (the refresh follows it). */
  readonly onDidEndTask = this.ended.event;
  private readonly operationEnded = new vscode.EventEmitter<OperationEnd>();
  /** Fires when `endOperation` reports an operation on a cluster ended. */
  readonly onDidEndOperation = this.operationEnded.event;
  readonly running = new Map<string, AbortController>();
  /** The last task terminal per cluster, guest and task type: the next such task reuses it once done. */
  private readonly taskTerminals = new Map<string, OpenTerminal<TaskPty>>();
  readonly terminals: Terminals;
  readonly activity: ActivityLog;
  readonly pollMs: number;

  constructor(private readonly deps: OperationsDeps) {
    this.terminals = deps.terminals;
    this.activity = deps.activity;
    this.pollMs = deps.pollMs ?? 500;
  }

  /** Stops a task we follow, as the notification's Cancel does. */
  cancel(upid: string): boolean {
    const ac = this.running.get(upid);
    ac?.abort();
    return !!ac;
  }

  /**
   * Follows `upid` in a new terminal until it ends; returns once the listeners of its end (the
   * session's refresh) are done. Resolves with the outcome (also for task errors: callers
   * decide); throws when the task's fate is unknown (node offline, connection lost) with a
   * message that says so.
   */
  async follow(cluster: ClusterConfig, client: ProxmoxClient, upid: string, o: RunTaskOptions = {}): Promise<TaskOutcome & { durationMs: number }> {
    const { parseUpid, followTask } = await provider();
    const u = parseUpid(upid);
    const name = taskTerminalName(u, o.vmName);
    const { pty, terminal } = this.taskTerminal(`${cluster.id}/${u.id}/${u.type}`, name, o.newTerminal);
    terminal.show(true);
    pty.header(`${cluster.name} · ${upid}`);
    const ac = new AbortController();
    this.running.set(upid, ac);
    const sub = pty.onInterrupt(() => ac.abort());
    const started = Date.now();
    let end: Omit<TaskEnd, 'waitUntil' | 'at'> = { clusterId: cluster.id, upid };
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
      this.deps.log.info(`${name}: ${outcome.cancelled ? 'cancelled, ' : ''}${outcome.exitstatus} in ${durationMs} ms`);
      end = { ...end, outcome };
      return { ...outcome, durationMs };
    } catch (err) {
      const message = vscode.l10n.t(
        'Lost track of task {0} on {1}: {2}. The task may still be running there, its result is unknown. Check it with "Show Proxmox Tasks" once the node answers again.',
        `${u.type} ${u.id}`, u.node, err instanceof Error ? err.message : String(err),
      );
      pty.lost(message);
      this.deps.log.error(message);
      end = { ...end, error: message };
      throw new Error(message);
    } finally {
      sub.dispose();
      this.running.delete(upid);
      await this.fire(this.ended, (waitUntil) => ({ ...end, at: Date.now(), waitUntil }));
    }
  }

  /** The guest's finished terminal for this kind of task, or a new one: tabs do not pile up. */
  private taskTerminal(key: string, name: string, fresh = false): OpenTerminal<TaskPty> {
    const last = this.taskTerminals.get(key);
    if (!fresh && last && last.name === name && last.pty.done && this.terminals.open.includes(last)) {
      last.pty.restart();
      return last;
    }
    const entry = this.terminals.create('task', this.deps.taskPty(name), new vscode.ThemeIcon('server-process'));
    if (!fresh) this.taskTerminals.set(key, entry);
    return entry;
  }

  /**
   * Reports that an operation which changed `clusterId` outside a followed task ended (successful
   * or not); returns once the listeners are done, so the views show the result when the command ends.
   */
  endOperation(clusterId: string): Promise<void> {
    return this.fire(this.operationEnded, (waitUntil) => ({ clusterId, waitUntil }));
  }

  /** Appends a finished long operation to the activity log; never fails the command. */
  async report(e: ActivityRecord): Promise<void> {
    await this.activity.append(e).catch((err: unknown) => this.deps.log.warn(`activity log: ${err instanceof Error ? err.message : err}`));
  }

  private async fire<E extends Awaitable>(emitter: vscode.EventEmitter<E>, make: (waitUntil: Awaitable['waitUntil']) => E): Promise<void> {
    const work: Promise<unknown>[] = [];
    emitter.fire(make((p) => work.push(p)));
    await Promise.allSettled(work);
  }

  dispose(): void {
    for (const ac of this.running.values()) ac.abort();
    this.ended.dispose();
    this.operationEnded.dispose();
    this.taskTerminals.clear();
  }
}
