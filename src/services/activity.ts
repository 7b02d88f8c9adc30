// The activity log: every long operation appends one line to <journal folder>/activity.md, so a
// retrospective can be written from facts. Appends are queued (one at a time) and lossless: the
// bytes already in the file are kept as they are, an outside edit is re-read, never overwritten.
import * as vscode from 'vscode';
import {
  appendActivity, editFile, formatActivityLine, readVersioned, writeAtomic, type FileStore,
} from '../providers/markdown';
import { isCancellation } from '../providers/cancellation';
import { keyOf, WorkspaceFileStore } from './files';
import { settings } from './settings';

export const ACTIVITY_FILE = 'activity.md';

/** The journal folder of the workspace (setting `homelab.journal.folder`), or undefined without a workspace. */
export function journalFolder(): vscode.Uri | undefined {
  const ws = vscode.workspace.workspaceFolders?.[0];
  if (!ws) return undefined;
  const setting = settings.get('journal.folder').trim() || 'journal';
  if (/^([a-zA-Z]:[\\/]|\/)/.test(setting)) return vscode.Uri.file(setting);
  return vscode.Uri.joinPath(ws.uri, ...setting.split(/[\\/]+/).filter((p) => p !== '' && p !== '.'));
}

export interface ActivityRecord {
  what: string;
  cluster?: string;
  target?: string;
  durationMs: number;
  result: string;
}

/**
 * Whether a line may be appended to the log in `journalFolder`: the log lives in the journal folder,
 * so a workspace without one gets no file it did not ask for. `homelab.journal.activityLog`:
 * 'whenJournalExists' (default) writes only where the folder exists, 'always' creates it, 'never'
 * writes nothing. 'missing' means the user may be asked once (see ActivityLog.onMissingJournal).
 */
export async function activityPolicy(journal: vscode.Uri): Promise<'write' | 'never' | 'missing'> {
  const mode = settings.get('journal.activityLog');
  if (mode === 'always') return 'write';
  if (mode === 'never') return 'never';
  return (await vscode.workspace.fs.stat(journal).then((s) => (s.type & vscode.FileType.Directory) !== 0, () => false)) ? 'write' : 'missing';
}

export class ActivityLog implements vscode.Disposable {
  /** Called when a line was not written for want of a journal folder (wired to a one-time question). */
  onMissingJournal?: (activityFile: vscode.Uri) => void;
  private queue: Promise<void> = Promise.resolve();
  private readonly appended = new vscode.EventEmitter<{ uri: vscode.Uri; line: string }>();
  readonly onDidAppend = this.appended.event;
  private readonly recorded = new vscode.EventEmitter<ActivityRecord>();
  /** Fires for every record as it is appended, whether or not a file is written (tests read it). */
  readonly onDidRecord = this.recorded.event;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly store: FileStore = new WorkspaceFileStore(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The log file, or undefined when no folder is open. */
  file(): vscode.Uri | undefined {
    const folder = journalFolder();
    return folder && vscode.Uri.joinPath(folder, ACTIVITY_FILE);
  }

  /** Appends one line; never throws (an operation must not fail because its log line could not be written). */
  append(e: ActivityRecord): Promise<void> {
    const when = this.now();
    this.recorded.fire(e);
    const run = this.queue.then(() => this.write(e, when)).catch((err: unknown) => {
      this.log.warn(`activity log: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.queue = run;
    return run;
  }

  /**
   * Runs one long operation and logs it: duration measured here, result `ok`, `cancelled` or
   * `failed: <message>`. The operation's own result or error passes through unchanged.
   */
  async run<T>(e: { what: string; cluster?: string; target?: string }, operation: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      const value = await operation();
      await this.append({ ...e, durationMs: Date.now() - started, result: 'ok' });
      return value;
    } catch (err) {
      const result = isCancellation(err) ? 'cancelled' : `failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200);
      await this.append({ ...e, durationMs: Date.now() - started, result });
      throw err;
    }
  }

  private async write(e: ActivityRecord, when: Date): Promise<void> {
    const uri = this.file();
    const line = formatActivityLine({ when, what: e.what, cluster: e.cluster, target: e.target, durationMs: e.durationMs, result: e.result });
    if (!uri) {
      this.log.info(`activity (no workspace folder, not written): ${line}`);
      return;
    }
    const policy = await activityPolicy(vscode.Uri.joinPath(uri, '..'));
    if (policy !== 'write') {
      this.log.info(policy === 'never' ? `activity (homelab.journal.activityLog is "never", not written): ${line}` : `activity (no journal folder, not written): ${line}`);
      if (policy === 'missing') this.onMissingJournal?.(uri);
      return;
    }
    const path = keyOf(uri);
    let existing: Awaited<ReturnType<typeof readVersioned>> | undefined;
    try {
      existing = await readVersioned(this.store, path);
    } catch (err) {
      if (!(err instanceof vscode.FileSystemError) || err.code !== 'FileNotFound') throw err;
    }
    if (!existing) {
      await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
      await writeAtomic(this.store, path, appendActivity(undefined, line));
    } else {
      // Appending applies to any bytes, so an outside edit in between is re-read and kept.
      await editFile(this.store, path, existing.version, (bytes) => appendActivity(bytes, line));
    }
    this.log.info(`activity: ${line}`);
    this.appended.fire({ uri, line });
  }

  dispose(): void {
    this.appended.dispose();
    this.recorded.dispose();
  }
}
