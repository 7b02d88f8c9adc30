import * as vscode from 'vscode';
import { CancelledError } from './registry';

/**
 * Every question a command asks goes through here. In normal use these are VS Code's own input
 * boxes, quick picks and modal dialogs; extension-host tests queue answers instead (the UI tests
 * drive the real dialogs). An unanswered prompt throws CancelledError so commands stop cleanly.
 */
export class Prompts {
  private readonly scripted: unknown[] = [];
  /** Questions asked while answers were scripted, for assertions. */
  readonly asked: string[] = [];

  /** Test hook: the next prompts take these answers in order (`undefined` = the user dismissed it). */
  script(...answers: unknown[]): void {
    this.scripted.push(...answers);
  }

  get pendingAnswers(): number {
    return this.scripted.length;
  }

  private take<T>(question: string, validate?: (v: T) => string | undefined | null): { value: T } | undefined {
    if (!this.scripted.length) return undefined;
    this.asked.push(question);
    const value = this.scripted.shift() as T;
    if (value === undefined) throw new CancelledError();
    const problem = validate?.(value);
    if (problem) throw new Error(`scripted answer ${JSON.stringify(value)} to "${question}" is invalid: ${problem}`);
    return { value };
  }

  async input(options: vscode.InputBoxOptions & { title: string }): Promise<string> {
    const s = this.take<string>(options.title, (v) => options.validateInput?.(v) as string | undefined);
    if (s) return s.value;
    const value = await vscode.window.showInputBox({ ignoreFocusOut: true, ...options });
    if (value === undefined) throw new CancelledError();
    return value;
  }

  async pick<T extends vscode.QuickPickItem>(items: T[], options: vscode.QuickPickOptions & { title: string }): Promise<T> {
    const s = this.take<string>(options.title);
    if (s) {
      const found = items.find((i) => i.label === s.value || (i as { id?: string }).id === s.value);
      if (!found) throw new Error(`scripted answer "${s.value}" is not among: ${items.map((i) => i.label).join(', ')}`);
      return found;
    }
    const picked = await vscode.window.showQuickPick(items, { ignoreFocusOut: true, ...options });
    if (!picked) throw new CancelledError();
    return picked;
  }

  /** Several choices; a scripted answer is an array of labels (or ids). */
  async pickMany<T extends vscode.QuickPickItem>(items: T[], options: vscode.QuickPickOptions & { title: string }): Promise<T[]> {
    const s = this.take<string[]>(options.title);
    if (s) {
      return s.value.map((v) => {
        const found = items.find((i) => i.label === v || (i as { id?: string }).id === v);
        if (!found) throw new Error(`scripted answer "${v}" is not among: ${items.map((i) => i.label).join(', ')}`);
        return found;
      });
    }
    const picked = await vscode.window.showQuickPick(items, { ignoreFocusOut: true, ...options, canPickMany: true });
    if (!picked) throw new CancelledError();
    return picked;
  }

  /** A modal question; resolves with the chosen action, throws CancelledError when dismissed. */
  async confirm<A extends string>(message: string, detail: string, ...actions: A[]): Promise<A> {
    const s = this.take<string>(message);
    if (s) {
      if (!actions.includes(s.value as A)) throw new Error(`scripted answer "${s.value}" is not among: ${actions.join(', ')}`);
      return s.value as A;
    }
    const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, ...actions);
    if (!choice) throw new CancelledError();
    return choice;
  }
}
