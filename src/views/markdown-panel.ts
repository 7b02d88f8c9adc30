import * as vscode from 'vscode';
import type { MessageOf } from '../protocol/envelope';
import { settings, type SettingsChange } from '../services/settings';
import { WebviewChannel, webviewHtml, webviewOptions, type Validator } from './webview';

export interface MarkdownPanelOptions<In> {
  /** The page's bundle under dist/webview (`<name>.main.js`). */
  page: 'journal' | 'tracker' | 'dashboard';
  title: string;
  isValid: Validator<In>;
  /** Markdown files whose change reloads the panel (debounced). */
  watch: string;
  watchFilter?: (uri: vscode.Uri) => boolean;
  /** The settings (keys or sections such as `journal`) whose change reloads the panel. */
  settings: Parameters<SettingsChange['affects']>[0][];
}

/**
 * A webview panel over markdown files of the workspace: the validated channel to its page, a
 * debounced reload on file or settings changes, and loads run one after another (so an older
 * state never overwrites a newer one on the page).
 */
export abstract class MarkdownPanel<In, Out, S> implements vscode.Disposable {
  readonly channel: WebviewChannel<In, Out>;
  protected readonly disposables: vscode.Disposable[] = [];
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private loading: Promise<unknown> = Promise.resolve();
  /** Per file: the last message being handled for it (messages for one file run one at a time). */
  private readonly perFile = new Map<string, Promise<unknown>>();
  /** The state last read (set by `load`), sent again when the page (re)loads. */
  state: S | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    protected readonly log: vscode.LogOutputChannel,
    o: MarkdownPanelOptions<In>,
  ) {
    panel.webview.options = webviewOptions(extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'resources', 'homelab.svg');
    panel.webview.html = webviewHtml(panel.webview, extensionUri, o.page, o.title);
    this.channel = new WebviewChannel(panel.webview, o.isValid, (m) => this.handle(m), (reason) => {
      this.log.warn(`${o.page} panel: dropped a message from the page: ${reason}`);
    });
    const watcher = vscode.workspace.createFileSystemWatcher(o.watch);
    const changed = (uri: vscode.Uri): void => {
      if (!o.watchFilter || o.watchFilter(uri)) this.scheduleReload();
    };
    this.disposables.push(
      this.channel, watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), watcher.onDidDelete(changed),
      settings.onDidChange((e) => o.settings.some((k) => e.affects(k)) && this.scheduleReload()),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  protected abstract handle(m: MessageOf<In>): Promise<void>;
  /** Reads the files and returns the state for the page. */
  protected abstract load(): Promise<S>;
  protected abstract postState(state: S): Thenable<unknown>;

  /**
   * The page is ready (first load, or shown again): the command that opened the panel usually read
   * the files already, so that state is sent; otherwise they are read now.
   */
  protected async pageReady(): Promise<void> {
    if (this.state) await this.postState(this.state);
    else await this.reload();
  }

  /** Opens a file beside the panel with the cursor on a line (1-based) the page pointed at. */
  protected async openAt(uri: vscode.Uri | undefined, line = 1, preview?: boolean): Promise<void> {
    if (!uri) return;
    const pos = new vscode.Position(Math.max(0, line - 1), 0);
    await vscode.window.showTextDocument(uri, { selection: new vscode.Range(pos, pos), viewColumn: vscode.ViewColumn.Beside, preview });
  }

  scheduleReload(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.reload().catch((e) => this.log.warn(`${this.panel.viewType} reload: ${e}`)), 300);
  }

  /** Reads the files again and sends the state to the page. */
  reload(): Promise<S> {
    const run = this.loading.catch(() => undefined).then(() => this.load());
    this.loading = run;
    return run.then(async (state) => {
      await this.postState(state);
      return state;
    });
  }

  /**
   * Runs `task` after the earlier tasks for the same file: two quick clicks in one file are handled
   * in order, the second against the version the first one wrote. Other files are not held up.
   */
  protected oneAtATime<T>(key: string, task: () => Promise<T>): Promise<T> {
    const run = (this.perFile.get(key) ?? Promise.resolve()).then(task, task);
    const tail = run.then(() => undefined, () => undefined);
    this.perFile.set(key, tail);
    void tail.then(() => { if (this.perFile.get(key) === tail) this.perFile.delete(key); });
    return run;
  }

  dispose(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.disposed.fire();
    this.disposed.dispose();
  }
}
