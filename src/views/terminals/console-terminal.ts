import * as vscode from 'vscode';
import type { ConsoleSession } from '../../providers/proxmox/console';
import { OutputPty } from './output';

const dim = (s: string) => `\x1b[2m${s}\x1b[0m`;
const red = (s: string) => `\x1b[31m${s}\x1b[0m`;

/** Opens a console session (termproxy + vncwebsocket) at a size; called again to reconnect. */
export type ConsoleConnect = (size: { cols: number; rows: number } | undefined) => Promise<ConsoleSession>;

/** How a console ended, as far as the terminal can tell. */
export type ConsoleState = 'connected' | 'connecting' | 'dropped' | 'ended';

/** Pasted text is sent in pieces of at most this many characters (termproxy reads one frame at a time). */
const PASTE_CHUNK = 4096;

/** A close code that means the far end ended the session on purpose (`exit`, the guest stopped). */
const isNormalClose = (code: number) => code === 1000 || code === 1005;

/**
 * A Proxmox text console (node shell, container console, VM serial console) in a terminal, on the
 * same base as task logs and SSH shells (OutputPty, tracked by services/terminals). Keys, pastes
 * and resizes go through; the terminal closes when the remote shell exits; when the connection
 * drops instead, the terminal stays with what was on screen and offers to reconnect (R), which opens
 * a new session with the same `connect`.
 */
export class ConsoleTerminal extends OutputPty {
  private session: ConsoleSession | undefined;
  private subscriptions: Array<{ dispose(): void }> = [];
  private status: ConsoleState = 'connecting';
  private connectedAt = 0;
  private disposed = false;
  private readonly stateEmitter = new vscode.EventEmitter<ConsoleState>();
  /** Fires on every change of state (tests wait on it instead of sleeping). */
  readonly onDidChangeState = this.stateEmitter.event;
  /** A console closed normally sooner than this after connecting keeps its terminal (the reason stays readable). */
  static earlyCloseMs = 1000;
  /** The last size sent to Proxmox (tests). */
  lastSize: { cols: number; rows: number } | undefined;

  /** `first` is the session the command already opened (so a refusal is the command's error and no terminal is left behind). */
  constructor(name: string, private readonly connect: ConsoleConnect, first: ConsoleSession, private readonly what: string) {
    super(name);
    this.attach(first);
  }

  get state(): ConsoleState {
    return this.status;
  }

  private setState(s: ConsoleState): void {
    this.status = s;
    if (!this.disposed) this.stateEmitter.fire(s);
  }

  private attach(session: ConsoleSession): void {
    this.session = session;
    this.connectedAt = Date.now();
    this.setState('connected');
    this.subscriptions = [
      session.onData((text) => this.writeRaw(text)),
      session.onClose((e) => this.onSessionClosed(session, e)),
    ];
    if (this.dimensions) this.sendSize(this.dimensions.columns, this.dimensions.rows);
  }

  private onSessionClosed(session: ConsoleSession, e: { code: number; reason: string; byUser: boolean }): void {
    if (session !== this.session) return;
    for (const s of this.subscriptions) s.dispose();
    this.subscriptions = [];
    this.session = undefined;
    if (e.byUser) return;
    if (isNormalClose(e.code)) {
      this.setState('ended');
      // A console that ends right away (a refusal printed by `qm terminal`) stays readable; one the
      // user left with `exit` closes, as any terminal whose shell exits.
      if (Date.now() - this.connectedAt < ConsoleTerminal.earlyCloseMs) {
        this.writeLine(`\r\n${dim(vscode.l10n.t('[console closed by Proxmox] Press any key to close this terminal.'))}`);
        return;
      }
      this.exit();
      return;
    }
    this.setState('dropped');
    const why = e.reason ? `${e.code} ${e.reason}` : String(e.code);
    this.writeLine(`\r\n${red(vscode.l10n.t('The connection to {0} was lost ({1}).', this.what, why))} ${dim(vscode.l10n.t('Press R to reconnect, any other key to close this terminal.'))}`);
  }

  /** Opens a new session in this terminal (R after a drop; tests call it directly). */
  async reconnect(): Promise<void> {
    if (this.status === 'connecting' || this.status === 'connected') return;
    this.setState('connecting');
    this.writeLine(dim(vscode.l10n.t('Reconnecting to {0}…', this.what)));
    try {
      const size = this.dimensions ? { cols: this.dimensions.columns, rows: this.dimensions.rows } : undefined;
      const s = await this.connect(size);
      if (this.disposed) return s.close();
      this.attach(s);
    } catch (err) {
      this.setState('dropped');
      this.writeLine(`${red(vscode.l10n.t('Could not reconnect: {0}', (err as Error).message))} ${dim(vscode.l10n.t('Press R to try again, any other key to close this terminal.'))}`);
    }
  }

  override handleInput(data: string): void {
    if (this.session) {
      // Large pastes go in pieces; a piece never splits a UTF-16 surrogate pair.
      for (let i = 0; i < data.length; ) {
        let end = Math.min(data.length, i + PASTE_CHUNK);
        if (end < data.length && /[\uD800-\uDBFF]/.test(data[end - 1])) end--;
        this.session.write(data.slice(i, end));
        i = end;
      }
      return;
    }
    if (this.status === 'dropped') {
      if (data === 'r' || data === 'R') void this.reconnect();
      else this.exit();
    } else if (this.status === 'ended') {
      this.exit();
    }
  }

  override setDimensions(d: vscode.TerminalDimensions): void {
    super.setDimensions(d);
    this.sendSize(d.columns, d.rows);
  }

  protected override opened(): void {
    if (this.dimensions) this.sendSize(this.dimensions.columns, this.dimensions.rows);
  }

  private sendSize(cols: number, rows: number): void {
    if (!this.session || cols < 1 || rows < 1) return;
    this.lastSize = { cols, rows };
    this.session.resize(cols, rows);
  }

  protected override closed(): void {
    this.session?.close();
  }

  override dispose(): void {
    this.disposed = true;
    this.session?.close();
    for (const s of this.subscriptions) s.dispose();
    this.stateEmitter.dispose();
    super.dispose();
  }
}
