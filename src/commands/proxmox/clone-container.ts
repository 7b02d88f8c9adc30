// Clone a container: always a full copy (PVE refuses a linked clone of a container that is not a
// template, and a full copy is what a homelab wants of one), named by `hostname`. A wizard with
// Back and a summary: host name, ID, then the clone task in its terminal.
import * as vscode from 'vscode';
import { cloneGuest, guestRefOf } from '../../providers/proxmox/guests';
import type { ClusterResource } from '../../providers/proxmox/types';
import type { ClusterConfig } from '../../services/proxmox/clusters';
import { runWizard } from '../wizard';
import { guestName, send } from './guest-target';
import { expectOk, reported, type OperationDeps } from './operation';

export interface ContainerClonePlan {
  hostname: string;
  newid?: number;
}

export async function cloneContainer(
  deps: OperationDeps, src: { cluster: ClusterConfig; guest: ClusterResource & { vmid: number; node: string } }, given?: ContainerClonePlan,
): Promise<{ vmid: number; node: string }> {
  const ci = await import('../../providers/proxmox/cloud-init');
  const g = guestRefOf(src.guest)!;
  const client = await deps.connections.client(src.cluster);
  const taken = new Map((await client.resources('vm')).filter((r) => r.vmid !== undefined).map((r) => [r.vmid!, r.name ?? '']));
  const suggested = await client.nextId();
  const title = (s: string) => `${vscode.l10n.t('Clone {0}', guestName(g))}: ${s}`;
  const idProblem = (x: string) => ci.checkVmid(x) ?? (taken.has(Number(x)) ? vscode.l10n.t('ID {0} is taken by "{1}".', Number(x), taken.get(Number(x))!) : undefined);
  const plan: ContainerClonePlan & { idText: string } = given ? { ...given, idText: String(given.newid ?? suggested) } : { hostname: '', idText: String(suggested) };
  if (!given) {
    await runWizard(plan, [
      async (s, at) => {
        s.hostname = (await deps.prompts.inputStep({ title: title(vscode.l10n.t('Host name')), prompt: vscode.l10n.t('Host name of the new container (a DNS label: letters, digits, "-")'), value: s.hostname, validateInput: (x) => ci.checkDnsLabel(x.trim()) }, at)).trim();
      },
      async (s, at) => {
        s.idText = (await deps.prompts.inputStep({ title: title(vscode.l10n.t('ID')), prompt: vscode.l10n.t('{0} is the next free ID.', suggested), value: s.idText, validateInput: idProblem }, at)).trim();
      },
      async (s, at) => {
        await deps.prompts.summaryStep(title(vscode.l10n.t('Summary')), [
          { label: vscode.l10n.t('Host name'), value: s.hostname, step: 0 },
          { label: vscode.l10n.t('ID'), value: s.idText, step: 1 },
          { label: vscode.l10n.t('Mode'), value: vscode.l10n.t('Full clone on {0}, same storage', g.node) },
        ], vscode.l10n.t('Clone as {0}', s.hostname), at);
      },
    ]);
  }
  const badName = ci.checkDnsLabel(plan.hostname);
  if (badName) throw new Error(vscode.l10n.t('Cannot clone {0}: {1}', guestName(g), badName));
  const badId = idProblem(plan.idText);
  if (badId) throw new Error(vscode.l10n.t('Cannot clone {0}: {1}', guestName(g), badId));
  const newid = Number(plan.idText);
  const what = vscode.l10n.t('Cloning {0} → {1} ({2})', guestName(g), plan.hostname, newid);
  await reported(deps, { what: 'clone', cluster: src.cluster.name, target: `${guestName(g)} → ${plan.hostname} (${newid})` }, async () => {
    const upid = await send({ ref: g }, () => cloneGuest(client, g, { newid, name: plan.hostname, full: true }));
    const outcome = await deps.operations.follow(src.cluster, client, upid, { vmName: plan.hostname, title: what });
    expectOk(outcome, what);
  });
  void vscode.window.showInformationMessage(vscode.l10n.t('Container {0} ({1}) is ready on {2}.', plan.hostname, newid, g.node));
  return { vmid: newid, node: g.node };
}
