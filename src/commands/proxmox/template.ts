// Convert a stopped VM or container to a template (PVE refuses a running one, and a template
// cannot be started any more, only cloned).
import * as vscode from 'vscode';
import { factsOf } from '../../providers/proxmox/capabilities';
import { convertToTemplate as convert, guestRefOf, guestStatus } from '../../providers/proxmox/guests';
import type { CommandRegistry } from '../registry';
import { checkAllowed, guestName, resolveGuests, send } from './guest-target';
import { expectOk, reportActivity, type OperationDeps } from './operation';

async function convertToTemplate(deps: OperationDeps, args: unknown[]): Promise<void> {
  const [t] = await resolveGuests(deps, args.slice(0, 1), {
    many: false,
    filter: (r) => r.template !== 1 && r.status === 'stopped',
    title: vscode.l10n.t('Convert which stopped VM or container to a template?'),
  });
  const g = guestRefOf(t.guest);
  if (!g) throw new Error(vscode.l10n.t('{0} is not a VM or container.', String(t.guest.vmid)));
  const name = guestName(g);
  const client = await deps.connections.client(t.cluster);
  const current = await guestStatus(client, g);
  if (current.template) throw new Error(vscode.l10n.t('{0} is already a template.', name));
  if (current.status !== 'stopped') {
    const kind = g.type === 'lxc' ? vscode.l10n.t('container') : vscode.l10n.t('VM');
    throw new Error(vscode.l10n.t('{0} is {1}: only a stopped {2} can become a template. Shut it down first.', name, current.status, kind));
  }
  checkAllowed(g, 'convertToTemplate', factsOf({ type: g.type, status: current.status, lock: current.lock }));
  const yes = vscode.l10n.t('Convert');
  await deps.prompts.confirm(
    vscode.l10n.t('Convert {0} to a template?', name),
    vscode.l10n.t('A template cannot be started any more, only cloned; its disks become read-only base images. This cannot be undone from here.'),
    yes,
  );
  const started = Date.now();
  let result = 'error';
  try {
    const upid = await send({ ref: g }, () => convert(client, g));
    const outcome = await deps.operations.follow(t.cluster, client, upid, { vmName: t.guest.name });
    result = outcome.cancelled ? 'cancelled' : outcome.exitstatus;
    expectOk(outcome, vscode.l10n.t('Converting {0} to a template', name));
  } catch (e) {
    if (result === 'error') result = e instanceof Error ? e.message : String(e);
    throw e;
  } finally {
    await reportActivity(deps, { what: 'template', cluster: t.cluster.name, target: name, durationMs: Date.now() - started, result });
  }
}

export function registerTemplateCommands(registry: CommandRegistry, deps: OperationDeps): void {
  registry.register('homelab.proxmox.convertToTemplate', (...args: unknown[]) => convertToTemplate(deps, args));
}
