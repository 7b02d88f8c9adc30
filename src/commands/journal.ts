// Journal commands: open the panel, create a dated retrospective entry (linked from the README),
// create the journal folder, and add a note (e.g. a finished operation's summary) to an entry.
import * as vscode from 'vscode';
import {
  appendNoteToEntry, editFile, entryFileName, linkEntryFromReadme, newEntry, readVersioned, writeAtomic,
} from '../providers/markdown';
import { journalFolder } from '../services/activity';
import { friendlyMessage, keyOf, WorkspaceFileStore } from '../services/files';
import { exists, journalFiles, type JournalPanels } from '../views/journal/panel';
import type { Prompts } from './prompts';
import { CancelledError } from '../providers/cancellation';
import type { CommandRegistry } from './registry';

export interface JournalDeps {
  panels: JournalPanels;
  prompts: Prompts;
  log: vscode.LogOutputChannel;
  /** Today's date (tests pin it). */
  today?: () => Date;
}

const README = 'README.md';

/** Local calendar day as YYYY-MM-DD (an entry written late in the evening belongs to that evening). */
export function localDay(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function requireFolder(): vscode.Uri {
  const folder = journalFolder();
  if (!folder) throw new Error(vscode.l10n.t('Open a workspace folder first: the journal lives in a folder of the workspace.'));
  return folder;
}

/** The starting README of a new journal; the user's own README is never replaced. */
export function newReadme(): string {
  return [
    '# Lab Journal',
    '',
    'What I built, what broke and what I learned, one entry per session or phase.',
    '',
    '## Phase Overview',
    '',
    '### Phase 1: ',
    '**Status**: Planned  ',
    '**Focus**: ',
    '',
    '## Journal entries',
    '',
  ].join('\n');
}

async function createFolder(folder: vscode.Uri, store: WorkspaceFileStore, log: vscode.LogOutputChannel): Promise<void> {
  await vscode.workspace.fs.createDirectory(folder);
  const readme = vscode.Uri.joinPath(folder, README);
  if (!(await exists(readme))) await writeAtomic(store, keyOf(readme), Buffer.from(newReadme()));
  log.info(`journal: created ${vscode.workspace.asRelativePath(folder, false)}`);
}

/** Makes sure the journal folder exists, offering to create it; throws CancelledError when declined. */
async function ensureFolder(deps: JournalDeps, store: WorkspaceFileStore): Promise<vscode.Uri> {
  const folder = requireFolder();
  if (await exists(folder)) return folder;
  const rel = vscode.workspace.asRelativePath(folder, false);
  const create = vscode.l10n.t('Create Folder');
  await deps.prompts.confirm(
    vscode.l10n.t('The journal folder {0} does not exist. Create it?', rel),
    vscode.l10n.t('Homelab keeps the journal as markdown files in {0} (setting homelab.journal.folder).', rel),
    create,
  );
  await createFolder(folder, store, deps.log);
  return folder;
}

export function registerJournalCommands(registry: CommandRegistry, deps: JournalDeps): void {
  const store = new WorkspaceFileStore();

  registry.register('homelab.journal.open', async () => {
    const panel = deps.panels.open();
    const state = await panel.reload();
    if (!state.exists && journalFolder()) {
      // Offer once when opening; the panel keeps a "Create folder" button too.
      try {
        await ensureFolder(deps, store);
        await panel.reload();
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
      }
    }
    // Nothing returned: a command's result is sent back to the window when run from the palette.
  });

  registry.register('homelab.journal.createFolder', async () => {
    const folder = requireFolder();
    if (!(await exists(folder))) await createFolder(folder, store, deps.log);
    await deps.panels.current?.reload();
    return folder;
  });

  registry.register('homelab.journal.newEntry', async () => {
    const folder = await ensureFolder(deps, store);
    const title = (await deps.prompts.input({
      title: vscode.l10n.t('New Journal Entry'),
      prompt: vscode.l10n.t('Title of the entry (a retrospective of what you built)'),
      placeHolder: vscode.l10n.t('Phase 3: Kubernetes cluster initialization'),
      validateInput: (v) => (v.trim() === '' ? vscode.l10n.t('Give the entry a title') : undefined),
    })).trim();
    const date = localDay(deps.today?.() ?? new Date());
    let name = entryFileName({ date, title });
    for (let n = 2; await exists(vscode.Uri.joinPath(folder, name)); n++) name = name.replace(/(-\d+)?\.md$/, `-${n}.md`);
    const uri = vscode.Uri.joinPath(folder, name);
    await writeAtomic(store, keyOf(uri), Buffer.from(newEntry({ date, title })));
    deps.log.info(`journal: created ${vscode.workspace.asRelativePath(uri, false)}`);

    const readme = vscode.Uri.joinPath(folder, README);
    try {
      if (await exists(readme)) {
        const { version } = await readVersioned(store, keyOf(readme));
        await editFile(store, keyOf(readme), version, (bytes) => linkEntryFromReadme(bytes, name, title));
      } else {
        await writeAtomic(store, keyOf(readme), linkEntryFromReadme(Buffer.from(newReadme()), name, title));
      }
    } catch (e) {
      // The entry exists; only the link is missing. Say so instead of failing the whole command.
      const message = friendlyMessage(e instanceof Error ? e.message : String(e), [keyOf(readme)]);
      deps.log.warn(`journal: README not linked: ${message}`);
      void vscode.window.showWarningMessage(vscode.l10n.t('Created {0}, but could not link it from README.md: {1}', name, message));
    }
    await vscode.window.showTextDocument(uri, { preview: false });
    const panel = deps.panels.current;
    if (panel) {
      await panel.reload();
      await panel.select(keyOf(uri));
    }
    return uri;
  });

  registry.register('homelab.journal.addNote', async (arg?: unknown) => {
    const given = typeof arg === 'string' ? arg : typeof (arg as { summary?: unknown } | undefined)?.summary === 'string' ? (arg as { summary: string }).summary : undefined;
    const folder = await ensureFolder(deps, store);
    const summary = given?.trim() || (await deps.prompts.input({
      title: vscode.l10n.t('Add Note to Journal'),
      prompt: vscode.l10n.t('The note to add'),
      validateInput: (v) => (v.trim() === '' ? vscode.l10n.t('The note is empty') : undefined),
    }));
    const candidates = (await journalFiles(folder)).filter((u) => !/\/(readme|activity)\.md$/i.test(u.path));
    if (!candidates.length) throw new Error(vscode.l10n.t('The journal has no entry yet. Create one with "Homelab: New Journal Entry".'));
    const panel = deps.panels.current;
    const meta = new Map((panel?.state?.entries ?? []).map((e) => [e.key, e]));
    const items = candidates
      .map((u) => ({ label: meta.get(keyOf(u))?.title ?? u.path.split('/').pop()!, description: meta.get(keyOf(u))?.date, detail: vscode.workspace.asRelativePath(u, false), uri: u }))
      .sort((a, b) => (b.description ?? '').localeCompare(a.description ?? ''));
    const picked = await deps.prompts.pick(items, { title: vscode.l10n.t('Add Note to Which Entry?'), matchOnDescription: true, matchOnDetail: true });
    const key = keyOf(picked.uri);
    try {
      const { version } = await readVersioned(store, key);
      await editFile(store, key, version, (bytes) => appendNoteToEntry(bytes, summary, { when: deps.today?.() ?? new Date() }));
    } catch (e) {
      throw new Error(friendlyMessage(e instanceof Error ? e.message : String(e), [key]), { cause: e });
    }
    void vscode.window.showInformationMessage(vscode.l10n.t('Added the note to {0}.', picked.detail));
    await panel?.reload();
    return picked.uri;
  });
}
