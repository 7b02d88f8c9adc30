// The parts a database migration run loads on first use (plain Node, no vscode: the integration
// tests use them as they are): the PostgreSQL primitives and the intermediate kit's database objects
// with their server-side apply. This module is imported only on a migration's first run
// (dist/lazy.js). The exec of a pod and the kit's apply come from the Kubernetes providers bundle
// the caller loaded (the extension's session, or a test's import): a copy of them in dist/lazy.js
// would have its own KubeError class, and `isKubeError` would not recognise the session client's
// errors (a 404 before a create would fail the apply).
import * as kit from '../providers/apps/kit';
import * as pg from '../providers/postgres/index';
import type { MigrationParts } from './migrations';

export interface KubeParts {
  podExec: MigrationParts['podExec'];
  /** The session bundle's kit: its applyKit (dependency order, managed-by homelab, field manager homelab, stop at the first failure). */
  apps: Pick<typeof kit, 'applyKit'>;
}

export function migrationParts(extensionRoot: string, kube: KubeParts): MigrationParts {
  return {
    pg: pg as unknown as MigrationParts['pg'],
    podExec: kube.podExec,
    databaseObjects: ({ namespace, storageClass, databaseImage }) => kit.renderKit(
      kit.loadKit(extensionRoot, 'intermediate').filter((o) => o.metadata.labels?.[kit.COMPONENT] === 'database'),
      { namespace, databaseImage, ...(storageClass ? { storageClass } : {}) },
    ),
    applyKit: async (client, objects, o) => {
      await kube.apps.applyKit(client, objects, { signal: o.signal, onObject: (r) => o.onObject?.(`${r.kind} ${r.name}: ${r.outcome}${r.error ? ` (${r.error.message})` : ''}`) });
    },
  };
}
