// The NixOS template pipeline's state as the views see it: the last run read from the state file
// in the workspace, replaced live by the run under way. The template command reports each change
// here; the Pipeline view only displays it.
import * as vscode from 'vscode';
import type { PipelineState } from '../providers/nix/pipeline';

export class PipelineRuns implements vscode.Disposable {
  private state: PipelineState | undefined;
  private loaded = false;
  private readonly changed = new vscode.EventEmitter<PipelineState | undefined>();
  /** Fires with the new state after a run reported a change or the file was read again. */
  readonly onDidChange = this.changed.event;

  constructor(
    /** Reads the state file (undefined when there is none). */
    private readonly load: () => Promise<PipelineState | undefined>,
  ) {}

  get current(): PipelineState | undefined {
    return this.state;
  }

  /** A run reports every change of its state. */
  update(state: PipelineState): void {
    this.state = state;
    this.loaded = true;
    this.changed.fire(state);
  }

  /** Reads the state file again (the Refresh command). */
  async reload(): Promise<void> {
    this.state = await this.load().catch(() => undefined);
    this.loaded = true;
    this.changed.fire(this.state);
  }

  /** Reads the file the first time the state is needed. */
  async ensureLoaded(): Promise<void> {
    if (!this.loaded) await this.reload();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
