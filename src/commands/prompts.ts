import * as vscode from 'vscode';
import { CancelledError } from '../providers/cancellation';
import { BackError, GoToStepError, type StepInfo, type SummaryLine } from './wizard';

export { BackError, type StepInfo };

/**
 * Every question a command asks goes through here. In normal use these are VS Code's own input
 * boxes, quick picks and modal dialogs; extension-host tests queue answers instead (the UI tests
 * drive the real dialogs). An unanswered prompt throws CancelledError so commands stop cleanly.
 */
export class Prompts {
  /** Scripted answer meaning "the user pressed Back". */
  static readonly BACK = '<back>';
  private readonly scripted: unknown[] = [];
  /** Questions asked while answers were scripted, for assertions. */
  readonly asked: string[] = [];
  /** The detail text of each scripted modal question, keyed like `asked`, for assertions. */
  readonly details: Array<{ question: string; detail: string }> = [];

  /** Test hook: the next prompts take these answers in order (`undefined` = the user dismissed it). */
  script(...answers: unknown[]): void {
    this.scripted.push(...answers);
  }

  /** Test hook: drops answers that were not asked for. */
  clearScript(): void {
    this.scripted.length = 0;
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

  /** An input box that is one step of a wizard: Back button, step counter, live validation. */
  async inputStep(options: vscode.InputBoxOptions & { title: string }, at: StepInfo): Promise<string> {
    const s = this.take<string>(options.title, (v) => (v === Prompts.BACK ? undefined : (options.validateInput?.(v) as string | undefined)));
    if (s) {
      if (s.value === Prompts.BACK) throw new BackError();
      return s.value;
    }
    const box = vscode.window.createInputBox();
    Object.assign(box, { title: options.title, prompt: options.prompt, placeholder: options.placeHolder, value: options.value ?? '', password: !!options.password, ignoreFocusOut: true, step: at.step, totalSteps: at.totalSteps });
    box.buttons = at.back ? [vscode.QuickInputButtons.Back] : [];
    return new Promise<string>((resolve, reject) => {
      let done = false;
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        f();
        box.dispose();
      };
      const check = async (v: string) => (await options.validateInput?.(v)) ?? undefined;
      box.onDidChangeValue(async (v) => {
        const m = await check(v);
        box.validationMessage = typeof m === 'string' ? m : m?.message;
      });
      box.onDidTriggerButton((b) => b === vscode.QuickInputButtons.Back && finish(() => reject(new BackError())));
      box.onDidAccept(async () => {
        const m = await check(box.value);
        if (m) {
          box.validationMessage = typeof m === 'string' ? m : m.message;
          return;
        }
        finish(() => resolve(box.value));
      });
      box.onDidHide(() => finish(() => reject(new CancelledError())));
      box.show();
    });
  }

  /**
   * A quick pick that is one step of a wizard. With `canPickMany` it resolves with the chosen
   * items (scripted: an array of labels or ids). `validate` keeps the step open with its message
   * (shown above the items and as the placeholder) instead of ending the wizard.
   */
  async pickStep<T extends vscode.QuickPickItem>(
    items: T[],
    options: { title: string; placeHolder?: string; canPickMany?: boolean; selected?: T[]; validate?: (chosen: T[]) => string | undefined },
    at: StepInfo,
  ): Promise<T[]> {
    const s = this.take<string | string[]>(options.title);
    if (s) {
      if (s.value === Prompts.BACK) throw new BackError();
      const wanted = Array.isArray(s.value) ? s.value : [s.value];
      const chosen = wanted.map((w) => {
        const found = items.find((i) => i.kind !== vscode.QuickPickItemKind.Separator && (i.label === w || (i as { id?: string }).id === w));
        if (!found) throw new Error(`scripted answer "${w}" to "${options.title}" is not among: ${items.filter((i) => i.kind !== vscode.QuickPickItemKind.Separator).map((i) => i.label).join(', ')}`);
        return found;
      });
      const problem = options.validate?.(chosen);
      if (problem) throw new Error(`scripted answer ${JSON.stringify(s.value)} to "${options.title}" is invalid: ${problem}`);
      return chosen;
    }
    const qp = vscode.window.createQuickPick<T>();
    Object.assign(qp, { title: options.title, placeholder: options.placeHolder, ignoreFocusOut: true, step: at.step, totalSteps: at.totalSteps, canSelectMany: !!options.canPickMany, matchOnDescription: true });
    qp.items = items;
    if (options.selected) qp.selectedItems = options.selected;
    qp.buttons = at.back ? [vscode.QuickInputButtons.Back] : [];
    return new Promise<T[]>((resolve, reject) => {
      let done = false;
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        f();
        qp.dispose();
      };
      qp.onDidTriggerButton((b) => b === vscode.QuickInputButtons.Back && finish(() => reject(new BackError())));
      qp.onDidAccept(() => {
        const chosen = options.canPickMany ? [...qp.selectedItems] : [...qp.activeItems].slice(0, 1);
        if (!options.canPickMany && !chosen.length) return;
        const problem = options.validate?.(chosen);
        if (problem) {
          // QuickPick has no validation message: the problem heads the list and fills the placeholder.
          qp.items = [{ label: `⚠ ${problem}`, kind: vscode.QuickPickItemKind.Separator } as T, ...items];
          qp.placeholder = problem;
          if (options.canPickMany) qp.selectedItems = chosen;
          return;
        }
        finish(() => resolve(chosen));
      });
      qp.onDidHide(() => finish(() => reject(new CancelledError())));
      qp.show();
    });
  }

  /**
   * The last step of a wizard: every answer in one list. Enter on the first item confirms; picking an
   * answer goes back to the step that asked it (GoToStepError); Back goes to the previous step.
   * Scripted: 'confirm', or the label of the answer to change.
   */
  async summaryStep(title: string, lines: SummaryLine[], confirmLabel: string, at: StepInfo): Promise<void> {
    type Item = vscode.QuickPickItem & { id: string };
    const items: Item[] = [
      { label: `$(check) ${confirmLabel}`, id: 'confirm', alwaysShow: true },
      { label: vscode.l10n.t('Change an answer'), id: '', kind: vscode.QuickPickItemKind.Separator },
      ...lines.map((l) => ({ label: l.label, description: l.value, id: l.step === undefined ? 'info' : `step:${l.step}` })),
    ];
    const [c] = await this.pickStep(items, {
      title,
      placeHolder: vscode.l10n.t('Check the answers: Enter to confirm, or pick an answer to change it'),
      validate: (chosen) => (chosen[0]?.id === 'info' ? vscode.l10n.t('This line follows from other answers: pick one of those to change it.') : undefined),
    }, at);
    if (c.id.startsWith('step:')) throw new GoToStepError(Number(c.id.slice(5)));
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
    if (this.scripted.length) this.details.push({ question: message, detail });
    const s = this.take<string>(message);
    if (s) {
      if (!actions.includes(s.value as A)) throw new Error(`scripted answer "${s.value}" is not among: ${actions.join(', ')}`);
      return s.value as A;
    }
    const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, ...actions);
    if (!choice) throw new CancelledError();
    return choice;
  }

  /** The save dialog; a scripted answer is a file path or Uri. Throws CancelledError when dismissed. */
  async saveFile(options: vscode.SaveDialogOptions & { title: string }): Promise<vscode.Uri> {
    const s = this.take<string | vscode.Uri>(options.title);
    if (s) return typeof s.value === 'string' ? vscode.Uri.file(s.value) : s.value;
    const uri = await vscode.window.showSaveDialog(options);
    if (!uri) throw new CancelledError();
    return uri;
  }
}
