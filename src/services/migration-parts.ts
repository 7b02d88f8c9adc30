// Placeholder replaced once the PostgreSQL primitives (pg-infra) and the kit (app-deploy) are merged.
import type { MigrationParts } from './migrations';
export async function migrationParts(_extensionRoot: string): Promise<MigrationParts> {
  throw new Error('database migration parts are not built in yet');
}
