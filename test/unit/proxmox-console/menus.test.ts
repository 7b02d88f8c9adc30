// The context menus of the console, notes, tags and cloud-init commands offer exactly what the
// capability table (providers/proxmox/capabilities.ts) allows for each kind of tree row: a
// command is shown on a row only if PVE would accept it whatever the row's hidden facts, and
// shown wherever it would (facts read from the config, such as a serial port, assumed present:
// the command checks them and says why not).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { refusal, type GuestAction, type GuestFacts, type PowerState } from '../../../src/providers/proxmox/capabilities';

const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
const menus: Array<{ command: string; when: string; group?: string }> = pkg.contributes.menus['view/item/context'];

/** Evaluates the `viewItem` part of a when clause (`==` or `=~ /re/`), for the Proxmox view. */
function shownOn(when: string, viewItem: string): boolean {
  if (!/view == homelab\.proxmox/.test(when)) return false;
  const eq = /viewItem == ([\w-]+)/.exec(when);
  if (eq) return eq[1] === viewItem;
  const re = /viewItem =~ \/(.+)\/(?:\s|$)/.exec(when);
  if (re) return new RegExp(re[1]).test(viewItem);
  return false;
}

/** The tree's guest rows (model.ts) and every set of facts each one can stand for. */
const ROWS: Record<string, GuestFacts[]> = (() => {
  const rows: Record<string, GuestFacts[]> = {};
  const both = (type: 'qemu' | 'lxc', prefix: string) => {
    for (const power of ['running', 'stopped', 'paused'] as PowerState[]) rows[`${prefix}-${power}`] = [{ type, power, template: false }];
    rows[`${prefix}-locked`] = (['running', 'stopped'] as PowerState[]).map((power) => ({ type, power, template: false, lock: 'backup' }));
  };
  both('qemu', 'vm');
  both('lxc', 'ct');
  rows.template = [{ type: 'qemu', power: 'stopped', template: true }];
  rows['ct-template'] = [{ type: 'lxc', power: 'stopped', template: true }];
  return rows;
})();

const COMMANDS: Array<{ command: string; action: GuestAction; types: Array<'qemu' | 'lxc'> }> = [
  { command: 'homelab.proxmox.openContainerConsole', action: 'xtermConsole', types: ['lxc'] },
  { command: 'homelab.proxmox.openSerialConsole', action: 'xtermConsole', types: ['qemu'] },
  { command: 'homelab.proxmox.editNotes', action: 'editNotes', types: ['qemu', 'lxc'] },
  { command: 'homelab.proxmox.addTag', action: 'editTags', types: ['qemu', 'lxc'] },
  { command: 'homelab.proxmox.removeTag', action: 'editTags', types: ['qemu', 'lxc'] },
  { command: 'homelab.proxmox.editCloudInit', action: 'editCloudInit', types: ['qemu'] },
];

describe('guest menus follow the capability table', () => {
  for (const c of COMMANDS) {
    it(`${c.command.replace('homelab.proxmox.', '')}: shown exactly where ${c.action} is allowed`, () => {
      const entries = menus.filter((m) => m.command === c.command && !m.group?.startsWith('inline'));
      assert.equal(entries.length, 1, 'one context-menu entry');
      for (const [row, factsList] of Object.entries(ROWS)) {
        const allowed = factsList.every((f) => c.types.includes(f.type) && refusal(c.action, { ...f, hasSerial: true, hasCloudInit: true }) === undefined);
        assert.equal(shownOn(entries[0].when, row), allowed, `${row}: ${allowed ? 'allowed but hidden' : 'shown but refused'}`);
      }
    });
  }

  it('the node shell is on online nodes only', () => {
    const e = menus.find((m) => m.command === 'homelab.proxmox.openNodeShell')!;
    assert.ok(shownOn(e.when, 'node-online'));
    assert.ok(!shownOn(e.when, 'node-offline'));
    assert.ok(!shownOn(e.when, 'vm-running'));
  });

  it('the graphical console (noVNC) stays offered for VMs', () => {
    assert.ok(menus.some((m) => m.command === 'homelab.proxmox.openConsole' && shownOn(m.when, 'vm-running')));
  });
});
