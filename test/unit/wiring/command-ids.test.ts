import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_IDS } from '../../../src/commands/ids';

const root = join(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Every `homelab.*` command a manifest string refers to: menus, `command:` links (after %key% substitution). */
function referencedCommands(): Set<string> {
  const nls: Record<string, string> = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8'));
  const text = JSON.stringify(pkg.contributes).replace(/%([\w.-]+)%/g, (m, k: string) => JSON.stringify(nls[k] ?? m).slice(1, -1));
  const found = new Set<string>();
  for (const [, id] of text.matchAll(/"command":"(homelab\.[\w.]+)"/g)) found.add(id);
  for (const [, id] of text.matchAll(/command:(homelab\.[\w.]+)/g)) found.add(id);
  return found;
}

describe('command ids (src/commands/ids.ts)', () => {
  const listed = new Set<string>(COMMAND_IDS);
  const contributed: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);

  it('lists each id once', () => {
    assert.equal(listed.size, COMMAND_IDS.length, `duplicates: ${COMMAND_IDS.filter((id, i) => COMMAND_IDS.indexOf(id) !== i)}`);
  });

  it('lists every command package.json contributes', () => {
    assert.deepEqual(contributed.filter((id) => !listed.has(id)), []);
  });

  it('contributes every listed command in package.json', () => {
    assert.deepEqual([...listed].filter((id) => !contributed.includes(id)), []);
  });

  it('has no menu entry, welcome or walkthrough link to an unknown command', () => {
    const refs = [...referencedCommands()];
    assert.ok(refs.length > 10, `only ${refs.length} references found: the scan is broken`);
    assert.deepEqual(refs.filter((id) => !listed.has(id)), []);
  });

  it('registers commands only through the list (no literal id outside src/commands/ids.ts)', () => {
    // CommandRegistry.register takes a CommandId, so tsc refuses an unlisted literal; this catches a
    // direct vscode.commands.registerCommand that would bypass both the list and the registry.
    const out = execFileSync('grep', ['-rn', 'registerCommand(', join(root, 'src')], { encoding: 'utf8' }).trim().split('\n');
    const bypass = out.filter((l) => !l.includes('src/commands/registry.ts'));
    assert.deepEqual(bypass, []);
  });
});
