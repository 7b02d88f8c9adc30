import * as vscode from 'vscode';
import type { KubeClient } from '../../providers/kubernetes/client';
import type { followWorkloadLogs, WorkloadLogs } from '../../providers/kubernetes/app-logs';
import type { streamLogs } from '../../providers/kubernetes/actions';
import type { KubeObject } from '../../providers/kubernetes/resources';

const MAX_KEPT = 200_000; // characters kept for `output` (tests read it; the terminal has its own scrollback)
const COLORS = [36, 33, 35, 32, 34, 91, 96, 93];

export interface AppLogsTarget { client: KubeClient; namespace: string; app: string; workload: KubeObject; tailLines: number }

/**
 * The logs of every pod of an application's web Deployment in one terminal, interleaved as they
 * arrive, each line prefixed by its pod (coloured per pod). Pods of a new rollout join on their own.
 */
export class K8sAppLogsTerminal implements vscode.Pseudoterminal {
  private readonly writer = new vscode.EventEmitter<string>();
  private readonly closer = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writer.event;
  readonly onDidClose = this.closer.event;
  private logs?: WorkloadLogs;
  private readonly colors = new Map<string, number>();
  /** What was written so far, without terminal escapes (tests). */
  output = '';

  constructor(private readonly t: AppLogsTarget, private readonly follow: typeof followWorkloadLogs, private readonly stream: typeof streamLogs) {}

  private write(plain: string, styled = plain): void {
    this.output = (this.output + plain).slice(-MAX_KEPT);
    this.writer.fire(styled.replace(/\r?\n/g, '\r\n'));
  }

  private color(pod: string): number {
    let c = this.colors.get(pod);
    if (c === undefined) { c = COLORS[this.colors.size % COLORS.length]; this.colors.set(pod, c); }
    return c;
  }

  /** Pods whose logs are followed now. */
  pods(): string[] { return this.logs?.pods() ?? []; }

  open(): void {
    const head = vscode.l10n.t('Logs of application {0} ({1}), all pods of Deployment {2}, last {3} lines each, following', this.t.app, this.t.namespace, this.t.workload.metadata.name, this.t.tailLines);
    this.write(`${head}\n`, `\x1b[2m${head}\x1b[0m\n`);
    try {
      this.logs = this.follow(this.t.client, this.t.namespace, this.t.workload, {
        tailLines: this.t.tailLines,
        streamLogs: this.stream,
        onLine: (pod, line) => this.write(`[${pod}] ${line}\n`, `\x1b[${this.color(pod)}m[${pod}]\x1b[0m ${line}\n`),
        onPod: (pod, ev, detail) => {
          const text = ev === 'joined' ? vscode.l10n.t('{0} joined', pod) : ev === 'left' ? vscode.l10n.t('{0} left', pod) : vscode.l10n.t('{0}: {1}', pod, detail ?? '');
          this.write(`-- ${text}\n`, `\x1b[2m-- ${text}\x1b[0m\n`);
        },
      });
    } catch (e) {
      this.write(`${(e as Error).message}\n`, `\x1b[31m${(e as Error).message}\x1b[0m\n`);
    }
  }

  close(): void {
    this.logs?.stop();
  }
}
