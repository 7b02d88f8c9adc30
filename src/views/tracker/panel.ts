// The learning-tracker panel host: finds the tracker files (setting homelab.tracker.globs), shows
// their epics, stories and checklists, and applies status/checkbox edits through editFile so only
// the edited cell or checkbox changes and an outside edit is re-applied or refused, never overwritten.
import * as vscode from 'vscode';
import {
  ConflictError, editFile, FileTooLargeError, MAX_EDIT_BYTES, parseTracker, ReadOnlyFileError, StaleEditError,
  storyStatusEdit, checklistEdit, UnparseableRegionError, versionOf, TrackerParser,
  type Edit, type FileVersion, type TrackerModel, type Progress, type StatusRecording,
} from '../../providers/markdown';
import { statusRecording } from './status-recording';
import type { EditResult } from '../../protocol/common';
import type { MessageOf } from '../../protocol/envelope';
import {
  SetStatusRequest, TRACKER_VIEW_TYPE, ToggleRequest, isValidTrackerToHost, isTrackerViewState,
  type ProgressView, type SectionView, type TrackerFileView, type TrackerState, type TrackerToHost, type TrackerToWebview,
} from '../../protocol/tracker';
import { friendlyMessage, keyOf, WorkspaceFileStore } from '../../services/files';
import { renderInline } from '../markdown-render';
import { repairMojibake as fix } from '../mojibake';
import { MarkdownPanel } from '../markdown-panel';
import { settings } from '../../services/settings';
import { SinglePanelHost } from '../webview';

export const DEFAULT_TRACKER_GLOBS = ['**/LEARNING_TRACKER.md', '**/Phase*.md', '**/*learning*.md'];
const MAX_FILES = 200;

interface Shown { uri: vscode.Uri; version?: FileVersion; readonly: boolean; error?: string }

function progressView(p: Progress): ProgressView {
  return { ...p };
}

export function trackerGlobs(): string[] {
  const v: unknown[] = settings.get('tracker.globs');
  const list = Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string' && g.trim() !== '') : [];
  return list.length ? list : DEFAULT_TRACKER_GLOBS;
}

/** Workspace files matching the tracker globs, sorted by path. */
export async function findTrackerFiles(globs = trackerGlobs()): Promise<vscode.Uri[]> {
  const seen = new Map<string, vscode.Uri>();
  for (const g of globs) {
    for (const uri of await vscode.workspace.findFiles(g, '{**/node_modules/**,**/.git/**}', MAX_FILES)) seen.set(uri.toString(), uri);
  }
  return [...seen.values()].sort((a, b) => vscode.workspace.asRelativePath(a).localeCompare(vscode.workspace.asRelativePath(b))).slice(0, MAX_FILES);
}

export function fileView(key: string, label: string, model: TrackerModel, readonly: boolean): TrackerFileView {
  // Text is shown with double-encoded emoji repaired (display only; edits work on the bytes).
  const sections: SectionView[] = model.sections.map((s) => ({
    title: fix(s.title),
    kind: s.kind,
    epicId: s.epicId,
    line: s.line,
    path: s.path.map(fix),
    progress: progressView(s.progress),
    tables: s.tables.map((t) => ({
      line: t.line,
      columns: t.columns.map((c) => ({ html: renderInline(fix(c.header)), role: c.role })),
      statusColumn: t.statusColumn,
      stories: t.stories.map((st) => ({
        line: st.locator.line, hash: st.locator.hash, id: st.id, cells: st.cells.map((c) => renderInline(fix(c))), status: st.status, statusText: st.statusText,
      })),
    })),
    checklist: s.checklist.map((c) => ({ line: c.locator.line, hash: c.locator.hash, html: renderInline(fix(c.text)), checked: c.checked, depth: c.depth })),
  }));
  return {
    key, label, title: fix(model.title ?? label), progress: progressView(model.progress),
    issues: model.issues.map((i) => ({ line: i.line, endLine: i.endLine, severity: i.severity, message: i.message })),
    readonly, sections,
  };
}

function total(files: TrackerFileView[]): ProgressView {
  const p: ProgressView = { storiesDone: 0, storiesInProgress: 0, storiesTotal: 0, itemsChecked: 0, itemsTotal: 0, percent: 0 };
  for (const f of files) {
    p.storiesDone += f.progress.storiesDone;
    p.storiesInProgress += f.progress.storiesInProgress;
    p.storiesTotal += f.progress.storiesTotal;
    p.itemsChecked += f.progress.itemsChecked;
    p.itemsTotal += f.progress.itemsTotal;
  }
  const all = p.storiesTotal + p.itemsTotal;
  p.percent = all ? Math.round(((p.storiesDone + p.itemsChecked) * 100) / all) : 0;
  return p;
}

export class TrackerPanel extends MarkdownPanel<TrackerToHost, TrackerToWebview, TrackerState> {
  /** Files the page may edit, swapped in whole when a load finishes. */
  private shown = new Map<string, Shown>();
  /** Large files are parsed on a worker thread, so a load never blocks the extension host for long. */
  private readonly parser: TrackerParser;
  /** Per file, what its last read gave: a file whose mtime, size and mode did not change is not read again. */
  private readonly parsed = new Map<string, { mtime: number; size: number; readonly: boolean; label: string; version: FileVersion; view: TrackerFileView }>();
  /** How often each file was read from disk (tests: a reload re-reads only what changed). */
  readonly readCounts = new Map<string, number>();

  constructor(
    panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    log: vscode.LogOutputChannel,
    private readonly store = new WorkspaceFileStore(),
  ) {
    // Any markdown change may add, remove or edit a tracker file: reload (debounced).
    super(panel, extensionUri, log, { page: 'tracker', title: vscode.l10n.t('Learning Tracker'), isValid: isValidTrackerToHost, watch: '**/*.md', settings: ['tracker'] });
    this.parser = new TrackerParser(vscode.Uri.joinPath(extensionUri, 'dist', 'tracker-worker.js').fsPath);
    this.disposables.push({ dispose: () => this.parser.dispose() });
  }

  protected postState(state: TrackerState): Thenable<unknown> {
    return this.channel.post('state', state);
  }


  protected async load(): Promise<TrackerState> {
    const globs = trackerGlobs();
    const uris = await findTrackerFiles(globs);
    const files: TrackerFileView[] = [];
    const shownNow = new Map<string, Shown>();
    for (const uri of uris) {
      const key = keyOf(uri);
      const label = vscode.workspace.asRelativePath(uri, false);
      try {
        const st = await this.store.stat(key);
        const shown: Shown = { uri, readonly: st.readonly === true };
        shownNow.set(key, shown);
        if (st.size > MAX_EDIT_BYTES) {
          const err = new FileTooLargeError(label, st.size, MAX_EDIT_BYTES);
          shown.error = err.message;
          files.push({ ...fileView(key, label, parseTracker(new Uint8Array(0), key), shown.readonly), error: err.message });
          continue;
        }
        const cached = this.parsed.get(key);
        if (cached && cached.mtime === st.mtime && cached.size === st.size && cached.readonly === shown.readonly && cached.label === label) {
          shown.version = cached.version;
          files.push(cached.view);
          continue;
        }
        this.readCounts.set(key, (this.readCounts.get(key) ?? 0) + 1);
        const bytes = await this.store.read(key);
        shown.version = versionOf(bytes, st);
        const view = fileView(key, label, await this.parser.parse(bytes, key), shown.readonly);
        this.parsed.set(key, { mtime: st.mtime, size: st.size, readonly: shown.readonly, label, version: shown.version, view });
        files.push(view);
      } catch (e) {
        files.push({ ...fileView(key, label, parseTracker(new Uint8Array(0), key), false), error: vscode.l10n.t('Could not read {0}: {1}', label, e instanceof Error ? e.message : String(e)) });
      }
    }
    this.shown = shownNow;
    for (const k of [...this.parsed.keys()]) if (!shownNow.has(k)) this.parsed.delete(k);
    // Files with story tables first (the trackers proper), then goal lists; by path within each.
    const rank = (f: TrackerFileView): number => (f.sections.some((s) => s.tables.length) ? 0 : 1);
    files.sort((a, b) => rank(a) - rank(b) || a.label.localeCompare(b.label));
    this.state = { files, progress: total(files), globs };
    return this.state;
  }

  protected async handle(m: MessageOf<TrackerToHost>): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.pageReady();
      case 'refresh':
        await this.reload();
        return;
      case 'open':
        return this.openAt(this.shown.get(m.payload.key)?.uri, m.payload.line);
      case 'setStatus': {
        const p = m.payload;
        const recording = await this.recordingFor(p.key, p.line, p.status);
        if (!recording) {
          await this.channel.respond(SetStatusRequest, m.id, { ok: false, message: vscode.l10n.t('Nothing was changed.') });
          return;
        }
        const r = await this.edit(p.key, storyStatusEdit({ file: p.key, line: p.line, hash: p.hash }, p.status, recording));
        await this.channel.respond(SetStatusRequest, m.id, r);
        return;
      }
      case 'toggle': {
        const p = m.payload;
        const r = await this.edit(p.key, checklistEdit({ file: p.key, line: p.line, hash: p.hash }, p.checked));
        await this.channel.respond(ToggleRequest, m.id, r);
        return;
      }
    }
  }

  /** How to record a status in the story's table: asked once per file when the table has no Status column. */
  private async recordingFor(key: string, line: number, status: string): Promise<StatusRecording | undefined> {
    const file = this.state?.files.find((f) => f.key === key);
    const table = file?.sections.flatMap((s) => s.tables).find((t) => t.stories.some((st) => st.line === line));
    const chooser = statusRecording();
    if (!table || table.statusColumn >= 0 || !chooser) return 'column';
    if (status === 'todo' && !chooser.remembered(key)) return 'column'; // nothing to record yet: no question
    try {
      return await chooser.forFile(key, file!.label);
    } catch {
      return undefined; // dismissed: nothing changes
    }
  }

  /** One edit through editFile; the page is told what happened and gets the file's new state. */
  edit(key: string, edit: Edit): Promise<EditResult> {
    return this.oneAtATime(key, () => this.editNow(key, edit));
  }

  private async editNow(key: string, edit: Edit): Promise<EditResult> {
    const shown = this.shown.get(key);
    if (shown?.error) return { ok: false, message: shown.error };
    if (!shown?.version) return { ok: false, message: vscode.l10n.t('This file is not shown in the tracker any more; reload the panel.') };
    let result: EditResult;
    try {
      const r = await editFile(this.store, key, shown.version, edit);
      shown.version = r.version;
      result = {
        ok: true,
        outcome: r.outcome,
        message: r.outcome === 'reapplied'
          ? vscode.l10n.t('{0} had changed on disk; your edit was applied to the new content.', vscode.workspace.asRelativePath(shown.uri, false))
          : undefined,
      };
      this.log.info(`tracker: ${r.outcome} an edit to ${vscode.workspace.asRelativePath(shown.uri, false)}`);
    } catch (e) {
      const known = e instanceof ConflictError || e instanceof StaleEditError || e instanceof ReadOnlyFileError
        || e instanceof FileTooLargeError || e instanceof UnparseableRegionError;
      const message = friendlyMessage(e instanceof Error ? e.message : String(e), this.shown.keys());
      if (!known) this.log.error(`tracker edit: ${message}`);
      else this.log.warn(`tracker edit refused: ${message}`);
      result = { ok: false, message };
    }
    // Show what the file holds now (the edit, or the outside change that refused it).
    await this.reload();
    return result;
  }

  /** The file a key names, if the panel shows it. */
  uriOf(key: string): vscode.Uri | undefined {
    return this.shown.get(key)?.uri;
  }

}

export class TrackerPanels extends SinglePanelHost<TrackerPanel> {
  constructor(extensionUri: vscode.Uri, log: vscode.LogOutputChannel) {
    super({
      viewType: TRACKER_VIEW_TYPE,
      title: () => vscode.l10n.t('Learning Tracker'),
      extensionUri,
      log,
      create: (panel) => new TrackerPanel(panel, extensionUri, log),
      isValidState: isTrackerViewState,
    });
  }
}

