// Tests that cannot run where they are (a real cluster with no kubelet, no test-server fault hooks)
// are reported as NOT RUN in the closing summary: never as passed, and not as failed either. They
// are skipped at run time through `notRun`, which records why; the reporters (count-reporter.cjs,
// test/exthost/index.ts) count a skip recorded here as "not run" and any other skip as a failure.
const KEY = Symbol.for('homelab.test.notRun');

/** Full test title -> why it did not run (shared by every copy of this module in the process). */
export function notRunRegistry(): Map<string, string> {
  const g = globalThis as unknown as Record<symbol, Map<string, string> | undefined>;
  return (g[KEY] ??= new Map());
}

/** Ends the current test as NOT RUN, saying why (printed in the summary). */
export function notRun(ctx: Mocha.Context, reason: string): never {
  const test = ctx.test!;
  notRunRegistry().set(test.fullTitle(), reason);
  console.log(`      NOT RUN: ${reason}`);
  ctx.skip();
}

type Globals = Record<'it' | 'before' | 'after' | 'beforeEach' | 'afterEach', unknown>;

/**
 * Registers the tests `body` declares, normally when `runnable`; otherwise each of them is still
 * registered (so the summary counts it) but ends as NOT RUN with `reason`, and the body's hooks
 * (which would set up what is missing) are left out.
 */
export function runnableOnlyIf(runnable: boolean, reason: string, body: () => void): void {
  if (runnable) return body();
  const g = globalThis as unknown as Globals;
  const saved: Globals = { it: g.it, before: g.before, after: g.after, beforeEach: g.beforeEach, afterEach: g.afterEach };
  const realIt = saved.it as Mocha.TestFunction;
  g.it = (title: string) => realIt(title, function (this: Mocha.Context) { notRun(this, reason); });
  g.before = g.after = g.beforeEach = g.afterEach = () => undefined;
  try { body(); } finally { Object.assign(g, saved); }
}
