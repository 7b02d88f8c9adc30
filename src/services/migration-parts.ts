// Placeholder replaced once the PostgreSQL primitives (pg-infra) are merged (see migration-parts.ts.next).
import type { MigrationParts } from './migrations';
export function migrationParts(_extensionRoot: string, _kube: unknown): MigrationParts {
  throw new Error('database migration parts are not built in yet');
}
