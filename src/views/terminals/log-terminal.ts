import * as vscode from 'vscode';
import { OutputPty } from './output';

/**
 * Output of work we run ourselves (a nix build, the template pipeline): lines as they come, a final
 * status line. Ctrl+C asks to stop the work; once finished any key closes the terminal.
 */
export class LogTerminal extends OutputPty {
  private readonly interrupted = new vscode.EventEmitter<void>();
  readonly onInterrupt = this.interrupted.event;
  private finished = false;

  line(text: string): void {
    this.writeLine(text);
  }

  dim(text: string): void {
    this.writeLine(`\x1b[2m${text}\x1b[0m`);
  }

  end(ok: boolean, text: string): void {
    this.finished = true;
    this.writeLine(`${ok ? '\x1b[32m' : '\x1b[31m'}${text}\x1b[0m`);
    this.dim(vscode.l10n.t('Press any key to close this terminal.'));
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
