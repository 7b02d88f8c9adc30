// Our terminals: every Pseudoterminal Homelab opens (task logs, uploads, builds, deploys, SSH
// shells, Proxmox consoles) is created here and tracked until closed, so a task's terminal can be found again and
// tests can read what was written. The Pseudoterminal implementations live in views/terminals/;
// this service only needs what every one of them offers.
import * as vscode from 'vscode';

/** What this service needs of a Pseudoterminal (views/terminals' OutputPty provides it). */
export interface TrackedPty extends vscode.Pseudoterminal {
  readonly name: string;
  /** Everything written so far. */
  readonly output: string;
  handleInput(data: string): void;
  dispose(): void;
}

export interface OpenTerminal<P extends TrackedPty = TrackedPty> {
  name: string;
  kind: 'task' | 'ssh' | 'console';
  pty: P;
  terminal: vscode.Terminal;
}

/** Creates our terminals and remembers them (so a task can be found again, and tests can read them). */
export class Terminals implements vscode.Disposable {
  readonly open: OpenTerminal[] = [];
  private readonly opened = new vscode.EventEmitter<OpenTerminal>();
  readonly onDidOpen = this.opened.event;
  private readonly subscription = vscode.window.onDidCloseTerminal((t) => {
    const i = this.open.findIndex((o) => o.terminal === t);
    if (i >= 0) this.open.splice(i, 1)[0].pty.dispose();
  });

  create<P extends TrackedPty>(kind: OpenTerminal['kind'], pty: P, iconPath?: vscode.ThemeIcon): OpenTerminal<P> {
    const terminal = vscode.window.createTerminal({ name: pty.name, pty, iconPath, isTransient: kind === 'task' });
    const entry = { name: pty.name, kind, pty, terminal };
    this.open.push(entry);
    this.opened.fire(entry);
    return entry;
  }

  dispose(): void {
    this.subscription.dispose();
    this.opened.dispose();
  }
}
