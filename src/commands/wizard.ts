// Multi-step questions with Back. No `vscode` import: Prompts shows the steps, this only orders them.
// Wizards never lose work: a step validates in place (Prompts keeps it open with the message), the
// last step is a summary that confirms or jumps back to any answer, and an operation that fails
// without changing anything offers "Try again", which reopens the wizard with every answer kept.

/** Raised by a wizard step when the user pressed Back (or a test scripted `Prompts.BACK`). */
export class BackError extends Error {
  constructor() {
    super('back');
  }
}

/** Raised by a step (the summary) to return to an earlier step: `index` is the step's position. */
export class GoToStepError extends Error {
  constructor(readonly index: number) {
    super(`go to step ${index + 1}`);
  }
}

/**
 * An operation failed and nothing was changed: the registry shows the message with "Try again",
 * which calls `retry` (typically the same command with the answers kept).
 */
export class RetryableError extends Error {
  constructor(message: string, readonly retry: () => Promise<unknown>) {
    super(message);
  }
}

/** Where a question sits in a multi-step wizard. */
export interface StepInfo {
  step: number;
  totalSteps: number;
  /** Shows the Back button. */
  back: boolean;
}

/**
 * A step asks one question and stores the answer in the state. Returning 'skip' means the step
 * does not apply now (e.g. storage for a linked clone): Back then jumps over it.
 */
export type WizardStep<S> = (state: S, at: StepInfo) => Promise<void | 'skip'>;

/**
 * Runs steps in order; Back (BackError) returns to the previous step that was answered, GoToStepError
 * to the step named. The step counter counts the steps that apply so far plus those still ahead, so
 * it does not jump when a step is skipped.
 */
export async function runWizard<S>(state: S, steps: WizardStep<S>[], trail?: WizardTrail): Promise<S> {
  // A trail from a finished run ("Try again") reopens the wizard on its last step, the summary,
  // with Back and every answer as they were; a fresh trail is filled in for such a later retry.
  const resumed = !!trail?.answered.length;
  const answered: number[] = resumed ? trail!.answered.filter((k) => k < steps.length - 1) : [];
  const skipped = new Set<number>(resumed ? trail!.skipped : []);
  let i = resumed ? steps.length - 1 : 0;
  try {
    await walk();
  } finally {
    // Also when a step failed (the summary's own check): "Try again" then reopens at the summary.
    if (trail) {
      trail.answered = [...answered];
      trail.skipped = [...skipped];
    }
  }
  return state;

  async function walk(): Promise<void> {
    while (i < steps.length) {
      try {
        const before = [...skipped].filter((k) => k < i).length;
        const r = await steps[i](state, { step: i + 1 - before, totalSteps: steps.length - skipped.size, back: answered.length > 0 });
        if (r === 'skip') skipped.add(i);
        else {
          skipped.delete(i);
          answered.push(i);
        }
        i++;
      } catch (e) {
        if (e instanceof GoToStepError) {
          while (answered.length && answered[answered.length - 1] >= e.index) answered.pop();
          i = Math.max(0, Math.min(e.index, steps.length - 1));
          continue;
        }
        if (!(e instanceof BackError)) throw e;
        const prev = answered.pop();
        i = prev ?? 0;
      }
    }
  }
}

/** Which steps a finished wizard answered and skipped: pass it to runWizard again to reopen at the summary. */
export interface WizardTrail {
  answered: number[];
  skipped: number[];
}

/** One line of a summary step: what was answered, and the step that asks it (to go back there). */
export interface SummaryLine {
  label: string;
  value: string;
  /** Index of the step in the steps array; without it the line is information only. */
  step?: number;
}
