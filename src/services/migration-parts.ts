// The parts a database migration run loads on first use (plain Node, no vscode: the integration
// tests use them as they are): the PostgreSQL primitives and the intermediate kit's database objects
// with their server-side apply. This module is imported only on a migration's first run
// (dist/lazy.js). The exec of a pod and the apply of one object come from the Kubernetes providers
// bundle the caller loaded (the extension's session, or a test's import): a copy of them in
// dist/lazy.js would have its own KubeError class, and `isKubeError` would not recognise the
// session client's errors (a 404 before a create would fail the apply).
import { CancelledError } from '../providers/cancellation';
import * as kit from '../providers/apps/kit';
import type { ApplyResult, ApplyOptions } from '../providers/kubernetes/actions';
import type { KubeClient } from '../providers/kubernetes/client';
import type { KubeObject } from '../providers/kubernetes/resources';
import * as pg from '../providers/postgres/index';
import type { MigrationParts } from './migrations';

export interface KubeParts {
  podExec: MigrationParts['podExec'];
  applyObject(client: KubeClient, doc: KubeObject, opts?: ApplyOptions & { fieldManager?: string }, source?: string): Promise<ApplyResult>;
}

export function migrationParts(extensionRoot: string, kube: KubeParts): MigrationParts {
  return {
    pg: pg as unknown as MigrationParts['pg'],
    podExec: kube.podExec,
    databaseObjects: ({ namespace, storageClass, databaseImage }) => kit.renderKit(
      kit.loadKit(extensionRoot, 'intermediate').filter((o) => o.metadata.labels?.[kit.COMPONENT] === 'database'),
      { namespace, databaseImage, ...(storageClass ? { storageClass } : {}) },
    ),
    // The kit's applyKit, over the session bundle's applyObject: dependency order, managed-by
    // homelab, field manager homelab, stop at the first failure.
    applyKit: async (client, objects, o) => {
      for (const obj of kit.sortForApply(objects)) {
        if (o.signal.aborted) throw new CancelledError();
        const body = JSON.parse(JSON.stringify(obj)) as KubeObject;
        body.metadata.labels = { ...body.metadata.labels, [kit.MANAGED_BY]: 'homelab' };
        const r = await kube.applyObject(client, body, { fieldManager: kit.KIT_FIELD_MANAGER }, `${obj.kind}/${obj.metadata.name}`);
        o.onObject?.(`${r.kind} ${r.name}: ${r.outcome}${r.error ? ` (${r.error.message})` : ''}`);
        if (r.outcome === 'failed') throw r.error ?? new Error(`${r.kind} ${r.name} could not be applied.`);
      }
    },
  };
}
