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

  it('exports its test hooks here only because the harness flagged this host', async () => {
    // The other half (no flag or not a test host: nothing exported) is test/unit/wiring/exports.test.ts,
    // and bench/activation checks that an unflagged fresh host's activate() exports nothing.
    assert.equal(process.env.HOMELAB_TEST_HOOKS, '1', 'scripts/lib/exthost.mjs sets HOMELAB_TEST_HOOKS=1 for test hosts');
    const api = await activateHomelab();
    assert.ok(api && typeof api.prompts.script === 'function', 'a flagged test host gets the test API');
    assert.ok(Object.isFrozen(api), 'the test API is built by testApi() (frozen)');
  });

  it('shows the Homelab log when asked', async () => {
    await vscode.commands.executeCommand('homelab.showLog');
  });
});
