// The first minutes: context keys that follow real state, so the walkthrough's steps tick however the
// user did them (button, palette, settings, a file they already had) and views show when they have
// something to show; and the demo's first start, which opens the Homelab container and the walkthrough.
import * as vscode from 'vscode';
import { settings } from '../services/settings';

/** Context keys set here (package.json `when` clauses and walkthrough `completionEvents` use them). */
export const LANDING_KEYS = {
  clusterConnected: 'homelab.clusterConnected',
  journalPresent: 'homelab.journalPresent',
  trackerPresent: 'homelab.trackerPresent',
  pipelineExists: 'homelab.pipelineExists',
} as const;

export interface LandingDeps {
  /** How many Proxmox clusters are configured (saved or the demo lab) and when that changes. */
  clusterCount(): number;
  onDidChangeClusters: vscode.Event<void>;
  /** Whether a NixOS template pipeline exists or was started in this workspace. */
  pipelineExists(): Promise<boolean>;
  onDidChangePipeline: vscode.Event<unknown>;
  /** The names of the kubeconfig contexts (loads the Kubernetes code: only on the demo's first start). */
  kubeContexts(): Promise<string[]>;
}

const WALKTHROUGH = 'homelab.homelab#homelab.gettingStarted';

/**
 * VS Code (1.139) registers an extension's walkthrough steps some seconds after start (it races an
 * experiment lookup against a 5 s timer, after the extension scan), and an `onContext` event whose
 * expression is already true when its step registers is recorded as seen WITHOUT ticking the step,
 * for the whole session. So keys turn true only once the steps surely exist: when the demo has opened
 * the walkthrough, else this long after activation. Turning false is published at once.
 */
const WALKTHROUGH_SETTLE_MS = 15_000;
const DEMO_SETTLE_MS = 10_000;

export class Landing implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly values = new Map<string, boolean>();
  private released = false;
  private readonly createdAt = Date.now();
  private readonly pending: NodeJS.Timeout;

  constructor(private readonly deps: LandingDeps) {
    const recheckFiles = () => void this.updateFiles();
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.md', false, true, false);
    this.disposables.push(
      watcher,
      watcher.onDidCreate(recheckFiles),
      watcher.onDidDelete(recheckFiles),
      vscode.workspace.onDidChangeWorkspaceFolders(recheckFiles),
      settings.onDidChange((e) => {
        if (e.affects('journal.folder') || e.affects('tracker.globs')) recheckFiles();
      }),
      deps.onDidChangeClusters(() => this.set(LANDING_KEYS.clusterConnected, deps.clusterCount() > 0)),
      deps.onDidChangePipeline(() => void this.updatePipeline()),
    );
    this.pending = setTimeout(() => this.release(), WALKTHROUGH_SETTLE_MS);
    this.set(LANDING_KEYS.clusterConnected, deps.clusterCount() > 0);
    recheckFiles();
    void this.updatePipeline();
  }

  /** The value last set for a key (tests). */
  value(key: string): boolean | undefined {
    return this.values.get(key);
  }

  private set(key: string, value: boolean): void {
    if (this.values.get(key) === value) return;
    this.values.set(key, value);
    // See WALKTHROUGH_SETTLE_MS: until then a true value waits (release publishes every value).
    if (value && !this.released) return;
    void vscode.commands.executeCommand('setContext', key, value);
  }

  /** Publishes every value; from now on changes are published at once. */
  private release(): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.pending);
    for (const [k, v] of this.values) void vscode.commands.executeCommand('setContext', k, v);
  }

  private async updateFiles(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      this.set(LANDING_KEYS.journalPresent, false);
      this.set(LANDING_KEYS.trackerPresent, false);
      return;
    }
    const journalReadme = vscode.Uri.joinPath(folder.uri, settings.get('journal.folder') || 'journal', 'README.md');
    const journal = await vscode.workspace.fs.stat(journalReadme).then(() => true, () => false);
    this.set(LANDING_KEYS.journalPresent, journal);
    const globs = settings.get('tracker.globs');
    const tracker = globs.length > 0 && (await vscode.workspace.findFiles(`{${globs.join(',')}}`, '**/node_modules/**', 1)).length > 0;
    this.set(LANDING_KEYS.trackerPresent, tracker);
  }

  private async updatePipeline(): Promise<void> {
    this.set(LANDING_KEYS.pipelineExists, await this.deps.pipelineExists().catch(() => false));
  }

  /**
   * The demo's first start: the Homelab container with the Proxmox view in front (Kubernetes open when
   * the demo cluster is there) and the walkthrough beside it.
   */
  async showDemoLanding(): Promise<void> {
    await vscode.commands.executeCommand('workbench.view.extension.homelab');
    const contexts = await this.deps.kubeContexts().catch(() => []);
    if (contexts.length > 0) await vscode.commands.executeCommand('homelab.kubernetes.focus');
    await vscode.commands.executeCommand('homelab.proxmox.focus');
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH, false);
    // The walkthrough is open, so its steps are (about to be) registered: keys can turn true soon.
    setTimeout(() => this.release(), Math.max(2000, this.createdAt + DEMO_SETTLE_MS - Date.now()));
  }

  dispose(): void {
    clearTimeout(this.pending);
    for (const d of this.disposables) d.dispose();
  }
}
