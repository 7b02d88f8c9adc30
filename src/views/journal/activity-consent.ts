// Whether an activity line may be written: the log lives in the journal folder, so a workspace
// without one gets no files it did not ask for. Setting homelab.journal.activityLog: 'whenJournalExists'
// (default) writes only when the folder exists and otherwise asks ONCE per workspace (a notification
// that does not hold up the operation: "Keep a Log" switches the setting to 'always' for this
// workspace); 'always' creates the folder; 'never' writes nothing.
import * as vscode from 'vscode';
import { settings } from '../../services/settings';

const ASKED = 'homelab.activityLog.asked';
let memento: vscode.Memento | undefined;

/** Wiring: where "asked once" is remembered (the workspace state). */
export function useActivityConsentState(state: vscode.Memento): void {
  memento = state;
}

/** True when a line may be appended to the log in `journalFolder`; logs why not otherwise. */
export async function activityAllowed(journalFolder: vscode.Uri, log: vscode.LogOutputChannel, line: string): Promise<boolean> {
  const mode = settings.get('journal.activityLog');
  if (mode === 'always') return true;
  if (mode === 'never') {
    log.info(`activity (homelab.journal.activityLog is "never", not written): ${line}`);
    return false;
  }
  const exists = await vscode.workspace.fs.stat(journalFolder).then((s) => (s.type & vscode.FileType.Directory) !== 0, () => false);
  if (exists) return true;
  log.info(`activity (no journal folder ${journalFolder.fsPath}, not written): ${line}`);
  if (memento && !memento.get<boolean>(ASKED)) {
    void memento.update(ASKED, true);
    const keep = vscode.l10n.t('Keep a Log');
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Keep an activity log of long operations in {0}? This workspace has no journal folder, so nothing was written.', vscode.workspace.asRelativePath(vscode.Uri.joinPath(journalFolder, 'activity.md'))),
      keep,
    ).then((choice) => (choice === keep ? settings.update('journal.activityLog', 'always', vscode.ConfigurationTarget.Workspace) : undefined));
  }
  return false;
}
