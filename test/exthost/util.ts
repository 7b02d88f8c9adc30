import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';

export const extensionId = 'homelab.homelab';

export async function activateHomelab(): Promise<HomelabApi> {
  const ext = vscode.extensions.getExtension<HomelabApi>(extensionId);
  assert.ok(ext, `extension ${extensionId} is not installed in this host`);
  return ext.activate();
}

/**
 * Runs a command with scripted answers (see `Prompts.script`); resolves with its result and, if it
 * failed, the message the user was shown. Fails when a scripted answer was not asked for.
 */
export async function runScripted<T = unknown>(api: HomelabApi, command: string, answers: unknown[], ...args: unknown[]): Promise<{ result?: T; failure?: string }> {
  let failure: string | undefined;
  const sub = api.registry.onDidFail((f) => f.command === command && (failure = f.message));
  api.prompts.script(...answers);
  let result: T | undefined;
  try {
    result = await vscode.commands.executeCommand<T>(command, ...args);
  } finally {
    sub.dispose();
  }
  const left = api.prompts.pendingAnswers;
  api.prompts.clearScript();
  assert.equal(left, 0, `${left} scripted answer(s) were not asked for (failure: ${failure})`);
  return { result, failure };
}
