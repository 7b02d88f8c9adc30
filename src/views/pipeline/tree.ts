// The "Pipeline" view: the steps of the NixOS template pipeline with their state and duration,
// read from the pipeline state file in the workspace (live while a run goes on), and after a
// failure what the run made, listed for cleanup. Empty (the welcome text shows) before any run.
import * as vscode from 'vscode';
import type { PipelineState, PipelineRow, StepStatus, CreatedResource } from '../../providers/nix/pipeline';
import type { PipelineRuns } from '../../services/pipeline';

export type PipelineElement =
  | { kind: 'step'; row: PipelineRow }
  | { kind: 'created'; resource: CreatedResource };

const ICONS: Record<StepStatus, [string, string?]> = {
  done: ['pass', 'testing.iconPassed'],
  running: ['sync~spin'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', 'list.warningForeground'],
  pending: ['circle-large-outline'],
};

export class PipelineTreeProvider implements vscode.TreeDataProvider<PipelineElement>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PipelineElement | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private timer: NodeJS.Timeout | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly runs: PipelineRuns,
    /** The steps' ids and titles; a function is called on the first render of a run (loaded lazily). */
    private steps: readonly { id: string; title: string }[] | (() => readonly { id: string; title: string }[]),
  ) {
    // While a step runs, its duration ticks once a second.
    this.subscription = runs.onDidChange((state) => {
      this.changed.fire(undefined);
      clearInterval(this.timer);
      this.timer = state?.status === 'running' ? setInterval(() => this.changed.fire(undefined), 1000) : undefined;
    });
  }

  /** Reads the state file again (tests; the Refresh command asks the service). */
  refresh(): Promise<void> {
    return this.runs.reload();
  }

  get current(): PipelineState | undefined {
    return this.runs.current;
  }

  async rows(): Promise<PipelineRow[]> {
    return (await this.getChildren()).filter((e): e is Extract<PipelineElement, { kind: 'step' }> => e.kind === 'step').map((e) => e.row);
  }

  async getChildren(el?: PipelineElement): Promise<PipelineElement[]> {
    if (el) return [];
    await this.runs.ensureLoaded();
    const s = this.runs.current;
    if (!s) return [];
    const { pipelineRows } = await import('../../providers/nix/pipeline');
    const out: PipelineElement[] = pipelineRows(s, typeof this.steps === 'function' ? (this.steps = this.steps()) : this.steps).map((row) => ({ kind: 'step', row }));
    if (s.status === 'failed' || s.status === 'cancelled') {
      for (const r of [...s.created, ...(s.leftovers ?? [])]) out.push({ kind: 'created', resource: r });
    }
    return out;
  }

  getTreeItem(el: PipelineElement): vscode.TreeItem {
    if (el.kind === 'created') {
      const item = new vscode.TreeItem(el.resource.description, vscode.TreeItemCollapsibleState.None);
      item.description = vscode.l10n.t('left for cleanup');
      item.iconPath = new vscode.ThemeIcon('trash');
      item.tooltip = vscode.l10n.t('Made by the step "{0}". Homelab never deletes it by itself: reuse it on resume, or delete it yourself.', el.resource.stepId);
      item.contextValue = 'pipeline-created';
      return item;
    }
    const r = el.row;
    const item = new vscode.TreeItem(r.title, vscode.TreeItemCollapsibleState.None);
    item.id = `step/${r.id}`;
    item.description = [statusText(r.status), r.duration].filter(Boolean).join(' · ');
    const [icon, color] = ICONS[r.status];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.tooltip = r.detail ? new vscode.MarkdownString().appendText(r.detail) : undefined;
    item.contextValue = `pipeline-step-${r.status}`;
    return item;
  }

  dispose(): void {
    clearInterval(this.timer);
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function statusText(s: StepStatus): string {
  switch (s) {
    case 'done': return vscode.l10n.t('done');
    case 'running': return vscode.l10n.t('running');
    case 'failed': return vscode.l10n.t('failed');
    case 'cancelled': return vscode.l10n.t('cancelled');
    default: return vscode.l10n.t('pending');
  }
}
