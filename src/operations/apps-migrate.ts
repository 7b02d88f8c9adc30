// db_migration_status: the recorded state of database migrations (Migrate Database to StatefulSet)
// in this workspace: each step's state and figures, the backup, per-table counts and checksums.
// Read-only and secret-free: the state file holds no password or URL (see migration-state.ts).
import { l10n } from './l10n';
import type { Operation } from './types';
import { MIGRATION_STEPS, nextStep, stepTable, type MigrationState, type MigrationStepId } from '../providers/postgres/migration-state';

const TITLES = Object.fromEntries(MIGRATION_STEPS.map((id) => [id, id])) as Record<MigrationStepId, string>;

function describe(s: MigrationState): string {
  const next = nextStep(s);
  const out = [
    `${s.namespace}/${s.app} (context ${s.context}): ${s.status}${next && s.status !== 'rolled-back' ? `, next step ${next}` : ''} (started ${s.startedAt}, updated ${s.updatedAt})${s.error ? ` error: ${s.error}` : ''}`,
    ...stepTable(s, TITLES).map((l) => `  ${l}`),
  ];
  if (s.backup) out.push(`  backup ${s.backup.file} ${s.backup.bytes} bytes sha256 ${s.backup.sha256}`);
  if (s.tables?.length) out.push(...s.tables.map((t) => `  table ${t.name}: ${t.rows} rows, checksum ${t.checksum}`));
  if (s.created.length) out.push(`  created: ${s.created.join(', ')}`);
  return out.join('\n');
}

export const migrationStatus: Operation<{ namespace?: string; app?: string }> = {
  id: 'db_migration_status',
  title: 'Database migration status',
  description: 'Shows the database migrations (external PostgreSQL into the application kit\'s StatefulSet, "Homelab: Migrate Database to StatefulSet") recorded in this workspace: each step (preflight, backup, deploy, restore, verify, switch) with its state and figures, the backup file and its SHA-256, per-table row counts and checksums, what the migration created, and whether it can be resumed, rolled back or cleaned up. Read-only; holds no secret.',
  area: 'kubernetes',
  effect: 'readOnly',
  inputSchema: {
    type: 'object',
    properties: {
      namespace: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', description: 'Only migrations of this namespace.' },
      app: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', description: 'Only migrations of this application (e.g. hacky-stack).' },
    },
    additionalProperties: false,
  },
  async prepare(input, host) {
    return {
      async run() {
        const all = ((await host.migrations?.list()) ?? []).filter((s) => (!input.namespace || s.namespace === input.namespace) && (!input.app || s.app === input.app));
        if (!all.length) return { text: l10n.t('No database migration is recorded in this workspace.'), data: [] };
        return { text: all.map(describe).join('\n\n'), data: all };
      },
    };
  },
};
