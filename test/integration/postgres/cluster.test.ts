// The PostgreSQL primitives against a REAL cluster (HOMELAB_TEST_KUBECONFIG): two PostgreSQL pods
// (HOMELAB_TEST_POSTGRES_IMAGE, e.g. localhost/postgres:15-local from /work/shared/k8s), the source
// filled with the test data, dumped through the real kubelet's exec stream to a local file,
// restored into the other pod, and compared: the product's fingerprints AND the test's own
// checksums (read over TCP at the pods' IPs). On the API test server this is provider.test.ts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, requireContainers, setupEnv, type TestEnv } from '../kubernetes/env';
import { runnableOnlyIf } from '../../harness/not-run';
import { remotePostgres, type PgServer } from '../../harness/postgres';
import { checksumDatabase, diffChecksums, fillDatabase } from '../../harness/pg-data';
import { podExec } from '../../../src/providers/kubernetes/podexec';
import { checkConnection, compareFingerprints, dumpToFile, fingerprint, restoreFromFile, type PgTarget } from '../../../src/providers/postgres';
import type { KubeObject } from '../../../src/providers/kubernetes/resources';

const IMAGE = process.env.HOMELAB_TEST_POSTGRES_IMAGE;

// This suite belongs to the real-cluster mode only (on the test server the same checks are
// provider.test.ts), so it is declared only there; a real cluster without the image says NOT RUN.
if (process.env.HOMELAB_TEST_KUBECONFIG) runnableOnlyIf(!!IMAGE, 'needs a PostgreSQL image on the cluster (HOMELAB_TEST_POSTGRES_IMAGE, e.g. localhost/postgres:15-local)', () => {
  describe('postgres provider on a real cluster (kubelet exec)', function () {
    this.timeout(600_000);
    let env: TestEnv;
    const pods = { src: { name: 'pg-src', password: 'src-Secret-1', db: 'app' }, dst: { name: 'pg-dst', password: 'dst-Secret-2', db: 'restored' } };
    const target = (p: typeof pods.src): PgTarget => ({ host: '127.0.0.1', port: 5432, user: 'postgres', password: p.password, database: p.db, params: {} });
    let ips: Record<string, string> = {};

    before(async function () {
      env = await setupEnv();
      await requireContainers(this as unknown as Mocha.Context, env);
      for (const p of Object.values(pods)) {
        await env.client.request('POST', `/api/v1/namespaces/${env.namespace}/pods`, { body: {
          apiVersion: 'v1', kind: 'Pod', metadata: { name: p.name },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'postgres', image: IMAGE, imagePullPolicy: 'IfNotPresent', env: [{ name: 'POSTGRES_PASSWORD', value: p.password }, { name: 'POSTGRES_DB', value: p.db }] }] },
        } });
      }
      ips = {};
      for (const p of Object.values(pods)) {
        ips[p.name] = await eventually(async () => {
          const o = await env.client.request<KubeObject>('GET', `/api/v1/namespaces/${env.namespace}/pods/${p.name}`);
          assert.equal(o.status?.phase, 'Running');
          const ip = (o.status as { podIP?: string }).podIP;
          assert.ok(ip);
          return ip;
        }, 120_000, 500);
        const exec = podExec(env.client, env.namespace, p.name, 'postgres');
        await eventually(async () => { const c = await checkConnection(exec, target(p)); assert.ok(c.ok, JSON.stringify(c)); }, 60_000, 500);
      }
    });
    after(async () => { await env?.close(); });

    const remote = (p: typeof pods.src): PgServer => remotePostgres({ host: ips[p.name], port: 5432, user: 'postgres', password: p.password, database: p.db });

    it('dump through the exec stream, restore into another pod: fingerprints and the test\'s own checksums equal', async () => {
      await fillDatabase(remote(pods.src));
      const src = podExec(env.client, env.namespace, pods.src.name, 'postgres');
      const dst = podExec(env.client, env.namespace, pods.dst.name, 'postgres');
      const file = join(env.tmp, 'real.dump');
      const r = await dumpToFile(src, target(pods.src), file, {});
      assert.ok(r.bytes > 1_000_000 && existsSync(`${file}.sha256`) && !existsSync(`${file}.partial`));
      await restoreFromFile(dst, target(pods.dst), file, {});
      const [a, b] = await Promise.all([fingerprint(src, target(pods.src)), fingerprint(dst, target(pods.dst))]);
      assert.deepEqual(compareFingerprints(a, b), []);
      assert.equal(a.tables['app.users'].rows, 100_000);
      const [ca, cb] = await Promise.all([checksumDatabase(remote(pods.src)), checksumDatabase(remote(pods.dst))]);
      assert.deepEqual(diffChecksums(ca, cb), []);
      // a restore that fails (the objects exist now) is an error with pg_restore's message
      await assert.rejects(restoreFromFile(dst, target(pods.dst), file, {}), /pg_restore failed \(exit 1\).*already exists/s);
    });

    it('credentials refused and a missing database are told apart, with no password in the message', async () => {
      const src = podExec(env.client, env.namespace, pods.src.name, 'postgres');
      // TCP to the pod's own IP: scram-sha-256 (the local socket trusts)
      const auth = await checkConnection(src, { ...target(pods.src), host: ips[pods.src.name], password: 'Not-The-Password' });
      assert.equal(!auth.ok && auth.reason, 'auth', JSON.stringify(auth));
      assert.ok(!JSON.stringify(auth).includes('Not-The-Password'));
      const nodb = await checkConnection(src, { ...target(pods.src), database: 'nope' });
      assert.equal(!nodb.ok && nodb.reason, 'no-database', JSON.stringify(nodb));
      const unreachable = await checkConnection(src, { ...target(pods.src), port: 5999 });
      assert.equal(!unreachable.ok && unreachable.reason, 'unreachable', JSON.stringify(unreachable));
    });
  });
});
