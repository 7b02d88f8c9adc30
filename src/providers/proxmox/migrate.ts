// Migration preconditions (`GET .../migrate`) and the rules a migration request must follow.

export interface LocalDisk {
  volid: string;
  size?: number;
  cdrom?: 0 | 1;
  drivename?: string;
  is_unused?: 0 | 1;
}

export interface MigratePrecondition {
  running: 0 | 1 | boolean;
  allowed_nodes?: string[];
  not_allowed_nodes?: Record<string, { unavailable_storages?: string[]; unavailable_resources?: string[]; [k: string]: unknown }>;
  local_disks?: LocalDisk[];
  local_resources?: string[];
  'mapped-resources'?: string[];
}

export interface MigratePlan {
  target: string;
  online: boolean;
  withLocalDisks: boolean;
  targetstorage?: string;
}

/** Local disks that must be copied: not CD-ROM images (a local cloud-init drive counts). */
export function copiedDisks(pre: MigratePrecondition): LocalDisk[] {
  return (pre.local_disks ?? []).filter((d) => !d.cdrom);
}

/** Why a node is not allowed, in words. */
export function notAllowedReason(info: NonNullable<MigratePrecondition['not_allowed_nodes']>[string]): string {
  const parts: string[] = [];
  if (info.unavailable_storages?.length) parts.push(`storage not available there: ${info.unavailable_storages.join(', ')}`);
  if (info.unavailable_resources?.length) parts.push(`resources not available there: ${info.unavailable_resources.join(', ')}`);
  return parts.join('; ') || 'not allowed by the cluster';
}

/** Every problem with a migration plan; [] when it can be sent. */
export function validateMigratePlan(vmid: number, pre: MigratePrecondition, plan: MigratePlan): string[] {
  const problems: string[] = [];
  const allowed = pre.allowed_nodes ?? [];
  const refused = pre.not_allowed_nodes?.[plan.target];
  if (refused) problems.push(`VM ${vmid} cannot migrate to ${plan.target}: ${notAllowedReason(refused)}.`);
  else if (!allowed.includes(plan.target)) {
    problems.push(`${plan.target} is not a node VM ${vmid} can migrate to${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ': no node is allowed right now'}.`);
  }
  const running = !!pre.running;
  if (running && !plan.online) {
    problems.push(`VM ${vmid} is running: it can only move with a live (online) migration. Choose live migration, or shut it down first.`);
  }
  const disks = copiedDisks(pre);
  if (disks.length && !plan.withLocalDisks) {
    problems.push(`VM ${vmid} has local disks (${disks.map((d) => d.volid).join(', ')}): they must be copied to ${plan.target} (with-local-disks). Agree to copy them, or move them to shared storage first.`);
  }
  if (running && pre.local_resources?.length) {
    problems.push(`VM ${vmid} uses local resources (${pre.local_resources.join(', ')}) that cannot move while it runs: shut it down first.`);
  }
  return problems;
}

/** The POST parameters of a valid plan. */
export function migrateParams(plan: MigratePlan): Record<string, string | number> {
  const p: Record<string, string | number> = { target: plan.target };
  if (plan.online) p.online = 1;
  if (plan.withLocalDisks) p['with-local-disks'] = 1;
  if (plan.targetstorage) p.targetstorage = plan.targetstorage;
  return p;
}
