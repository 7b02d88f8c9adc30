// The first status change in a table without a Status column asks how to record it, once per file:
// add the column (the table's header, separator and every row line change) or mark the story ID with
// ✅ / 🔄 (one cell changes). The answer is kept in the workspace state, per file.
import * as vscode from 'vscode';
import type { StatusRecording } from '../../providers/markdown';

/** The part of Prompts this needs (a modal question, scriptable in tests). */
export interface Asker {
  confirm<A extends string>(message: string, detail: string, ...actions: A[]): Promise<A>;
}

const KEY = 'homelab.tracker.statusRecording';

export class StatusRecordingChoice {
  constructor(private readonly memento: vscode.Memento, private readonly asker: Asker) {}

  remembered(fileKey: string): StatusRecording | undefined {
    return this.memento.get<Record<string, StatusRecording>>(KEY, {})[fileKey];
  }

  /** The remembered answer for the file, else the user's (CancelledError when they dismiss it). */
  async forFile(fileKey: string, label: string): Promise<StatusRecording> {
    const known = this.remembered(fileKey);
    if (known) return known;
    const addColumn = vscode.l10n.t('Add a Status column');
    const mark = vscode.l10n.t('Mark the story ID');
    const choice = await this.asker.confirm(
      vscode.l10n.t('This table in {0} has no Status column. How should Homelab record statuses?', label),
      vscode.l10n.t('Add a Status column: a "Status" cell is added to the table\'s header, separator and every row, so every line of the table changes.') + '\n\n' +
        vscode.l10n.t('Mark the story ID: ✅ (done) or 🔄 (in progress) is written after the story\'s ID, so only that one cell changes; Todo removes the mark.') + '\n\n' +
        vscode.l10n.t('Your answer is remembered for this file.'),
      addColumn, mark,
    );
    const answer: StatusRecording = choice === mark ? 'mark' : 'column';
    await this.memento.update(KEY, { ...this.memento.get<Record<string, StatusRecording>>(KEY, {}), [fileKey]: answer });
    return answer;
  }
}

let current: StatusRecordingChoice | undefined;

/** Wiring: the extension sets the one chooser (workspace state + Prompts). */
export function useStatusRecording(choice: StatusRecordingChoice): void {
  current = choice;
}

export function statusRecording(): StatusRecordingChoice | undefined {
  return current;
}
