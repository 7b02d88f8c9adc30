// The journal panel host: the README's phases as a timeline, the entries with dates, a search over
// them, and the activity log beside them. Entries are rendered read-only (sanitised markdown);
// "Edit" opens the markdown file, which stays the source of truth.
import * as vscode from 'vscode';
import {
  buildJournal, MAX_EDIT_BYTES, parseActivity, searchEntries, type Journal, type JournalFile,
} from '../../providers/markdown';
import type { MessageOf } from '../../protocol/envelope';
import {
  JOURNAL_VIEW_TYPE, SearchRequest, ShowRequest, isJournalViewState, isValidJournalToHost,
  type EntryContent, type JournalState, type JournalToHost, type JournalToWebview, type SearchResult,
} from '../../protocol/journal';
import { ACTIVITY_FILE, journalFolder } from '../../services/activity';
import { keyOf, uriOf, WorkspaceFileStore } from '../../services/files';
import { settings } from '../../services/settings';
import { isSafeHref, renderMarkdown } from '../markdown-render';
import { decodePercent } from '../../providers/percent';
import { repairMojibake as fix } from '../mojibake';
import { MarkdownPanel } from '../markdown-panel';
import { SinglePanelHost } from '../webview';

const MAX_ENTRIES = 1000;

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** Markdown files of the journal folder (subfolders too, a few levels deep). */
export async function journalFiles(folder: vscode.Uri, depth = 3): Promise<vscode.Uri[]> {
  const out: vscode.Uri[] = [];
  const walk = async (dir: vscode.Uri, d: number): Promise<void> => {
    let list: [string, vscode.FileType][];
    try { list = await vscode.workspace.fs.readDirectory(dir); } catch { return; }
    for (const [name, type] of list.sort((a, b) => a[0].localeCompare(b[0]))) {
      if (out.length >= MAX_ENTRIES || name.startsWith('.')) continue;
      const uri = vscode.Uri.joinPath(dir, name);
      if (type & vscode.FileType.Directory) { if (d > 0 && name !== 'node_modules') await walk(uri, d - 1); }
      else if (/\.(md|markdown)$/i.test(name)) out.push(uri);
    }
  };
  await walk(folder, depth);
  return out;
}

export class JournalPanel extends MarkdownPanel<JournalToHost, JournalToWebview, JournalState> {
  private journal: Journal = { entries: [] };
  /** Files the page may name, swapped in whole when a load finishes (requests may arrive meanwhile). */
  private files = new Map<string, vscode.Uri>();

  constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    log: vscode.LogOutputChannel,
    private readonly store = new WorkspaceFileStore(),
  ) {
    super(panel, extensionUri, log, {
      page: 'journal',
      title: vscode.l10n.t('Journal'),
      isValid: isValidJournalToHost,
      watch: '**/*.{md,markdown}',
      watchFilter: (uri) => {
        const folder = journalFolder();
        return !!folder && uri.toString().startsWith(folder.toString());
      },
      settings: ['journal'],
    });
  }

  protected postState(state: JournalState): Thenable<unknown> {
    return this.channel.post('state', state);
  }

  protected async load(): Promise<JournalState> {
    const setting = settings.get('journal.folder');
    const folder = journalFolder();
    const files = new Map<string, vscode.Uri>();
    if (!folder) {
      this.files = files;
      this.journal = { entries: [] };
      return (this.state = { folder: setting, exists: false, entries: [], activity: [], error: vscode.l10n.t('Open a folder to keep a journal in it.') });
    }
    if (!(await exists(folder))) {
      this.files = files;
      this.journal = { entries: [] };
      return (this.state = { folder: setting, exists: false, entries: [], activity: [] });
    }
    const uris = await journalFiles(folder);
    const activityUri = vscode.Uri.joinPath(folder, ACTIVITY_FILE);
    const inputs: JournalFile[] = [];
    let activity: JournalState['activity'] = [];
    const tooLarge = new Set<string>();
    for (const uri of uris) {
      const key = keyOf(uri);
      files.set(key, uri);
      try {
        const st = await this.store.stat(key);
        const big = st.size > MAX_EDIT_BYTES;
        if (big) tooLarge.add(key);
        const bytes = big ? new TextEncoder().encode(`# ${uri.path.split('/').pop()}\n`) : await this.store.read(key);
        if (uri.toString() === activityUri.toString()) {
          activity = parseActivity(bytes).map((a) => ({ ...a })).reverse();
          continue;
        }
        inputs.push({ path: key, bytes, mtimeMs: st.mtime });
      } catch (e) {
        this.log.warn(`journal: cannot read ${uri.toString()}: ${e}`);
      }
    }
    this.files = files;
    this.journal = buildJournal(inputs);
    const readme = this.journal.readme;
    const entryKey = (href: string): string | undefined => {
      const target = this.resolve(readme?.file ?? keyOf(folder) + '/README.md', href);
      return target && this.files.has(keyOf(target)) ? keyOf(target) : undefined;
    };
    this.state = {
      folder: setting,
      exists: true,
      readme: readme && {
        key: readme.file,
        title: fix(readme.title ?? vscode.l10n.t('Journal')),
        // Shown with double-encoded emoji repaired (display only).
        phases: readme.phases.map((p) => ({
          number: p.number, title: fix(p.title), name: fix(p.name), line: p.line, status: p.status, statusText: fix(p.statusText),
          duration: p.duration && fix(p.duration), focus: p.focus && fix(p.focus), achievements: p.achievements.map(fix),
          retrospective: p.retrospective ? entryKey(p.retrospective) : undefined,
        })),
      },
      entries: this.journal.entries.map((e) => ({
        key: e.file,
        label: vscode.workspace.asRelativePath(uriOf(e.file), false),
        title: fix(e.title),
        date: e.date,
        dateSource: e.dateSource,
        excerpt: tooLarge.has(e.file) ? vscode.l10n.t('Larger than {0} MB: open it in the editor.', MAX_EDIT_BYTES / 1048576) : fix(e.excerpt),
      })),
      activity,
    };
    return this.state;
  }

  /** A relative link from `fromKey` to a URI (undefined for anything that is not a relative path). */
  resolve(fromKey: string, href: string): vscode.Uri | undefined {
    const h = href.trim().replace(/^<|>$/g, '');
    if (!isSafeHref(h) || /^https?:/i.test(h) || h.startsWith('#')) return undefined;
    // A "%" that is no escape (`100%-uptime.md`) is kept: decodeURIComponent would throw and fail the whole load.
    const path = decodePercent(h.split('#')[0]);
    if (path === '') return undefined;
    const base = uriOf(fromKey);
    return path.startsWith('/') ? base.with({ path }) : vscode.Uri.joinPath(base, '..', path);
  }

  protected async handle(m: MessageOf<JournalToHost>): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.pageReady();
      case 'refresh':
        await this.reload();
        return;
      case 'show':
        await this.channel.respond(ShowRequest, m.id, await this.show(m.payload.key));
        return;
      case 'search':
        await this.channel.respond(SearchRequest, m.id, this.search(m.payload.query));
        return;
      case 'edit':
        return this.openAt(this.files.get(m.payload.key), m.payload.line ?? 1, false);
      case 'newEntry':
        await vscode.commands.executeCommand('homelab.journal.newEntry');
        return;
      case 'createFolder':
        await vscode.commands.executeCommand('homelab.journal.createFolder');
        return;
      case 'addNote': {
        const a = this.state?.activity.find((x) => x.line === m.payload.line);
        if (!a) return;
        const parts = [a.what, a.cluster && `cluster ${a.cluster}`, a.target && `target ${a.target}`, a.result].filter(Boolean);
        await vscode.commands.executeCommand('homelab.journal.addNote', { summary: `${parts.join(' · ')} (${a.when})` });
        return;
      }
      case 'openLink':
        await this.openLink(m.payload.key, m.payload.href);
        return;
    }
  }

  async show(key: string): Promise<EntryContent> {
    const uri = this.files.get(key);
    if (!uri) return { key, title: '', html: '', error: vscode.l10n.t('This entry is not in the journal folder any more.') };
    const entry = this.journal.entries.find((e) => e.file === key);
    const title = fix(entry?.title ?? (this.journal.readme?.file === key ? this.journal.readme.title ?? 'README' : uri.path.split('/').pop() ?? ''));
    try {
      const st = await this.store.stat(key);
      if (st.size > MAX_EDIT_BYTES) {
        return { key, title, date: entry?.date, html: '', error: vscode.l10n.t('{0} is {1} MB; the panel shows entries up to {2} MB. Use Edit to open it.', vscode.workspace.asRelativePath(uri, false), (st.size / 1048576).toFixed(1), MAX_EDIT_BYTES / 1048576) };
      }
      const text = new TextDecoder('utf-8').decode(await this.store.read(key));
      return { key, title, date: entry?.date, html: renderMarkdown(fix(text)) };
    } catch (e) {
      return { key, title, html: '', error: e instanceof Error ? e.message : String(e) };
    }
  }

  search(query: string): SearchResult {
    const hits = searchEntries(this.journal.entries, query, { limit: 50 });
    const terms = [...new Set(query.trim().toLowerCase().split(/\s+/).filter(Boolean))];
    return {
      query,
      hits: hits.map((h) => {
        const snippet = fix(h.snippet);
        // Repairing the text moves offsets: find the terms again in what is shown.
        const highlights: Array<[number, number]> = snippet === h.snippet ? h.highlights : [];
        if (snippet !== h.snippet) {
          const low = snippet.toLowerCase();
          for (const t of terms) for (let i = low.indexOf(t); i >= 0; i = low.indexOf(t, i + t.length)) highlights.push([i, i + t.length]);
          highlights.sort((a, b) => a[0] - b[0]);
        }
        return { key: h.entry.file, title: fix(h.entry.title), date: h.entry.date, snippet, highlights };
      }),
    };
  }

  private async openLink(fromKey: string, href: string): Promise<void> {
    if (!this.files.has(fromKey)) return;
    const h = href.trim();
    if (/^https?:\/\//i.test(h)) {
      await vscode.env.openExternal(vscode.Uri.parse(h, true));
      return;
    }
    const target = this.resolve(fromKey, h);
    if (!target) return;
    if (this.files.has(keyOf(target))) {
      await this.channel.post('select', { key: keyOf(target) });
      return;
    }
    if (await exists(target)) await vscode.commands.executeCommand('vscode.open', target);
    else void vscode.window.showWarningMessage(vscode.l10n.t('{0} does not exist.', vscode.workspace.asRelativePath(target, false)));
  }

  select(key: string): Thenable<boolean> {
    return this.channel.post('select', { key });
  }

}

export class JournalPanels extends SinglePanelHost<JournalPanel> {
  constructor(extensionUri: vscode.Uri, log: vscode.LogOutputChannel) {
    super({
      viewType: JOURNAL_VIEW_TYPE,
      title: () => vscode.l10n.t('Journal'),
      extensionUri,
      log,
      create: (panel) => new JournalPanel(panel, extensionUri, log),
      isValidState: isJournalViewState,
    });
  }
}
