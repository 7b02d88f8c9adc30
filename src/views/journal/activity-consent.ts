// The one-time question when the activity log had nowhere to go: the workspace has no journal
// folder (homelab.journal.activityLog 'whenJournalExists', the default). A notification that does not
// hold up the operation; "Keep a Log" switches the setting to 'always' for this workspace.
import * as vscode from 'vscode';
import { settings } from '../../services/settings';

const ASKED = 'homelab.activityLog.asked';

/** Returns the handler for ActivityLog.onMissingJournal; "asked once" is remembered in `state` (the workspace state). */
export function askOnceForActivityLog(state: vscode.Memento): (activityFile: vscode.Uri) => void {
  return (activityFile) => {
    if (state.get<boolean>(ASKED)) return;
    void state.update(ASKED, true);
    const keep = vscode.l10n.t('Keep a Log');
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Keep an activity log of long operations in {0}? This workspace has no journal folder, so nothing was written.', vscode.workspace.asRelativePath(activityFile)),
      keep,
    ).then((choice) => (choice === keep ? settings.update('journal.activityLog', 'always', vscode.ConfigurationTarget.Workspace) : undefined));
  };
}
