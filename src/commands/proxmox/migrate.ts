// Migrate VMs: ask `GET .../migrate` first, offer only allowed nodes, show local disks and
// resources, require an explicit `online` for running VMs and `with-local-disks` when local disks
// exist, then follow each `qmigrate` task. Several VMs migrate one after another.
import * as vscode from 'vscode';
import type { MigratePlan, MigratePrecondition } from '../../providers/proxmox/migrate';
import { pathSegment } from '../../providers/proxmox';
import type { CommandRegistry } from '../registry';
import { runWizard, type SummaryLine } from '../wizard';
import { expectOk, label, reportActivity, resolveGuests, vmPath, type GuestTarget, type OperationDeps } from './operation';
import { isCancellation } from '../../providers/cancellation';

interface Candidate extends GuestTarget {
  pre: MigratePrecondition;
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

/**
 * Target node (with its free memory and CPU load; nodes PVE refuses are listed with its reason and
 * cannot be picked), then a summary that says what the migration will do: live for running VMs,
 * local disks copied. Those follow from the VMs, so they are shown, not asked one option at a time.
 */
async function migrateWizard(
  deps: OperationDeps, client: import('../../providers/proxmox').ProxmoxClient, candidates: Candidate[], allowed: string[],
  running: Candidate[], withDisks: Candidate[], m: typeof import('../../providers/proxmox/migrate'),
): Promise<MigratePlan> {
  const nodes = new Map((await client.nodes().catch(() => [])).map((n) => [n.node, n]));
  const refused = new Map<string, string>();
  for (const c of candidates) {
    for (const [n, info] of Object.entries(c.pre.not_allowed_nodes ?? {})) {
      const why = m.notAllowedReason(info);
      refused.set(n, refused.has(n) ? `${refused.get(n)}; ${why}` : why);
    }
  }
  const what = candidates.length === 1 ? label(candidates[0].guest) : vscode.l10n.t('{0} VMs', candidates.length);
  const load = (name: string) => {
    const n = nodes.get(name);
    if (!n || n.maxmem === undefined || n.mem === undefined) return '';
    return vscode.l10n.t('{0} free of {1} · CPU {2}%', gib(n.maxmem - n.mem), gib(n.maxmem), Math.round((n.cpu ?? 0) * 100));
  };
  type Item = vscode.QuickPickItem & { id: string; refused?: string };
  const items: Item[] = [
    ...allowed.map((n) => ({ label: n, id: n, description: load(n) })),
    ...[...refused].filter(([n]) => !allowed.includes(n)).map(([n, why]) => ({ label: `$(circle-slash) ${n}`, id: n, description: load(n), detail: vscode.l10n.t('Not allowed by Proxmox: {0}', why), refused: why })),
  ];
  return runWizard<MigratePlan>({ target: '', online: running.length > 0, withLocalDisks: withDisks.length > 0 }, [
    async (s, at) => {
      const [n] = await deps.prompts.pickStep(items, {
        title: vscode.l10n.t('Migrate {0}: target node', what),
        validate: (c) => (c[0]?.refused ? vscode.l10n.t('{0} cannot take {1}: {2}', c[0].id, what, c[0].refused) : undefined),
      }, at);
      s.target = n.id;
    },
    async (s, at) => {
      const lines: SummaryLine[] = [
        { label: vscode.l10n.t('Target node'), value: `${s.target}${load(s.target) ? ` · ${load(s.target)}` : ''}`, step: 0 },
        { label: vscode.l10n.t('VMs'), value: candidates.map((c) => `${label(c.guest)} (${c.guest.node})`).join(', ') },
      ];
      if (running.length) {
        const resources = [...new Set(running.flatMap((c) => c.pre.local_resources ?? []))];
        lines.push({
          label: vscode.l10n.t('Live migration'),
          value: vscode.l10n.t('{0} running: moved live, it keeps running while its memory is copied', running.map((c) => label(c.guest)).join(', ')) +
            (resources.length ? ' · ' + vscode.l10n.t('local resources ({0}) cannot move live', resources.join(', ')) : ''),
        });
      }
      if (withDisks.length) {
        const list = withDisks.flatMap((c) => m.copiedDisks(c.pre).map((d) => `${d.volid}${d.size ? ` (${gib(d.size)})` : ''}`));
        lines.push({ label: vscode.l10n.t('Local disks copied to {0}', s.target), value: list.join(', ') });
      }
      await deps.prompts.summaryStep(vscode.l10n.t('Migrate {0}: summary', what), lines, vscode.l10n.t('Migrate to {0}', s.target), at);
    },
  ]);
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
  const plan: MigratePlan = given ?? (await migrateWizard(deps, client, candidates, allowed, running, withDisks, m));
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
