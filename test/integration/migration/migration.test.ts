// The database migration's steps end to end in plain Node: the Kubernetes test server with its
// pods' exec bound to real PostgreSQL servers on loopback (the helper pod reaches the "external"
// source, hacky-stack-postgres-0 reaches the target server), the test data (100,000+ rows,
// every type) and the TEST's own checksums (test/harness/pg-data.ts), compared on both sides after
// the migration and after the rollback. Failure injection: a cut dump stream, a restore cut midway,
// a changed row before verify, an app that never becomes ready after the switch, a run stopped
// between steps and resumed from the recorded state. Bad input: a malformed URL, refused
// credentials, no StorageClass, a claim that stays Pending, RBAC refusing exec, a namespace that is
// not the app's. No secret may appear in any message, log line or state.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { startK8sServer, type K8sTestServer } from '../../k8s-server';
import { startPostgres, type PgServer } from '../../harness/postgres';
import { checksumDatabase, diffChecksums, fillDatabase, type DataChecksums } from '../../harness/pg-data';
import { KubeClient } from '../../../src/providers/kubernetes/client';
import { connectionFor, loadKubeconfig } from '../../../src/providers/kubernetes/kubeconfig';
import * as actions from '../../../src/providers/kubernetes/actions';
import * as errors from '../../../src/providers/kubernetes/errors';
import { waitForRollout } from '../../../src/providers/kubernetes/rollout';
import type { KubeObject } from '../../../src/providers/kubernetes/resources';
import { applyKit, loadKit, renderKit } from '../../../src/providers/apps/kit';
import { MigrationStepFailed, runSteps } from '../../../src/providers/postgres/migration-engine';
import { cleanup, migrationSteps, rollback, type MigrationEnv, type PodExec } from '../../../src/providers/postgres/migration-kube';
import {
  canRollback, newMigration, parseState, step, type MigrationState, type MigrationStepId,
} from '../../../src/providers/postgres/migration-state';
import { migrationParts } from '../../../src/services/migration-parts';
import { podExec } from '../../../src/providers/kubernetes/podexec';
import type { MigrationParts } from '../../../src/services/migrations';

const ROOT = resolve(__dirname, '../../..');
const ROWS = Number(process.env.HOMELAB_TEST_MIGRATION_ROWS ?? 100_000);

describe('database migration to the StatefulSet (test server, real PostgreSQL)', function () {
  this.timeout(240_000);
  let server: K8sTestServer;
  let client: KubeClient;
  let source: PgServer;
  let target: PgServer;
  let parts: MigrationParts;
  let tmp: string;
  let sourceSums: DataChecksums;
  /** Every text the product produced (log lines, errors, states): scanned for secrets. */
  const texts: string[] = [];

  before(async function () {
    tmp = mkdtempSync(join(tmpdir(), 'homelab-migration-'));
    server = await startK8sServer({ podReadyDelayMs: 50, bookmarkIntervalMs: 500 });
    client = new KubeClient(connectionFor(loadKubeconfig({ paths: [server.writeKubeconfig(join(tmp, 'config'))] })));
    parts = migrationParts(ROOT, { podExec, apps: { applyKit } });
    source = await startPostgres({ user: 'hacky', database: 'hackystack' });
    // The StatefulSet's server as the postgres image leaves it: POSTGRES_USER a superuser owning POSTGRES_DB.
    target = await startPostgres({ user: 'hacky', database: 'hackystack' });
    await fillDatabase(source, { rows: ROWS });
    sourceSums = await checksumDatabase(source);
  });
  after(async () => {
    await Promise.race([server?.close(), new Promise((r) => setTimeout(r, 5000))]);
    await source?.stop();
    await target?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A namespace with the basic kit deployed against `databaseUrl` and the exec bindings. */
  async function appNamespace(databaseUrl = source.url): Promise<string> {
    const ns = `mig-${randomBytes(3).toString('hex')}`;
    const objs = renderKit(loadKit(ROOT, 'basic'), {
      namespace: ns, image: 'localhost/hacky-stack', tag: 'test', replicas: 1,
      appSecrets: { NEXTAUTH_SECRET: 'x'.repeat(32), GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'gh-secret', DATABASE_URL: databaseUrl },
    });
    await applyKit(client, objs);
    server.bindExec(ns, 'hacky-stack-db-migrate', {});
    server.bindExec(ns, 'hacky-stack-postgres-0', {});
    await waitForRollout(client, ns, 'deployments', 'hacky-stack', { timeoutMs: 20_000 });
    return ns;
  }

  interface Run { s: MigrationState; env: MigrationEnv; ws: string; saved: string[]; lines: string[] }

  function makeRun(ns: string, o: { storageClass?: string; readyMs?: number; beforeVerify?: () => Promise<void>; wrapExec?: (pod: string, e: PodExec) => PodExec; state?: MigrationState; ws?: string } = {}): Run {
    const ws = o.ws ?? mkdtempSync(join(tmp, 'ws-'));
    const s = o.state ?? newMigration({ context: 'test', namespace: ns, app: 'hacky-stack', storageClass: o.storageClass ?? '', databaseImage: 'postgres:15', now: new Date() });
    const saved: string[] = [];
    const lines: string[] = [];
    const backups = join(ws, 'homelab', 'backups');
    const env: MigrationEnv = {
      client, kube: { actions, errors } as unknown as MigrationEnv['kube'], pg: parts.pg,
      podExec: (pod, container) => { const e = parts.podExec(client, ns, pod, container); return o.wrapExec ? o.wrapExec(pod, e) : e; },
      databaseObjects: (x) => parts.databaseObjects({ namespace: ns, app: 'hacky-stack', ...x }),
      applyKit: (objects, x) => parts.applyKit(client, objects, x),
      waitForRollout: async (kind, name, x) => { await waitForRollout(client, ns, kind, name, x); },
      backups: {
        path: async (name) => { mkdirSync(backups, { recursive: true }); return join(backups, name); },
        relative: (abs) => relative(ws, abs),
        freeBytes: async () => { const st = statfsSync(ws); return st.bavail * st.bsize; },
        ensureIgnored: async () => { mkdirSync(backups, { recursive: true }); writeFileSync(join(backups, '.gitignore'), '*\n!.gitignore\n'); },
      },
      targetFromPod: { host: '127.0.0.1', port: target.port },
      save: async () => { saved.push(JSON.stringify(s)); },
      log: (l) => lines.push(l),
      now: () => new Date(),
      timeouts: { readyMs: o.readyMs ?? 20_000 },
      beforeVerify: o.beforeVerify,
    };
    return { s, env, ws, saved, lines };
  }

  /** Runs the steps, recording every state; stands in for the postgres image setting the generated password. */
  async function migrate(r: Run, o: { stopAfter?: MigrationStepId } = {}): Promise<MigrationState> {
    const stop = new AbortController();
    const initdb = adoptGeneratedPassword(r.s.namespace, stop.signal);
    try {
      return await runSteps(r.s, migrationSteps(r.s, r.env), { save: async (x) => { r.saved.push(JSON.stringify(x)); }, signal: new AbortController().signal, session: 'test', stopAfter: o.stopAfter });
    } catch (e) {
      texts.push((e as Error).message);
      throw e;
    } finally {
      stop.abort();
      await initdb;
      texts.push(...r.lines, ...r.saved);
    }
  }

  /** When the credentials Secret appears, the target role gets its password (what the image's initdb does). */
  async function adoptGeneratedPassword(ns: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const sec = await client.request<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${ns}/secrets/hacky-stack-postgres-credentials`).catch(() => undefined);
      if (sec?.data?.POSTGRES_PASSWORD) {
        const pw = Buffer.from(sec.data.POSTGRES_PASSWORD, 'base64').toString();
        generated.add(pw);
        await target.psql(`ALTER ROLE hacky PASSWORD '${pw.replace(/'/g, "''")}'`, { database: 'postgres' });
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const generated = new Set<string>();

  const secretUrl = async (ns: string, name = 'hacky-stack-secrets') => {
    const s = await client.request<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${ns}/secrets/${name}`);
    return Buffer.from(s.data.DATABASE_URL, 'base64').toString();
  };
  const exists = async (path: string) => client.request('GET', path).then(() => true, (e) => { if (errors.isKubeError(e, 'notFound')) return false; throw e; });
  const objectsOf = async (ns: string) => {
    const names: string[] = [];
    for (const [p, kind] of [[`/api/v1/namespaces/${ns}/pods`, 'pods'], [`/api/v1/namespaces/${ns}/secrets`, 'secrets'], [`/apis/apps/v1/namespaces/${ns}/statefulsets`, 'statefulsets']] as const) {
      const l = await client.request<{ items: KubeObject[] }>('GET', p);
      names.push(...l.items.map((o) => `${kind}/${o.metadata.name}`));
    }
    return names.sort();
  };

  describe('bad input: each refused with a clear message, nothing changed', () => {
    it('a malformed DATABASE_URL', async () => {
      const ns = await appNamespace('mysql://someone:hunter2-malformed@db.example/app');
      const before = await objectsOf(ns);
      const r = makeRun(ns);
      await assert.rejects(migrate(r), (e: Error) => e instanceof MigrationStepFailed && e.step === 'preflight' && /DATABASE_URL of Secret/.test(e.message) && !e.message.includes('hunter2'));
      assert.deepEqual(await objectsOf(ns), before);
      assert.ok(!texts.join('\n').includes('hunter2-malformed'));
    });

    it('a source that refuses the credentials (the helper pod made to ask is removed again)', async () => {
      const wrong = `postgresql://${source.user}:wrong-${randomBytes(4).toString('hex')}@127.0.0.1:${source.port}/${source.database}`;
      const ns = await appNamespace(wrong);
      await client.request('POST', '/apis/storage.k8s.io/v1/storageclasses', { body: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'any-class' }, provisioner: 'example.com/any' } }).catch(() => undefined);
      const before = await objectsOf(ns);
      const r = makeRun(ns, { storageClass: 'any-class' });
      await assert.rejects(migrate(r), (e: Error) => /refuses the credentials of user "hacky"/.test(e.message) && !e.message.includes('wrong-'));
      assert.deepEqual(await objectsOf(ns), before, 'the helper pod is gone again');
      assert.ok(!existsSync(join(r.ws, 'homelab', 'backups')), 'no backup folder');
    });

    it('no default StorageClass, or a class that does not exist: named in the message', async () => {
      const ns = await appNamespace();
      const r = makeRun(ns);
      await assert.rejects(migrate(r), /No default StorageClass: the volume claim would stay Pending \(asked for: the default class\)/);
      const r2 = makeRun(ns, { storageClass: 'fast-ssd' });
      await assert.rejects(migrate(r2), /StorageClass "fast-ssd" does not exist/);
      assert.ok(!(await objectsOf(ns)).includes('pods/hacky-stack-db-migrate'));
    });

    it('RBAC refusing exec in the namespace (SelfSubjectAccessReview), and a namespace that is not the app\'s', async () => {
      const ns = await appNamespace();
      const before = await objectsOf(ns);
      server.forbidNamespace(ns);
      try {
        await assert.rejects(migrate(makeRun(ns, { storageClass: 'any-class' })), (e: Error) => /RBAC refuses what the migration needs in namespace "mig-[0-9a-f]+": create pods\/exec/.test(e.message));
      } finally { server.allowNamespace(ns); }
      assert.deepEqual(await objectsOf(ns), before);
      const other = `other-${randomBytes(3).toString('hex')}`;
      await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: other } } });
      await assert.rejects(migrate(makeRun(other)), /Namespace "other-[0-9a-f]+" is not the namespace of application "hacky-stack"/);
      assert.deepEqual(await objectsOf(other), []);
    });

    it('a claim that stays Pending: the deploy step says so and names the class', async () => {
      const ns = await appNamespace();
      const r = makeRun(ns, { storageClass: 'any-class', readyMs: 1500 });
      await assert.rejects(migrate(r), (e: Error) => e instanceof MigrationStepFailed && e.step === 'deploy' && /data-hacky-stack-postgres-0 is Pending: StorageClass "any-class" did not bind it/.test(e.message));
      assert.equal(await secretUrl(ns), source.url, 'the app untouched');
    });
  });

  describe('with a StorageClass whose claims bind (local-path)', () => {
    before(async () => {
      await client.request('POST', '/apis/storage.k8s.io/v1/storageclasses', { body: {
        apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete',
        metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      } });
      server.provisionClass('local-path');
    });

    it('migrates every row: the test\'s own checksums equal on both sides, after the switch and after the rollback', async () => {
      const ns = await appNamespace();
      const r = makeRun(ns);
      const s = await migrate(r);
      assert.equal(s.status, 'switched');
      assert.ok(s.steps.every((x) => x.status === 'done'));
      assert.deepEqual(diffChecksums(sourceSums, await checksumDatabase(target)), [], 'target equals source (test checksums)');
      assert.ok(s.tables && s.tables.length >= 6, 'per-table figures recorded');
      // backup: a good dump and its .sha256, git-ignored, no partial left
      const files = readdirSync(join(r.ws, 'homelab', 'backups')).sort();
      assert.ok(files.some((f) => /^hacky-stack-.*\.dump$/.test(f)) && files.some((f) => f.endsWith('.dump.sha256')), files.join(','));
      assert.ok(!files.some((f) => f.endsWith('.partial')));
      assert.match(readFileSync(join(r.ws, 'homelab', 'backups', '.gitignore'), 'utf8'), /^\*$/m);
      // the app Secret names the in-cluster Service; the previous value saved in the cluster
      const url = await secretUrl(ns);
      assert.match(url, new RegExp(`@hacky-stack-postgres\\.${ns}\\.svc\\.cluster\\.local:5432/hackystack$`));
      assert.equal(await secretUrl(ns, 'hacky-stack-secrets-premigration'), source.url);
      assert.ok(canRollback(s));

      const restartedBefore = (await client.request<KubeObject>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/hacky-stack`)).spec.template.metadata?.annotations?.[actions.RESTARTED_AT];
      await rollback(s, r.env, new AbortController().signal);
      assert.equal(await secretUrl(ns), source.url, 'DATABASE_URL restored');
      const restartedAfter = (await client.request<KubeObject>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/hacky-stack`)).spec.template.metadata?.annotations?.[actions.RESTARTED_AT];
      assert.ok(restartedAfter && restartedAfter !== restartedBefore, 'the app restarted');
      assert.deepEqual(diffChecksums(sourceSums, await checksumDatabase(source)), [], 'the source was never written');
      assert.deepEqual(diffChecksums(sourceSums, await checksumDatabase(target)), [], 'the target still equal after the rollback');

      // cleanup deletes only what the migration created (and Homelab labelled)
      const deleted = await cleanup(s, r.env);
      assert.deepEqual(deleted.sort(), ['pods/hacky-stack-db-migrate', 'secrets/hacky-stack-secrets-premigration']);
      assert.equal(await exists(`/api/v1/namespaces/${ns}/pods/hacky-stack-db-migrate`), false);
      assert.equal(await exists(`/apis/apps/v1/namespaces/${ns}/statefulsets/hacky-stack-postgres`), true, 'the StatefulSet stays');
      texts.push(...r.lines);
    });

    it('an exec stream cut mid-dump: no good backup recorded, no partial left, nothing else changed', async () => {
      const ns = await appNamespace();
      const r = makeRun(ns);
      // cut the exec streams once the partial dump holds 256 KiB (the dump is still running then)
      let cut = false;
      const dir = join(r.ws, 'homelab', 'backups');
      const watcher = setInterval(() => {
        const partial = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.partial')) : undefined;
        if (!cut && partial && statSync(join(dir, partial)).size > 256 * 1024) { cut = true; server.cutExec('hacky-stack-db-migrate'); }
      }, 10);
      try {
        await assert.rejects(migrate(r), (e: Error) => e instanceof MigrationStepFailed && e.step === 'backup');
      } finally { clearInterval(watcher); }
      assert.ok(cut, 'the stream was cut');
      assert.equal(r.s.backup, undefined);
      assert.equal(step(r.s, 'backup').status, 'failed');
      const files = existsSync(join(r.ws, 'homelab', 'backups')) ? readdirSync(join(r.ws, 'homelab', 'backups')) : [];
      assert.deepEqual(files.filter((f) => f !== '.gitignore'), [], 'no dump, no partial');
      assert.equal(await exists(`/apis/apps/v1/namespaces/${ns}/statefulsets/hacky-stack-postgres`), false);
      assert.equal(await secretUrl(ns), source.url);
    });

    it('a restore that fails midway leaves the app untouched; resumed, it restores from nothing and finishes', async () => {
      const ns = await appNamespace();
      let cut = false;
      let cutting: Promise<void> | undefined;
      // podExec reads stdin while its WebSocket still connects: cut once the server has the stream open
      const cutWhenOpen = async () => { for (let i = 0; i < 2000 && !cut; i++) { cut = server.cutExec('hacky-stack-postgres-0') > 0; if (!cut) await new Promise((res) => setTimeout(res, 5)); } };
      const r = makeRun(ns, {
        wrapExec: (pod, e) => (command, io) => {
          if (cutting || pod !== 'hacky-stack-postgres-0' || !command.join(' ').includes('pg_restore') || !io.stdin) return e(command, io);
          let seen = 0;
          const tap = new Transform({ transform(chunk: Buffer, _enc, cb) { seen += chunk.length; if (seen > 0 && !cutting) cutting = cutWhenOpen(); cb(null, chunk); } });
          io.stdin.pipe(tap);
          return e(command, { ...io, stdin: tap });
        },
      });
      await assert.rejects(migrate(r), (e: Error) => e instanceof MigrationStepFailed && e.step === 'restore');
      assert.ok(cut);
      assert.equal(await secretUrl(ns), source.url, 'the app untouched');
      assert.equal(await exists(`/api/v1/namespaces/${ns}/secrets/hacky-stack-secrets-premigration`), false);
      assert.equal(canRollback(r.s), false);
      // the recorded state, read back as after a reload, resumes at the restore
      const back = parseState(r.saved[r.saved.length - 1])!;
      assert.equal(back.status, 'failed');
      const r2 = makeRun(ns, { state: back, ws: r.ws });
      const s = await migrate(r2);
      assert.equal(s.status, 'switched');
      assert.deepEqual(diffChecksums(sourceSums, await checksumDatabase(target)), []);
    });

    it('a verify mismatch stops before the switch and names the difference', async () => {
      const ns = await appNamespace();
      const r = makeRun(ns, { beforeVerify: async () => { await target.psql('UPDATE app.settings SET value = \'{"changed": true}\' WHERE key = (SELECT min(key) FROM app.settings)'); } });
      await assert.rejects(migrate(r), (e: Error) => e instanceof MigrationStepFailed && e.step === 'verify' && /differs from the source/.test(e.message) && /app\.settings/.test(e.message));
      assert.equal(await secretUrl(ns), source.url, 'the app untouched');
      assert.equal(step(r.s, 'switch').status, 'pending');
      assert.equal(canRollback(r.s), false);
    });

    it('an app that does not become ready after the switch: rollback restores the Secret and restarts the app', async () => {
      const ns = await appNamespace();
      const r = makeRun(ns);
      await assert.rejects(migrate(r, { stopAfter: 'verify' }), /stopped after the verify step/);
      // the new database "breaks" the app: its image never becomes ready (the test server's :broken)
      await client.request('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/hacky-stack`, { body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'localhost/hacky-stack:broken' }] } } } }, contentType: 'application/strategic-merge-patch+json' });
      r.env.timeouts.readyMs = 2000;
      await assert.rejects(migrate(r), (e: Error) => e instanceof MigrationStepFailed && e.step === 'switch');
      assert.ok(canRollback(r.s), 'rollback is offered');
      assert.notEqual(await secretUrl(ns), source.url);
      await client.request('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/hacky-stack`, { body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'localhost/hacky-stack:test' }] } } } }, contentType: 'application/strategic-merge-patch+json' });
      r.env.timeouts.readyMs = 20_000;
      await rollback(r.s, r.env, new AbortController().signal);
      assert.equal(await secretUrl(ns), source.url);
      assert.deepEqual(diffChecksums(sourceSums, await checksumDatabase(source)), [], 'source unchanged');
    });

    it('stopped after a step and resumed from the recorded state: earlier steps are not run again', async () => {
      const ns = await appNamespace();
      const r = makeRun(ns);
      await assert.rejects(migrate(r, { stopAfter: 'backup' }));
      const dumps = () => readdirSync(join(r.ws, 'homelab', 'backups')).filter((f) => f.endsWith('.dump'));
      assert.equal(dumps().length, 1);
      const back = parseState(r.saved[r.saved.length - 1])!;
      assert.equal(back.status, 'stopped');
      const r2 = makeRun(ns, { state: back, ws: r.ws });
      const s = await migrate(r2);
      assert.equal(s.status, 'switched');
      assert.equal(dumps().length, 1, 'no second backup');
      assert.deepEqual(diffChecksums(sourceSums, await checksumDatabase(target)), []);
    });
  });

  describe('secrets', () => {
    it('no password appeared in any message, log line or recorded state of the runs above', () => {
      const all = texts.join('\n');
      assert.ok(all.length > 1000, 'the runs produced text to scan');
      for (const secret of [source.password, target.password, ...generated]) assert.ok(!all.includes(secret), 'a password appeared in a message, log line or state');
    });
  });
});
