// The learning dashboard panel host: reads the journal folder, the tracker files, the activity log
// and the tracker files' git history, and sends the page one validated state. Export writes an
// evidence report where the user picks (save dialog), asking before replacing a file.
import * as vscode from 'vscode';
import {
  buildDashboard, editFile, lineHash, linkStoryEdit, MAX_EDIT_BYTES, readActivity, splitLines, TrackerHistoryReader, versionOf, writeAtomic,
  type FileVersion, type SourceFile, type TrackerHistory,
} from '../../providers/markdown';
import type { MessageOf } from '../../protocol/envelope';
import {
  DASHBOARD_VIEW_TYPE, isDashboardViewState, isValidDashboardToHost,
  type DashboardState, type DashboardToHost, type DashboardToWebview, type ExportParams, type OperationView,
} from '../../protocol/dashboard';
import { ACTIVITY_FILE, journalFolder } from '../../services/activity';
import { keyOf, WorkspaceFileStore } from '../../services/files';
import { CancelledError } from '../../providers/cancellation';
import type { Prompts } from '../../commands/prompts';
import { exists, journalFiles } from '../journal/panel';
import { findTrackerFiles, trackerGlobs } from '../tracker/panel';
import { repairMojibake as fix } from '../mojibake';
import { MarkdownPanel } from '../markdown-panel';
import { SinglePanelHost } from '../webview';
import { buildReport, type ReportSelection } from './report';

/** Display-only repair of double-encoded emoji in every text the page shows. */
function repaired(s: DashboardState): DashboardState {
  return {
    ...s,
    history: { ...s.history, epics: s.history.epics.map((e) => ({ key: e.key, title: fix(e.title) })) },
    phases: s.phases.map((p) => ({ ...p, name: fix(p.name) })),
    metrics: s.metrics.map((m) => ({ ...m, title: fix(m.title), groups: m.groups.map((g) => ({ ...g, title: fix(g.title), items: g.items.map((i) => ({ ...i, text: fix(i.text) })) })) })),
    checklists: s.checklists.map((c) => ({ ...c, title: fix(c.title) })),
    stories: s.stories.map((st) => ({ ...st, text: fix(st.text), epic: fix(st.epic) })),
    statements: s.statements.map((x) => ({ ...x, text: fix(x.text) })),
  };
}

export class DashboardPanel extends MarkdownPanel<DashboardToHost, DashboardToWebview, DashboardState> {
  /** Every operation of the log at the last load, for reports. */
  private operations: OperationView[] = [];
  private files = new Map<string, vscode.Uri>();
  /** The activity log as last read: links are edits against this version. */
  private activityFile: { key: string; bytes: Uint8Array; version: FileVersion } | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    log: vscode.LogOutputChannel,
    private readonly history: () => TrackerHistoryReader,
    private readonly prompts: Prompts,
    private readonly store = new WorkspaceFileStore(),
  ) {
    super(panel, extensionUri, log, { page: 'dashboard', title: vscode.l10n.t('Learning Dashboard'), isValid: isValidDashboardToHost, watch: '**/*.md', settings: ['journal.folder', 'tracker.globs'] });
  }

  protected postState(state: DashboardState): Thenable<unknown> {
    return this.channel.post('state', state);
  }

  private async read(uri: vscode.Uri): Promise<SourceFile | undefined> {
    const key = keyOf(uri);
    try {
      const st = await this.store.stat(key);
      if (st.size > MAX_EDIT_BYTES) return undefined;
      this.files.set(key, uri);
      const bytes = await this.store.read(key);
      this.versions.set(key, versionOf(bytes, st));
      return { key, label: vscode.workspace.asRelativePath(uri, false), bytes, mtimeMs: st.mtime };
    } catch (e) {
      this.log.warn(`dashboard: cannot read ${uri.toString()}: ${e}`);
      return undefined;
    }
  }

  private versions = new Map<string, FileVersion>();

  protected async load(): Promise<DashboardState> {
    this.files = new Map();
    this.versions = new Map();
    const folder = journalFolder();
    const journal: SourceFile[] = [];
    let activity: SourceFile | undefined;
    if (folder && (await exists(folder))) {
      const activityUri = vscode.Uri.joinPath(folder, ACTIVITY_FILE);
      for (const uri of await journalFiles(folder)) {
        const f = await this.read(uri);
        if (!f) continue;
        if (uri.toString() === activityUri.toString()) activity = f;
        else journal.push(f);
      }
    }
    const trackers: SourceFile[] = [];
    for (const uri of await findTrackerFiles(trackerGlobs())) {
      const f = await this.read(uri);
      if (f) trackers.push(f);
    }
    const history = await this.readHistory();
    this.operations = activity ? readActivity(activity.bytes).entries.map((e) => ({ ...e })) : [];
    const version = activity && this.versions.get(activity.key);
    this.activityFile = activity && version ? { key: activity.key, bytes: activity.bytes, version } : undefined;
    const state = repaired(buildDashboard({ journal, trackers, activity, history }));
    if (!folder) state.problems.unshift(vscode.l10n.t('Open a folder to see its journal and tracker here.'));
    this.state = state;
    return state;
  }

  private async readHistory(): Promise<TrackerHistory> {
    const ws = vscode.workspace.workspaceFolders?.[0];
    if (!ws) return { available: false, reason: vscode.l10n.t('No folder is open.'), points: [], epicTitles: {} };
    if (ws.uri.scheme !== 'file') return { available: false, reason: vscode.l10n.t('The history is read with git, which needs a folder on this machine.'), points: [], epicTitles: {} };
    try {
      const h = await this.history().read(ws.uri.fsPath);
      if (!h.available) return { ...h, reason: vscode.l10n.t('{0} The other charts do not need it.', h.reason) };
      return h;
    } catch (e) {
      this.log.warn(`dashboard: tracker history: ${e instanceof Error ? e.message : String(e)}`);
      return { available: false, reason: vscode.l10n.t('The tracker history could not be read: {0}', e instanceof Error ? e.message : String(e)), points: [], epicTitles: {} };
    }
  }

  protected async handle(m: MessageOf<DashboardToHost>): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.pageReady();
      case 'refresh':
        await this.reload();
        return;
      case 'open':
        return this.openAt(this.files.get(m.payload.key), m.payload.line);
      case 'link':
        try {
          await this.linkOperation(m.payload.storyId);
        } catch (e) {
          if (e instanceof CancelledError) return;
          await this.channel.post('notice', { level: 'error', message: vscode.l10n.t('The link was not written: {0}', e instanceof Error ? e.message : String(e)) });
        }
        return;
      case 'export':
        try {
          const saved = await this.exportReport(m.payload);
          if (saved) await this.channel.post('notice', { level: 'info', message: vscode.l10n.t('Saved the report as {0}.', saved.map((u) => vscode.workspace.asRelativePath(u, false)).join(', ')) });
        } catch (e) {
          if (e instanceof CancelledError) return;
          this.log.error(`dashboard export: ${e instanceof Error ? e.message : String(e)}`);
          await this.channel.post('notice', { level: 'error', message: vscode.l10n.t('The report was not saved: {0}', e instanceof Error ? e.message : String(e)) });
        }
        return;
    }
  }

  /**
   * Asks which logged operation served the story and appends ` · story <id>` to its line in the
   * activity log (only that line changes; an outside edit is re-applied to or refuses the link).
   */
  async linkOperation(storyId: string): Promise<void> {
    const log = this.activityFile;
    if (!log) throw new Error(vscode.l10n.t('There is no activity log yet (journal/activity.md).'));
    const linked = new Set(this.state?.stories.find((s) => s.id === storyId)?.operations.map((o) => o.line) ?? []);
    const items = this.operations.filter((o) => !linked.has(o.line)).slice(-200).reverse()
      .map((o) => ({ label: o.what, description: `${o.when.slice(0, 16).replace('T', ' ')} · ${o.result}`, id: String(o.line) }));
    if (!items.length) throw new Error(vscode.l10n.t('Every logged operation is already linked to story {0}.', storyId));
    const picked = await this.prompts.pick(items, { title: vscode.l10n.t('Which operation served story {0}?', storyId) });
    const line = Number(picked.id);
    const raw = splitLines(log.bytes)[line - 1];
    if (!raw) throw new Error(vscode.l10n.t('The activity log changed; refresh and try again.'));
    await editFile(this.store, log.key, log.version, linkStoryEdit(log.key, line, lineHash(raw.content), storyId));
    this.log.info(`dashboard: linked activity line ${line} to story ${storyId}`);
    await this.reload();
  }

  /** Asks what to export (unless the page named a phase) and where; returns the files written. */
  async exportReport(p: ExportParams): Promise<vscode.Uri[] | undefined> {
    const state = this.state ?? (await this.reload());
    let sel: ReportSelection;
    if (p.phase !== undefined) {
      const phase = state.phases.find((x) => x.number === p.phase);
      if (!phase) throw new Error(vscode.l10n.t('There is no phase {0} in the journal README.', p.phase));
      sel = { phase };
    } else if (p.from || p.to) {
      sel = { from: p.from, to: p.to };
    } else {
      const RANGE = '$range';
      const items = [
        ...state.phases.map((x) => ({ label: vscode.l10n.t('Phase {0}: {1}', x.number, x.name), description: x.from || x.to ? `${x.from ?? '…'} – ${x.to ?? '…'}` : x.status, id: x.number })),
        { label: vscode.l10n.t('A date range…'), id: RANGE },
      ];
      const picked = await this.prompts.pick(items, { title: vscode.l10n.t('Export an evidence report for') });
      if (picked.id === RANGE) {
        const valid = (v: string): string | undefined => (v === '' || /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)) ? undefined : vscode.l10n.t('A date like 2025-06-01, or empty'));
        const from = await this.prompts.input({ title: vscode.l10n.t('Report from (YYYY-MM-DD, empty for the start)'), validateInput: valid });
        const to = await this.prompts.input({ title: vscode.l10n.t('Report to (YYYY-MM-DD, empty for today)'), validateInput: valid });
        if (from && to && from > to) throw new Error(vscode.l10n.t('The range starts after it ends ({0} > {1}).', from, to));
        sel = { from: from || undefined, to: to || undefined };
      } else sel = { phase: state.phases.find((x) => x.number === picked.id) };
    }
    const report = buildReport(state, this.operations, sel);
    const folder = journalFolder() ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await this.prompts.saveFile({
      title: vscode.l10n.t('Save the evidence report'),
      defaultUri: folder && vscode.Uri.joinPath(folder, `${report.fileStem}.md`),
      filters: { Markdown: ['md'] },
    });
    const md = /\.(md|markdown)$/i.test(target.path) ? target : target.with({ path: `${target.path}.md` });
    const html = md.with({ path: md.path.replace(/\.(md|markdown)$/i, '.html') });
    const taken = [];
    for (const u of [md, html]) if (await exists(u)) taken.push(vscode.workspace.asRelativePath(u, false));
    if (taken.length) {
      // Never replace a file without asking (the save dialog may not have asked, e.g. for the .html twin).
      const replace = vscode.l10n.t('Replace');
      await this.prompts.confirm(vscode.l10n.t('Replace {0}?', taken.join(', ')), vscode.l10n.t('The existing file is overwritten by the new report.'), replace);
    }
    await writeAtomic(this.store, keyOf(md), Buffer.from(report.markdown));
    await writeAtomic(this.store, keyOf(html), Buffer.from(report.html));
    this.log.info(`dashboard: wrote ${md.toString()} and ${html.toString()}`);
    return [md, html];
  }
}

export class DashboardPanels extends SinglePanelHost<DashboardPanel> {
  private reader: { globs: string; reader: TrackerHistoryReader } | undefined;

  constructor(extensionUri: vscode.Uri, log: vscode.LogOutputChannel, prompts: Prompts) {
    super({
      viewType: DASHBOARD_VIEW_TYPE,
      title: () => vscode.l10n.t('Learning Dashboard'),
      extensionUri,
      log,
      create: (panel) => new DashboardPanel(panel, extensionUri, log, () => this.historyReader(), prompts),
      isValidState: isDashboardViewState,
    });
  }

  /** One reader (and its cache by commit id) while the tracker globs stay the same. */
  private historyReader(): TrackerHistoryReader {
    const globs = trackerGlobs();
    const key = JSON.stringify(globs);
    if (this.reader?.globs !== key) this.reader = { globs: key, reader: new TrackerHistoryReader(globs) };
    return this.reader.reader;
  }
}
