import * as vscode from 'vscode';
import type { TaskOutcome } from '../../providers/proxmox';
import { OutputPty } from './output';

const dim = (s: string) => `\x1b[2m${s}\x1b[0m`;
const green = (s: string) => `\x1b[32m${s}\x1b[0m`;
const yellow = (s: string) => `\x1b[33m${s}\x1b[0m`;
const red = (s: string) => `\x1b[31m${s}\x1b[0m`;

/**
 * A Proxmox task in a terminal: its log as it grows, then one final status line
 * (`OK`, `WARNINGS: n`, or the error with the last log lines). Ctrl+C stops the task.
 */
export class TaskTerminal extends OutputPty {
  private readonly interrupted = new vscode.EventEmitter<void>();
  /** The user pressed Ctrl+C while the task runs. */
  readonly onInterrupt = this.interrupted.event;
  private finished = false;

  /** The final line is written (a key now closes the terminal, or the next task of its guest reuses it). */
  get done(): boolean {
    return this.finished;
  }

  /** Takes the next task of the same guest and kind: a blank line between the two. */
  restart(): void {
    this.finished = false;
    this.writeLine('');
  }

  header(line: string): void {
    this.writeLine(dim(line));
  }

  log(lines: string[]): void {
    for (const l of lines) this.writeLine(l);
  }

  /** The final line; the log tail is repeated for an error so it sits right above the cause. */
  finish(o: TaskOutcome, durationMs: number): void {
    this.finished = true;
    const secs = dim(`(${(durationMs / 1000).toFixed(1)} s)`);
    if (o.cancelled) {
      this.writeLine(yellow(vscode.l10n.t('CANCELLED: the task was stopped on request ({0})', o.exitstatus || '?')) + ' ' + secs);
    } else if (o.status === 'ok') {
      this.writeLine(green('OK') + ' ' + secs);
    } else if (o.status === 'warnings') {
      this.writeLine(yellow(o.exitstatus) + ' ' + secs);
    } else {
      const tail = o.logTail.filter((l) => !/^TASK ERROR/.test(l)).slice(-5);
      if (tail.length) this.writeLine(dim(vscode.l10n.t('Last log lines:')) + '\n' + tail.map((l) => dim(`  ${l}`)).join('\n'));
      this.writeLine(red(vscode.l10n.t('ERROR: {0}', o.exitstatus)) + ' ' + secs);
    }
    this.writeLine(dim(vscode.l10n.t('Press any key to close this terminal.')));
  }

  /** Following the task failed (node offline, connection lost): say what is known and what is not. */
  lost(message: string): void {
    this.finished = true;
    this.writeLine(red(vscode.l10n.t('UNKNOWN: {0}', message)));
    this.writeLine(dim(vscode.l10n.t('Press any key to close this terminal.')));
  }

  override handleInput(data: string): void {
    if (this.finished) return this.exit();
    if (data === '\x03') this.interrupted.fire();
  }

  override dispose(): void {
    this.interrupted.dispose();
    super.dispose();
  }
}
