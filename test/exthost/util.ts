import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';

export const extensionId = 'homelab.homelab';

export async function activateHomelab(): Promise<HomelabApi> {
  const ext = vscode.extensions.getExtension<HomelabApi>(extensionId);
  assert.ok(ext, `extension ${extensionId} is not installed in this host`);
  return ext.activate();
}
