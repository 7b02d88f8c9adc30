import * as vscode from 'vscode';
import { statusTable, type VmProgress } from '../../providers/cluster/deploy';
import { OutputPty } from './output';

/** A row of the status table: only its state colours the row. */
interface Row { state: string }

const dim = (s: string) => `\x1b[2m${s}\x1b[0m`;
const colour: Record<string, string> = { done: '32', adopted: '32', failed: '31', blocked: '31', running: '36', waiting: '36', cancelled: '33', 'rolled-back': '33' };

/**
 * A cluster deployment in one terminal: the per-VM status table at the top, redrawn as VMs move
 * through their steps, and below it the latest step lines (task logs, retries, SSH attempts).
 * Ctrl+C asks to cancel the deployment. The K3s bootstrap uses the same terminal with its own
 * per-node table (`table`).
 */
export class DeployTerminal<P extends Row = VmProgress> extends OutputPty {
  private readonly interrupted = new vscode.EventEmitter<void>();
  readonly onInterrupt = this.interrupted.event;
  /** Every step line, in order (tests read them). */
  readonly lines: string[] = [];
  private progress: readonly P[] = [];
  private timer?: NodeJS.Timeout;
  private finished = false;
  /** The status table last drawn, plain text. */
  lastTable: string[] = [];

  constructor(name: string, private readonly title: string, private readonly table: (progress: readonly P[]) => string[] = statusTable as unknown as (progress: readonly P[]) => string[]) {
    super(name);
  }

  setProgress(progress: readonly P[]): void {
    this.progress = progress;
    this.schedule();
  }

  line(text: string): void {
    this.lines.push(text);
    this.schedule();
  }

  /** Draws now (the final state must be on screen before a question is asked). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.draw();
  }

  finish(summary: string): void {
    this.lines.push(summary);
    this.finished = true;
    this.flush();
    this.writeLine(dim(vscode.l10n.t('Press any key to close this terminal.')));
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, 100);
  }

  private draw(): void {
    const table = this.table(this.progress);
    this.lastTable = table;
    const rows = this.dimensions?.rows ?? 30;
    const room = Math.max(5, rows - table.length - 4);
    const out = [
      '\x1b[H\x1b[2J\x1b[3J' + `\x1b[1m${this.title}\x1b[0m`,
      `\x1b[1m${table[0]}\x1b[0m`,
      ...table.slice(1).map((row, i) => {
        const c = colour[this.progress[i]?.state ?? ''];
        return c ? `\x1b[${c}m${row}\x1b[0m` : row;
      }),
      dim('─'.repeat(Math.min(100, this.dimensions?.columns ?? 100))),
      ...this.lines.slice(-room),
    ];
    this.write(out.join('\n') + '\n');
  }

  override handleInput(data: string): void {
    if (this.finished) return this.exit();
    if (data === '\x03') this.interrupted.fire();
  }

  override dispose(): void {
    clearTimeout(this.timer);
    this.interrupted.dispose();
    super.dispose();
  }
}
