// Convert a stopped VM to a template.
import * as vscode from 'vscode';
import type { CommandRegistry } from '../registry';
import { expectOk, label, reportActivity, resolveGuests, vmPath, type OperationDeps } from './operation';

async function convertToTemplate(deps: OperationDeps, args: unknown[]): Promise<void> {
  const [t] = await resolveGuests(deps, args.slice(0, 1), {
    many: false,
    filter: (r) => r.type === 'qemu' && r.template !== 1 && r.status === 'stopped',
    title: vscode.l10n.t('Convert which stopped VM to a template?'),
  });
  const client = await deps.connections.client(t.cluster);
  const current = await client.get<{ status: string; template?: number; lock?: string }>(`${vmPath(t.guest)}/status/current`);
  if (current.template) throw new Error(vscode.l10n.t('{0} is already a template.', label(t.guest)));
  if (current.status !== 'stopped') {
    throw new Error(vscode.l10n.t('{0} is {1}: only a stopped VM can become a template. Shut it down first.', label(t.guest), current.status));
  }
  if (current.lock) throw new Error(vscode.l10n.t('{0} is locked ({1}): wait until that operation has finished.', label(t.guest), current.lock));
  const convert = vscode.l10n.t('Convert');
  await deps.prompts.confirm(
    vscode.l10n.t('Convert {0} to a template?', label(t.guest)),
    vscode.l10n.t('A template cannot be started any more, only cloned; its disks become read-only base images. This cannot be undone from here.'),
    convert,
  );
  const started = Date.now();
  let result = 'error';
  try {
    const upid = await client.post<string>(`${vmPath(t.guest)}/template`);
    const outcome = await deps.operations.follow(t.cluster, client, upid, { vmName: t.guest.name });
    result = outcome.cancelled ? 'cancelled' : outcome.exitstatus;
    expectOk(outcome, vscode.l10n.t('Converting {0} to a template', label(t.guest)));
  } catch (e) {
    if (result === 'error') result = e instanceof Error ? e.message : String(e);
    throw e;
  } finally {
    await reportActivity(deps, { what: 'template', cluster: t.cluster.name, target: label(t.guest), durationMs: Date.now() - started, result });
  }
}

export function registerTemplateCommands(registry: CommandRegistry, deps: OperationDeps): void {
  registry.register('homelab.proxmox.convertToTemplate', (...args: unknown[]) => convertToTemplate(deps, args));
}
