import * as vscode from 'vscode';

import { isCancellation } from '../providers/cancellation';
import type { CommandId } from './ids';
import { RetryableError } from './wizard';

// Kept as a re-export while modules move to '../providers/cancellation' (the one cancellation type).
export { CancelledError } from '../providers/cancellation';

export type CommandHandler = (...args: any[]) => unknown;

export interface CommandFailure {
  command: string;
  message: string;
  /** What "Try Again" runs, when the failure offered it (tests press it through this). */
  retry?: () => Promise<unknown>;
}

/**
 * The one place commands are registered: every handler gets the same logging, error display and
 * cancellation handling, so command modules contain only what the command does.
 */
export class CommandRegistry implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** Ids registered by `registerLazy` whose module has not registered their real handler yet. */
  private readonly deferred = new Set<string>();
  /** The real handlers of lazily registered ids, set when their module loads. */
  private readonly loaded = new Map<string, CommandHandler>();
  private readonly failed = new vscode.EventEmitter<CommandFailure>();
  /** Fires when a command ends in an error the user was shown (tests and telemetry-free diagnostics). */
  readonly onDidFail = this.failed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** `id` must be listed in src/commands/ids.ts (the one list of command ids). */
  register(id: CommandId, handler: CommandHandler): void {
    // A lazily registered id (or one again, when a load that failed midway is retried).
    if (this.deferred.delete(id) || this.loaded.has(id)) {
      this.loaded.set(id, handler);
      return;
    }
    this.disposables.push(vscode.commands.registerCommand(id, (...args: unknown[]) => this.run(id, handler, args)));
  }

  /**
   * Registers `ids` now without loading their module: on the first invocation of any of them, `load`
   * runs (it `require`s the module and calls its `register…` functions, which land here), then the
   * call goes on to the real handler, inside the same `run` as always: a first invocation shows
   * errors and handles cancellation exactly like any other.
   */
  registerLazy(ids: readonly CommandId[], load: () => void): void {
    for (const id of ids) this.deferred.add(id);
    let done = false;
    const ensureLoaded = (): void => {
      if (done) return;
      load();
      done = true;
    };
    for (const id of ids) {
      const handler: CommandHandler = (...args) => {
        ensureLoaded();
        const real = this.loaded.get(id);
        if (!real) throw new Error(`${id}: its module registered no handler`);
        return real(...args);
      };
      this.disposables.push(vscode.commands.registerCommand(id, (...args: unknown[]) => this.run(id, handler, args)));
    }
  }

  private async run(id: string, handler: CommandHandler, args: unknown[]): Promise<unknown> {
    const started = Date.now();
    this.log.debug(`${id}: started`);
    try {
      const result = await handler(...args);
      this.log.debug(`${id}: done in ${Date.now() - started} ms`);
      return result;
    } catch (err) {
      if (isCancellation(err)) {
        this.log.info(`${id}: cancelled`);
        return undefined;
      }
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(`${id}: ${message}`);
      if (err instanceof Error && err.stack) this.log.trace(err.stack);
      const retry = err instanceof RetryableError ? () => this.run(id, err.retry, []) : undefined;
      this.failed.fire({ command: id, message, retry });
      const showLog = vscode.l10n.t('Show Log');
      // A wizard's operation that failed without changing anything offers to try again, answers kept.
      const tryAgain = err instanceof RetryableError ? vscode.l10n.t('Try Again') : undefined;
      void vscode.window.showErrorMessage(message, ...(tryAgain ? [tryAgain] : []), showLog).then((choice) => {
        if (choice === showLog) this.log.show();
        if (choice === tryAgain && retry) void retry();
      });
      return undefined;
    }
  }

  dispose(): void {
    this.failed.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
