// Migrate VMs: ask `GET .../migrate` first, offer only allowed nodes, show local disks and
// resources, require an explicit `online` for running VMs and `with-local-disks` when local disks
// exist, then follow each `qmigrate` task. Several VMs migrate one after another.
import * as vscode from 'vscode';
import type { MigratePlan, MigratePrecondition } from '../../providers/proxmox/migrate';
import { pathSegment, type ProxmoxClient } from '../../providers/proxmox';
import { guestRefOf, migrateCheck, migrateGuest } from '../../providers/proxmox/guests';
import { resolveGuests, send, type GuestTarget } from './guest-target';
import type { ClusterResource } from '../../providers/proxmox/types';
import type { CommandRegistry } from '../registry';
import { runWizard, type SummaryLine } from '../wizard';
import { expectOk, label, reportActivity, vmPath, type OperationDeps } from './operation';
import { isCancellation } from '../../providers/cancellation';

interface Candidate extends GuestTarget {
  pre: MigratePrecondition;
}

/** The wizard's answers: the plan, and whether to snapshot each guest first. */
type Answers = MigratePlan & { snapshotFirst?: boolean };

/** GET .../migrate for either type, in the VM endpoint's shape (containers answer with hyphens and list no disks). */
async function precondition(client: ProxmoxClient, g: ClusterResource & { vmid: number; node: string }, target?: string): Promise<MigratePrecondition> {
  if (g.type !== 'lxc') return client.get<MigratePrecondition>(`${vmPath(g)}/migrate`, target ? { target } : undefined);
  const c = await migrateCheck(client, guestRefOf(g)!, target);
  return { running: c.running, allowed_nodes: c.allowedNodes, not_allowed_nodes: c.notAllowedNodes as MigratePrecondition['not_allowed_nodes'], local_disks: [], local_resources: c.localResources };
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
): Promise<Answers> {
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
  // A snapshot to return to if the move goes wrong: offered when no local disk is copied (PVE
  // cannot copy a local disk that has snapshots) and no template is moved (templates have none).
  const snapshotOffered = !withDisks.length && candidates.every((c) => c.guest.template !== 1);
  return runWizard<Answers>({ target: '', online: running.length > 0, withLocalDisks: withDisks.length > 0, snapshotFirst: false }, [
    async (s, at) => {
      const [n] = await deps.prompts.pickStep(items, {
        title: vscode.l10n.t('Migrate {0}: target node', what),
        validate: (c) => (c[0]?.refused ? vscode.l10n.t('{0} cannot take {1}: {2}', c[0].id, what, c[0].refused) : undefined),
      }, at);
      s.target = n.id;
    },
    async (s, at) => {
      if (!snapshotOffered) return 'skip';
      const [c] = await deps.prompts.pickStep([
        { label: vscode.l10n.t('No snapshot'), id: 'no' },
        { label: vscode.l10n.t('Take a snapshot first'), id: 'yes', detail: vscode.l10n.t('"before-migrate-…" of each guest, to roll back to if something goes wrong') },
      ], { title: vscode.l10n.t('Migrate {0}: snapshot before?', what) }, at);
      s.snapshotFirst = c.id === 'yes';
    },
    async (s, at) => {
      const lines: SummaryLine[] = [
        { label: vscode.l10n.t('Target node'), value: `${s.target}${load(s.target) ? ` · ${load(s.target)}` : ''}`, step: 0 },
        { label: vscode.l10n.t('VMs'), value: candidates.map((c) => `${label(c.guest)} (${c.guest.node})`).join(', ') },
      ];
      if (s.snapshotFirst) lines.push({ label: vscode.l10n.t('Snapshot before'), value: vscode.l10n.t('yes'), step: 1 });
      const restarted = running.filter((c) => c.guest.type === 'lxc');
      if (restarted.length) {
        lines.push({
          label: vscode.l10n.t('Restart mode'),
          value: vscode.l10n.t('{0} running: shut down, moved and started again on {1} (containers cannot move live)', restarted.map((c) => label(c.guest)).join(', '), s.target),
        });
      }
      const live = running.filter((c) => c.guest.type !== 'lxc');
      if (live.length) {
        const resources = [...new Set(live.flatMap((c) => c.pre.local_resources ?? []))];
        lines.push({
          label: vscode.l10n.t('Live migration'),
          value: vscode.l10n.t('{0} running: moved live, it keeps running while its memory is copied', live.map((c) => label(c.guest)).join(', ')) +
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
  const targets = await resolveGuests(deps, given ? args.slice(0, 1) : args, { many: true, filter: (r) => r.type === 'qemu' || r.type === 'lxc', title: vscode.l10n.t('Migrate which VMs or containers?') });
  const cluster = targets[0].cluster;
  if (targets.some((t) => t.cluster.id !== cluster.id)) throw new Error(vscode.l10n.t('Pick VMs of one cluster: a migration moves VMs between the nodes of a cluster.'));
  const client = await deps.connections.client(cluster);
  const candidates: Candidate[] = await Promise.all(targets.map(async (t) => ({ ...t, pre: await precondition(client, t.guest) })));
  // Nodes every chosen VM may go to.
  let allowed = candidates[0].pre.allowed_nodes ?? [];
  for (const c of candidates.slice(1)) allowed = allowed.filter((n) => (c.pre.allowed_nodes ?? []).includes(n));
  const refusedText = [...new Set(candidates.flatMap((c) => Object.entries(c.pre.not_allowed_nodes ?? {}).map(([n, info]) => `${n}: ${m.notAllowedReason(info)}`)))].join('; ');
  if (!allowed.length && !given) {
    throw new Error(vscode.l10n.t('No node can take {0} now{1}.', candidates.map((c) => label(c.guest)).join(', '), refusedText ? ` (${refusedText})` : ''));
  }
  const running = candidates.filter((c) => !!c.pre.running);
  const withDisks = candidates.filter((c) => m.copiedDisks(c.pre).length);
  const plan: Answers = given ?? (await migrateWizard(deps, client, candidates, allowed, running, withDisks, m));
  // Recheck against the chosen node: its answer is the one that counts.
  const checked = await Promise.all(candidates.map(async (c) => {
    const pre = await precondition(client, c.guest, plan.target);
    return { c, pre, problems: m.validateMigratePlan(c.guest.vmid, pre, { ...plan, online: c.guest.type === 'lxc' ? !!pre.running : plan.online && !!pre.running }) };
  }));
  const problems = checked.flatMap((x) => x.problems);
  if (problems.length) throw new Error(vscode.l10n.t('Cannot migrate: {0}', problems.join(' ')));
  const failures: string[] = [];
  for (const { c, pre } of checked) {
    const started = Date.now();
    const what = vscode.l10n.t('Migrating {0} to {1}', label(c.guest), plan.target);
    let result = 'error';
    try {
      if (plan.snapshotFirst) {
        const { takeSnapshotOf, suggestSnapshotName } = await import('./snapshots');
        const ref = guestRefOf(c.guest)!;
        const { listSnapshots } = await import('../../providers/proxmox/snapshots');
        const taken = (await listSnapshots(client, ref)).map((x) => x.name);
        await takeSnapshotOf(deps, { cluster, client, ref, resource: c.guest }, { name: suggestSnapshotName('before-migrate', taken), description: vscode.l10n.t('Before migrating to {0}', plan.target) });
      }
      // A running container moves in restart mode (PVE has no live migration for containers).
      const upid = c.guest.type === 'lxc'
        ? await send({ ref: guestRefOf(c.guest)! }, () => migrateGuest(client, guestRefOf(c.guest)!, { target: plan.target, running: !!pre.running }))
        : await client.post<string>(`/nodes/${pathSegment(c.guest.node)}/qemu/${c.guest.vmid}/migrate`, m.migrateParams({ ...plan, online: plan.online && !!pre.running, withLocalDisks: plan.withLocalDisks && m.copiedDisks(pre).length > 0 }));
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
