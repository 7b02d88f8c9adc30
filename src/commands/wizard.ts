// Multi-step questions with Back. No `vscode` import: Prompts shows the steps, this only orders them.

/** Raised by a wizard step when the user pressed Back (or a test scripted `Prompts.BACK`). */
export class BackError extends Error {
  constructor() {
    super('back');
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

/** Runs steps in order; Back (BackError) returns to the previous step that was answered. */
export async function runWizard<S>(state: S, steps: WizardStep<S>[]): Promise<S> {
  const answered: number[] = [];
  let i = 0;
  while (i < steps.length) {
    try {
      const r = await steps[i](state, { step: i + 1, totalSteps: steps.length, back: answered.length > 0 });
      if (r !== 'skip') answered.push(i);
      i++;
    } catch (e) {
      if (!(e instanceof BackError)) throw e;
      const prev = answered.pop();
      i = prev ?? 0;
    }
  }
  return state;
}
