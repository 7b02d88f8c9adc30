import * as vscode from 'vscode';
import type { KubeClient } from '../../providers/kubernetes/client';
import type { LogStream, streamLogs } from '../../providers/kubernetes/actions';

const MAX_KEPT = 200_000; // characters kept for `output` (tests read it; the terminal has its own scrollback)

export interface LogsTarget { client: KubeClient; namespace: string; pod: string; container?: string; tailLines: number; follow: boolean }

/** A pod's log streamed into a terminal: the last N lines, then new lines while it follows. */
export class K8sLogsTerminal implements vscode.Pseudoterminal {
  private readonly writer = new vscode.EventEmitter<string>();
  private readonly closer = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writer.event;
  readonly onDidClose = this.closer.event;
  private stream?: LogStream;
  private closed = false;
  /** What was written so far, without terminal escapes (tests). */
  output = '';
  /** Resolves when the stream ended or failed. */
  readonly ended: Promise<void>;
  private end!: () => void;

  constructor(private readonly t: LogsTarget, private readonly stream$: typeof streamLogs) {
    this.ended = new Promise((r) => (this.end = r));
  }

  private write(text: string): void {
    this.output = (this.output + text).slice(-MAX_KEPT);
    this.writer.fire(text.replace(/\r?\n/g, '\r\n'));
  }

  open(): void {
    const what = `${this.t.namespace}/${this.t.pod}${this.t.container ? ` (${this.t.container})` : ''}`;
    this.write(`\x1b[2m${vscode.l10n.t('Logs of {0}, last {1} lines{2}', what, this.t.tailLines, this.t.follow ? vscode.l10n.t(', following') : '')}\x1b[0m\n`);
    this.stream$(this.t.client, this.t.namespace, this.t.pod, {
      container: this.t.container, tailLines: this.t.tailLines, follow: this.t.follow, onLine: (l) => this.write(`${l}\n`),
    }).then(
      (s) => {
        this.stream = s;
        if (this.closed) s.stop();
        void s.done.then(() => {
          if (!this.closed) this.write(`\x1b[2m${vscode.l10n.t('[log stream ended]')}\x1b[0m\n`);
          this.end();
        });
      },
      (e: Error) => {
        this.write(`\x1b[31m${e.message}\x1b[0m\n`);
        this.end();
      },
    );
  }

  close(): void {
    this.closed = true;
    this.stream?.stop();
    this.end();
  }
}
