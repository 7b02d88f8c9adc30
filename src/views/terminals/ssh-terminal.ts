import * as vscode from 'vscode';
import type { SshSession, SshShell } from '../../providers/ssh';
import { OutputPty } from './output';

/** An SSH shell in a terminal: a real PTY channel (ssh2), input, output and resize passed through. */
export class SshTerminal extends OutputPty {
  private shell: SshShell | undefined;
  private readonly readyEmitter = new vscode.EventEmitter<void>();
  /** The PTY channel is open (tests wait for it). */
  readonly onDidOpenShell = this.readyEmitter.event;
  /** The last size sent to the server (tests). */
  lastSize: { rows: number; cols: number } | undefined;

  constructor(name: string, private readonly session: SshSession) {
    super(name);
    session.onClose((err) => {
      if (err) this.writeLine(`\r\n${vscode.l10n.t('Connection lost: {0}', err.message)}`);
    });
  }

  get isOpen(): boolean {
    return !!this.shell;
  }

  protected override opened(): void {
    const rows = this.dimensions?.rows ?? 24;
    const cols = this.dimensions?.columns ?? 80;
    this.lastSize = { rows, cols };
    this.session.shell({ rows, cols }).then(
      (shell) => {
        this.shell = shell;
        shell.onData((d) => this.writeRaw(d));
        shell.onExit((e) => {
          this.writeLine(`\r\n${vscode.l10n.t('[session ended{0}]', e.code !== null ? `, exit ${e.code}` : e.signal ? `, ${e.signal}` : '')}`);
          this.session.close();
          this.exit(e.code ?? undefined);
        });
        this.readyEmitter.fire();
      },
      (err: Error) => {
        this.writeLine(vscode.l10n.t('Could not open a shell: {0}', err.message));
        this.session.close();
      },
    );
  }

  override handleInput(data: string): void {
    this.shell?.write(data);
  }

  override setDimensions(d: vscode.TerminalDimensions): void {
    super.setDimensions(d);
    this.lastSize = { rows: d.rows, cols: d.columns };
    this.shell?.resize(d.rows, d.columns);
  }

  protected override closed(): void {
    this.shell?.close();
    this.session.close();
  }

  override dispose(): void {
    this.readyEmitter.dispose();
    super.dispose();
  }
}
