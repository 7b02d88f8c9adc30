import * as vscode from 'vscode';
import type { KubeClient } from '../../providers/kubernetes/client';
import type { exec, ExecExit, ExecSession } from '../../providers/kubernetes/actions';

const MAX_KEPT = 200_000;

export interface ExecTarget { client: KubeClient; namespace: string; pod: string; container?: string; command: string[] }

/** An interactive shell in a container over the API (exec WebSocket, TTY), resized with the terminal. */
export class K8sExecTerminal implements vscode.Pseudoterminal {
  private readonly writer = new vscode.EventEmitter<string>();
  private readonly closer = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writer.event;
  readonly onDidClose = this.closer.event;
  private session?: ExecSession;
  private pending?: vscode.TerminalDimensions;
  private closed = false;
  output = '';
  /** The last size sent to the container (tests). */
  lastSize?: { cols: number; rows: number };
  readonly exited: Promise<ExecExit>;
  private exit!: (e: ExecExit) => void;
  /** Resolves once the session is open (or failed to open). */
  readonly opened: Promise<void>;
  private markOpened!: () => void;

  constructor(private readonly t: ExecTarget, private readonly exec$: typeof exec) {
    this.exited = new Promise((r) => (this.exit = r));
    this.opened = new Promise((r) => (this.markOpened = r));
  }

  private write(text: string): void {
    this.output = (this.output + text).slice(-MAX_KEPT);
    this.writer.fire(text);
  }

  open(dims: vscode.TerminalDimensions | undefined): void {
    this.pending = dims;
    this.exec$(this.t.client, this.t.namespace, this.t.pod, {
      command: this.t.command, container: this.t.container, tty: true, stdin: true,
      onStdout: (d) => this.write(d.toString('utf8')),
    }).then(
      (s) => {
        this.session = s;
        if (this.closed) { s.close(); return; }
        if (this.pending) this.setDimensions(this.pending);
        this.markOpened();
        void s.exit.then((x) => {
          this.write(`\r\n\x1b[2m${x.code === 0 ? vscode.l10n.t('[session ended]') : vscode.l10n.t('[session ended with code {0}] {1}', x.code, x.message ?? '')}\x1b[0m\r\n`);
          this.exit(x);
        });
      },
      (e: Error) => {
        this.write(`\x1b[31m${e.message}\x1b[0m\r\n`);
        this.markOpened();
        this.exit({ code: -1, message: e.message });
      },
    );
  }

  handleInput(data: string): void {
    this.session?.write(data);
  }

  setDimensions(dims: vscode.TerminalDimensions): void {
    this.pending = dims;
    if (!this.session) return;
    this.lastSize = { cols: dims.columns, rows: dims.rows };
    this.session.resize(dims.columns, dims.rows);
  }

  close(): void {
    this.closed = true;
    this.session?.close();
  }
}
