// Migrate VMs: ask `GET .../migrate` first, offer only allowed nodes, show local disks and
// resources, require an explicit `online` for running VMs and `with-local-disks` when local disks
// exist, then follow each `qmigrate` task. Several VMs migrate one after another.
import * as vscode from 'vscode';
import type { MigratePlan, MigratePrecondition } from '../../providers/proxmox/migrate';
import { pathSegment } from '../../providers/proxmox';
import type { CommandRegistry } from '../registry';
import { runWizard } from '../wizard';
import { expectOk, label, reportActivity, resolveGuests, vmPath, type GuestTarget, type OperationDeps } from './operation';
import { isCancellation } from '../../providers/cancellation';

interface Candidate extends GuestTarget {
  pre: MigratePrecondition;
}

async function migrateVm(deps: OperationDeps, args: unknown[]): Promise<void> {
  const given = args[1] && !Array.isArray(args[1]) && typeof args[1] === 'object' ? (args[1] as MigratePlan) : undefined;
  const m = await import('../../providers/proxmox/migrate');
  const targets = await resolveGuests(deps, given ? args.slice(0, 1) : args, { many: true, filter: (r) => r.type === 'qemu', title: vscode.l10n.t('Migrate which VMs?') });
  const cluster = targets[0].cluster;
  if (targets.some((t) => t.cluster.id !== cluster.id)) throw new Error(vscode.l10n.t('Pick VMs of one cluster: a migration moves VMs between the nodes of a cluster.'));
  const client = await deps.connections.client(cluster);
  const candidates: Candidate[] = await Promise.all(targets.map(async (t) => ({ ...t, pre: await client.get<MigratePrecondition>(`${vmPath(t.guest)}/migrate`) })));
  // Nodes every chosen VM may go to.
  let allowed = candidates[0].pre.allowed_nodes ?? [];
  for (const c of candidates.slice(1)) allowed = allowed.filter((n) => (c.pre.allowed_nodes ?? []).includes(n));
  const refusedText = [...new Set(candidates.flatMap((c) => Object.entries(c.pre.not_allowed_nodes ?? {}).map(([n, info]) => `${n}: ${m.notAllowedReason(info)}`)))].join('; ');
  if (!allowed.length && !given) {
    throw new Error(vscode.l10n.t('No node can take {0} now{1}.', candidates.map((c) => label(c.guest)).join(', '), refusedText ? ` (${refusedText})` : ''));
  }
  const running = candidates.filter((c) => !!c.pre.running);
  const withDisks = candidates.filter((c) => m.copiedDisks(c.pre).length);
  const plan: MigratePlan = given ?? (await runWizard<MigratePlan>({ target: '', online: false, withLocalDisks: false }, [
    async (s, at) => {
      const [n] = await deps.prompts.pickStep(
        allowed.map((n) => ({ label: n, id: n })),
        {
          title: vscode.l10n.t('Migrate {0}: target node', candidates.length === 1 ? label(candidates[0].guest) : vscode.l10n.t('{0} VMs', candidates.length)),
          placeHolder: refusedText ? vscode.l10n.t('Not offered: {0}', refusedText) : undefined,
        },
        at,
      );
      s.target = n.id;
    },
    async (s, at) => {
      if (!running.length) return 'skip';
      const resources = [...new Set(running.flatMap((c) => c.pre.local_resources ?? []))];
      const [o] = await deps.prompts.pickStep([{
        label: vscode.l10n.t('Migrate live (online)'),
        id: 'online',
        detail: vscode.l10n.t('{0} running: a running VM can only move live; it keeps running while its memory is copied.', running.map((c) => label(c.guest)).join(', ')) +
          (resources.length ? ' ' + vscode.l10n.t('Local resources ({0}) cannot move live.', resources.join(', ')) : ''),
      }], { title: vscode.l10n.t('Running VMs need a live migration') }, at);
      s.online = o.id === 'online';
    },
    async (s, at) => {
      if (!withDisks.length) return 'skip';
      const list = withDisks.flatMap((c) => m.copiedDisks(c.pre).map((d) => `${d.volid}${d.size ? ` (${(d.size / 2 ** 30).toFixed(1)} GiB)` : ''}`));
      const [o] = await deps.prompts.pickStep([{
        label: vscode.l10n.t('Copy the local disks to {0}', s.target),
        id: 'copy',
        description: 'with-local-disks',
        detail: list.join(', '),
      }], { title: vscode.l10n.t('Local disks must be copied: they are on storage only this node has') }, at);
      s.withLocalDisks = o.id === 'copy';
    },
  ]));
  // Recheck against the chosen node: its answer is the one that counts.
  const checked = await Promise.all(candidates.map(async (c) => {
    const pre = await client.get<MigratePrecondition>(`${vmPath(c.guest)}/migrate`, { target: plan.target });
    return { c, pre, problems: m.validateMigratePlan(c.guest.vmid, pre, { ...plan, online: plan.online && !!pre.running }) };
  }));
  const problems = checked.flatMap((x) => x.problems);
  if (problems.length) throw new Error(vscode.l10n.t('Cannot migrate: {0}', problems.join(' ')));
  const failures: string[] = [];
  for (const { c, pre } of checked) {
    const started = Date.now();
    const what = vscode.l10n.t('Migrating {0} to {1}', label(c.guest), plan.target);
    let result = 'error';
    try {
      const params = m.migrateParams({ ...plan, online: plan.online && !!pre.running, withLocalDisks: plan.withLocalDisks && m.copiedDisks(pre).length > 0 });
      const upid = await client.post<string>(`/nodes/${pathSegment(c.guest.node)}/qemu/${c.guest.vmid}/migrate`, params);
      const outcome = await deps.operations.follow(cluster, client, upid, { vmName: c.guest.name, title: what });
      result = outcome.cancelled ? 'cancelled' : outcome.exitstatus;
      expectOk(outcome, what);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (result === 'error') result = msg;
      if (isCancellation(e)) break; // the user stopped it: do not go on with the others
      failures.push(msg);
    } finally {
      await reportActivity(deps, { what: 'migrate', cluster: cluster.name, target: `${label(c.guest)} → ${plan.target}`, durationMs: Date.now() - started, result });
    }
  }
  if (failures.length) throw new Error(checked.length === 1 ? failures[0] : vscode.l10n.t('{0} of {1} migrations failed: {2}', failures.length, checked.length, failures.join(' | ')));
}

export function registerMigrateCommands(registry: CommandRegistry, deps: OperationDeps): void {
  registry.register('homelab.proxmox.migrateVm', (...args: unknown[]) => migrateVm(deps, args));
}
