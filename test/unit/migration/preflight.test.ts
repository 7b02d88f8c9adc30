import { strict as assert } from 'node:assert';
import { KubeError, isKubeError } from '../../../src/providers/kubernetes/errors';
import { checkAccess, checkApplication, checkStorageClass, MigrationRefused, sourceTarget, tableFigures, type MigrationEnv } from '../../../src/providers/postgres/migration-kube';
import { newMigration } from '../../../src/providers/postgres/migration-state';
import { migrationStatus } from '../../../src/operations/apps-migrate';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** An env whose client answers from a table of paths (404 otherwise) and records what was sent. */
function fakeEnv(answers: Record<string, unknown | ((body: unknown) => unknown)>): { env: MigrationEnv; sent: Array<{ method: string; path: string; body?: unknown }> } {
  const sent: Array<{ method: string; path: string; body?: unknown }> = [];
  const client = {
    request: async (method: string, path: string, o: { body?: unknown } = {}) => {
      sent.push({ method, path, body: o.body });
      const a = answers[`${method} ${path}`];
      if (a === undefined) throw new KubeError('notFound', `${path} not found`);
      return typeof a === 'function' ? (a as (b: unknown) => unknown)(o.body) : a;
    },
  };
  const env = {
    client, kube: { errors: { isKubeError } },
    pg: { parseDatabaseUrl: (u: string) => { const m = /^postgres(?:ql)?:\/\/([^:]+):([^@]+)@([^:/]+):(\d+)\/(\w+)$/.exec(u); if (!m) throw new Error('not a PostgreSQL URL (postgresql://user:password@host:port/database)'); return { user: m[1], password: m[2], host: m[3], port: Number(m[4]), database: m[5], params: {} }; } },
  } as unknown as MigrationEnv;
  return { env, sent };
}

const state = (storageClass = '') => newMigration({ context: 'lab', namespace: 'shop', app: 'hacky-stack', storageClass, databaseImage: 'postgres:15', now: new Date() });
const DEP = 'GET /apis/apps/v1/namespaces/shop/deployments/hacky-stack';
const webDeployment = { metadata: { name: 'hacky-stack', labels: { 'app.kubernetes.io/part-of': 'hacky-stack', 'app.kubernetes.io/component': 'web' } } };

describe('migration preflight checks', () => {
  it('refuses a namespace without the app\'s web Deployment, and a StatefulSet it did not create', async () => {
    await assert.rejects(checkApplication(state(), fakeEnv({}).env), (e: Error) => e instanceof MigrationRefused && /Namespace "shop" is not the namespace of application "hacky-stack"/.test(e.message));
    await assert.rejects(checkApplication(state(), fakeEnv({ [DEP]: { metadata: { name: 'hacky-stack', labels: { 'app.kubernetes.io/part-of': 'other' } } } }).env), MigrationRefused);
    await checkApplication(state(), fakeEnv({ [DEP]: webDeployment }).env);
    const sts = { [DEP]: webDeployment, 'GET /apis/apps/v1/namespaces/shop/statefulsets/hacky-stack-postgres': { metadata: { name: 'hacky-stack-postgres' } } };
    await assert.rejects(checkApplication(state(), fakeEnv(sts).env), /already exists and was not created by this migration/);
    const s = state();
    s.created.push('statefulsets/hacky-stack-postgres');
    await checkApplication(s, fakeEnv(sts).env);
  });

  it('asks SelfSubjectAccessReview for exec and patch in the namespace and lists every refusal', async () => {
    const denyExec = (body: unknown) => {
      const a = (body as { spec: { resourceAttributes: { namespace: string; subresource?: string; verb: string; resource: string } } }).spec.resourceAttributes;
      assert.equal(a.namespace, 'shop');
      return { status: { allowed: !(a.subresource === 'exec' || (a.verb === 'patch' && a.resource === 'secrets')) } };
    };
    const { env, sent } = fakeEnv({ 'POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews': denyExec });
    await assert.rejects(checkAccess(state(), env), (e: Error) => e instanceof MigrationRefused && /RBAC refuses .* namespace "shop": create pods\/exec, patch secrets\./.test(e.message));
    assert.ok(sent.length >= 5 && sent.every((x) => x.method === 'POST'), 'one review per permission, nothing else sent');
    assert.match(await checkAccess(state(), fakeEnv({ 'POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews': { status: { allowed: true } } }).env), /RBAC ok/);
  });

  it('StorageClass: the default one, the one asked for, or a refusal that names what was asked', async () => {
    const SC = 'GET /apis/storage.k8s.io/v1/storageclasses';
    const classes = (items: unknown[]) => fakeEnv({ [SC]: { items } }).env;
    await assert.rejects(checkStorageClass(state(), classes([])), /No default StorageClass: the volume claim would stay Pending \(asked for: the default class\)\. The cluster has no StorageClass/);
    await assert.rejects(checkStorageClass(state(), classes([{ metadata: { name: 'nfs' }, provisioner: 'nfs' }])), /Choose one of: nfs/);
    assert.equal(await checkStorageClass(state(), classes([{ metadata: { name: 'nfs' } }, { metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } }])), 'local-path');
    await assert.rejects(checkStorageClass(state('fast'), classes([{ metadata: { name: 'nfs' } }])), /StorageClass "fast" does not exist, so the volume claim would stay Pending\. Classes: nfs\./);
    await assert.rejects(checkStorageClass(state('manual'), classes([{ metadata: { name: 'manual' }, provisioner: 'kubernetes.io/no-provisioner' }])), /has no provisioner/);
    assert.equal(await checkStorageClass(state('nfs'), classes([{ metadata: { name: 'nfs' }, provisioner: 'nfs' }])), 'nfs');
  });

  it('the source comes from the app Secret, or the saved premigration Secret once the switch began; a bad URL never shows its password', async () => {
    const SECRET = 'GET /api/v1/namespaces/shop/secrets/hacky-stack-secrets';
    const PRE = 'GET /api/v1/namespaces/shop/secrets/hacky-stack-secrets-premigration';
    const t = await sourceTarget(state(), fakeEnv({ [SECRET]: { data: { DATABASE_URL: b64('postgresql://u:pw1@db:5432/app') } } }).env);
    assert.equal(t.host, 'db');
    const t2 = await sourceTarget(state(), fakeEnv({ [SECRET]: { data: { DATABASE_URL: b64('postgresql://u:pw2@svc:5432/app') } }, [PRE]: { data: { DATABASE_URL: b64('postgresql://u:pw1@old:5432/app') } } }).env);
    assert.equal(t2.host, 'old');
    await assert.rejects(sourceTarget(state(), fakeEnv({ [SECRET]: { data: { DATABASE_URL: b64('mysql://u:secret-pw@db/app') } } }).env), (e: Error) => /DATABASE_URL of Secret shop\/hacky-stack-secrets/.test(e.message) && !e.message.includes('secret-pw'));
    await assert.rejects(sourceTarget(state(), fakeEnv({ [SECRET]: { data: {} } }).env), /has no DATABASE_URL/);
  });

  it('per-table figures from a fingerprint as a list or a map', () => {
    assert.deepEqual(tableFigures({ tables: [{ name: 'a.b', rows: 3, checksum: 'x' }] }), [{ name: 'a.b', rows: 3, checksum: 'x' }]);
    assert.deepEqual(tableFigures({ tables: { 'a.b': { rows: 2, sha256: 'y' } } }), [{ name: 'a.b', rows: 2, checksum: 'y' }]);
    assert.deepEqual(tableFigures(undefined), []);
  });

  it('db_migration_status reads the recorded states (filtered) and says when there is none', async () => {
    const s = state();
    s.status = 'failed';
    s.steps[0].status = 'done';
    s.steps[1].status = 'failed';
    s.steps[1].error = 'the exec stream was cut';
    const host = { migrations: { list: async () => [s] }, activity: async () => undefined };
    const r = await (await migrationStatus.prepare({}, host as never)).run({ report: () => {} }, new AbortController().signal);
    assert.match(r.text, /shop\/hacky-stack \(context lab\): failed, next step backup/);
    assert.match(r.text, /backup\s+failed\s+the exec stream was cut/);
    const none = await (await migrationStatus.prepare({ namespace: 'other' }, host as never)).run({ report: () => {} }, new AbortController().signal);
    assert.match(none.text, /No database migration is recorded/);
  });
});
