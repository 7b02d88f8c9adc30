import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateHomelab, extensionId } from './util';

describe('activation', () => {
  it('runs inside a real VS Code extension host', () => {
    assert.match(vscode.version, /^1\.\d+\.\d+/);
    assert.ok(typeof process.versions.node === 'string');
  });

  it('activates and registers every command the manifest contributes', async () => {
    await activateHomelab();
    const pkg = vscode.extensions.getExtension(extensionId)!.packageJSON as { contributes: { commands: { command: string }[] } };
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = pkg.contributes.commands.map((c) => c.command).filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('shows the Homelab log when asked', async () => {
    await vscode.commands.executeCommand('homelab.showLog');
  });
});
