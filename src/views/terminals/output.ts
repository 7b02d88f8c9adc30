import * as vscode from 'vscode';
import type { TrackedPty } from '../../services/terminals';

/**
 * Base of our Pseudoterminals: buffers what is written until VS Code has opened the terminal AND
 * told its size (text written to a terminal of unknown size is laid out for 80 columns and its
 * first line cut when the real size arrives), turns `\n` into `\r\n`, and keeps a copy of the
 * output (tests read it; nothing else does).
 */
export abstract class OutputPty implements TrackedPty {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  private readonly written = new vscode.EventEmitter<{ text: string; at: number }>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  /** Fires for every write with its time (tests, the latency benchmark). */
  readonly onDidWriteText = this.written.event;
  private pending: string[] | undefined = [];
  private text = '';
  protected dimensions: vscode.TerminalDimensions | undefined;
  private sizeTimer: NodeJS.Timeout | undefined;
  /** How long to wait for a size when the terminal opened without one; then write anyway. */
  static sizeWaitMs = 1000;

  constructor(readonly name: string) {}

  /** Everything written so far, without escape sequences' \r. */
  get output(): string {
    return this.text;
  }

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    this.dimensions = dimensions;
    if (dimensions) this.flushPending();
    else this.sizeTimer = setTimeout(() => this.flushPending(), OutputPty.sizeWaitMs);
    this.opened();
  }

  /** VS Code reports the terminal's size (first after open, then on every resize). */
  setDimensions(dimensions: vscode.TerminalDimensions): void {
    this.dimensions = dimensions;
    this.flushPending();
  }

  /** Writes what waited for the terminal to open and be sized, once. */
  private flushPending(): void {
    clearTimeout(this.sizeTimer);
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    for (const chunk of p) this.writeEmitter.fire(chunk);
  }

  protected opened(): void {}

  /** Keys typed into the terminal. */
  handleInput(_data: string): void {}

  close(): void {
    this.closed();
  }

  protected closed(): void {}

  /** Raw write (already terminal-ready, e.g. SSH output). */
  protected writeRaw(data: string): void {
    this.text += data;
    if (this.pending) this.pending.push(data);
    else this.writeEmitter.fire(data);
    this.written.fire({ text: data, at: Date.now() });
  }

  write(text: string): void {
    this.writeRaw(text.replace(/\r?\n/g, '\r\n'));
  }

  writeLine(text: string): void {
    this.write(`${text}\n`);
  }

  protected exit(code?: number): void {
    this.closeEmitter.fire(code);
  }

  dispose(): void {
    clearTimeout(this.sizeTimer);
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
    this.written.dispose();
  }
}
