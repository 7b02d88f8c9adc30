// src/providers/postgres through the Kubernetes API: the test server's pod exec bound to local
// processes (bindExec), so pg_dump / pg_restore / psql really run against real PostgreSQL servers
// (test/harness/postgres.ts); the data compared with the test's OWN checksums (pg-data.ts) as well as
// with the product's fingerprint.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setupEnv, type TestEnv } from '../kubernetes/env';
import { runnableOnlyIf } from '../../harness/not-run';
import { PG_BIN, startPostgres, type PgServer } from '../../harness/postgres';
import { checksumDatabase, diffChecksums, fillDatabase } from '../../harness/pg-data';
import { freePort } from '../../harness/sshd';
import { podExec } from '../../../src/providers/kubernetes/podexec';
import {
  checkConnection, compareFingerprints, dumpToFile, fingerprint, parseDatabaseUrl, restoreFromFile, sha256File,
  type PgTarget, type PodExec,
} from '../../../src/providers/postgres';

const POD = 'hacky-stack-db-migrate';

runnableOnlyIf(!process.env.HOMELAB_TEST_KUBECONFIG, 'binds the pod to local PostgreSQL servers: needs the API test server', () => {
  describe('postgres provider through pod exec (real servers)', function () {
    this.timeout(300_000);
    let env: TestEnv;
    let source: PgServer;
    let target: PgServer;
    let exec: PodExec;
    /** Every command line the product sent into the pod. */
    const commands: string[][] = [];
    const src = (): PgTarget => parseDatabaseUrl(source.url);
    const dst = (): PgTarget => parseDatabaseUrl(target.url);

    before(async () => {
      [env, source, target] = await Promise.all([setupEnv(), startPostgres(), startPostgres({ database: 'restored' })]);
      await fillDatabase(source);
      env.server!.bindExec(env.namespace, POD, { env: { PATH: `${PG_BIN}:/usr/bin:/bin`, LC_ALL: 'C.UTF-8', HOME: env.tmp }, cwd: env.tmp });
      await env.client.request('POST', `/api/v1/namespaces/${env.namespace}/pods`, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: POD }, spec: { containers: [{ name: 'postgres', image: 'postgres:15', command: ['sleep', 'infinity'] }] } } });
      for (let i = 0; i < 100; i++) {
        const p = await env.client.request<{ status?: { phase?: string } }>('GET', `/api/v1/namespaces/${env.namespace}/pods/${POD}`);
        if (p.status?.phase === 'Running') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const real = podExec(env.client, env.namespace, POD, 'postgres');
      exec = (command, io) => { commands.push(command); return real(command, io); };
    });
    after(async () => { await Promise.all([env?.close(), source?.stop(), target?.stop()]); });

    it('checkConnection: ok with the version and size; auth, unreachable and no-database told apart, no password in messages', async () => {
      const ok = await checkConnection(exec, src());
      assert.ok(ok.ok, JSON.stringify(ok));
      assert.match(ok.version, /^15\./);
      assert.ok(ok.sizeBytes > 10_000_000, `size ${ok.sizeBytes}`);

      const wrong = { ...src(), password: 'Wr0ng-Secret-Value' };
      const auth = await checkConnection(exec, wrong);
      assert.equal(auth.ok, false);
      assert.equal(!auth.ok && auth.reason, 'auth');
      assert.ok(!auth.ok && /refused the credentials/.test(auth.message), JSON.stringify(auth));
      assert.ok(!JSON.stringify(auth).includes('Wr0ng-Secret-Value'));
      assert.ok(!JSON.stringify(auth).includes(source.password));

      const closedPort = await freePort();
      const unreachable = await checkConnection(exec, { ...src(), port: closedPort });
      assert.equal(!unreachable.ok && unreachable.reason, 'unreachable', JSON.stringify(unreachable));
      assert.ok(!JSON.stringify(unreachable).includes(source.password));

      const nodb = await checkConnection(exec, { ...src(), database: 'nope' });
      assert.equal(!nodb.ok && nodb.reason, 'no-database', JSON.stringify(nodb));
      assert.match(!nodb.ok ? nodb.message : '', /"nope" does not exist/);
    });

    it('dump -> restore into a second server: fingerprints equal AND the test\'s own checksums equal', async () => {
      const file = join(env.tmp, 'app-1.dump');
      let progress = 0;
      const r = await dumpToFile(exec, src(), file, { onProgress: (b) => { progress = b; } });
      assert.ok(r.bytes > 1_000_000);
      assert.equal(progress, r.bytes);
      assert.equal(r.sha256, await sha256File(file));
      assert.equal(readFileSync(`${file}.sha256`, 'utf8'), `${r.sha256}  app-1.dump\n`);
      assert.equal(existsSync(`${file}.partial`), false);
      assert.equal(readFileSync(file).subarray(0, 5).toString(), 'PGDMP');
      await assert.rejects(dumpToFile(exec, src(), file, {}), /app-1\.dump exists already: a backup is never overwritten/);
      assert.equal(await sha256File(file), r.sha256);

      let sent = 0;
      await restoreFromFile(exec, dst(), file, { onProgress: (b) => { sent = b; } });
      assert.equal(sent, r.bytes);

      const [a, b] = await Promise.all([fingerprint(exec, src()), fingerprint(exec, dst())]);
      assert.deepEqual(compareFingerprints(a, b), []);
      assert.equal(a.tables['app.users'].rows, 100_000);
      assert.equal(a.tables['app.orders'].rows, 150_000);
      assert.deepEqual(a.sequences['app.not_called_yet'], { lastValue: '42', isCalled: false });
      assert.ok(a.objects['view app.user_totals']);
      assert.match(a.objects['constraint app.orders.amount_not_negative'], /CHECK \(\(amount >= \(0\)::numeric\)\)/);

      const [ca, cb] = await Promise.all([checksumDatabase(source), checksumDatabase(target)]);
      assert.deepEqual(diffChecksums(ca, cb), []);
      assert.ok(Object.keys(ca.tables).length >= 6);
    });

    it('the password is never on a command line', () => {
      assert.ok(commands.length >= 6);
      for (const c of commands) {
        const line = c.join(' ');
        assert.ok(!line.includes(source.password) && !line.includes(target.password), line);
        assert.equal(c[0], 'sh');
        assert.match(c[2], /^IFS= read -r PGPASSWORD; export PGPASSWORD;/);
      }
    });

    it('a deliberately changed row, a deleted row, a moved sequence and a dropped index are reported', async () => {
      const before = await fingerprint(exec, dst());
      await target.psql("UPDATE app.users SET name = name || '!' WHERE id = 4242");
      let d = compareFingerprints(before, await fingerprint(exec, dst()));
      assert.deepEqual(d, ['table app.users: same row count (100000) but different contents']);
      await target.psql("DELETE FROM audit.events WHERE id = 7; SELECT setval('app.invoice_no', 5000); DROP INDEX app.orders_user_placed;");
      d = compareFingerprints(before, await fingerprint(exec, dst()));
      assert.ok(d.includes('table audit.events: 100000 rows in the source, 99999 in the copy'), d.join('\n'));
      assert.ok(d.includes('sequence app.invoice_no: 1168 in the source, 5000 in the copy'), d.join('\n'));
      assert.ok(d.some((l) => /^index app\.orders_user_placed is missing in the copy/.test(l)), d.join('\n'));
      assert.equal(d.length, 4, d.join('\n'));
    });

    it('restoring into a database where it fails (objects exist) stops at the first error and throws', async () => {
      const file = join(env.tmp, 'app-1.dump');
      await assert.rejects(restoreFromFile(exec, dst(), file, {}), (e: Error) => /pg_restore failed \(exit 1\)/.test(e.message) && /already exists/.test(e.message) && !e.message.includes(target.password));
      await assert.rejects(restoreFromFile(exec, { ...dst(), password: 'bad-one' }, file, {}), (e: Error) => /password authentication failed/.test(e.message) && !e.message.includes('bad-one'));
    });

    it('a stream cut mid-dump: an error, no file and no .partial left', async () => {
      const file = join(env.tmp, 'cut.dump');
      let cut = 0;
      await assert.rejects(dumpToFile(exec, src(), file, { onProgress: (b) => { if (!cut && b > 200_000) cut = env.server!.cutExec(POD); } }),
        (e: Error) => /ended before the command reported an exit status/.test(e.message));
      assert.equal(cut, 1);
      assert.deepEqual(readdirSync(env.tmp).filter((f) => f.startsWith('cut.dump')), []);
    });

    it('pg_dump failing (wrong password, missing database) or a cancelled dump leaves nothing', async () => {
      const file = join(env.tmp, 'bad.dump');
      await assert.rejects(dumpToFile(exec, { ...src(), password: 'nope-secret' }, file, {}), (e: Error) => /pg_dump failed \(exit 1\).*password authentication failed/s.test(e.message) && !e.message.includes('nope-secret'));
      await assert.rejects(dumpToFile(exec, { ...src(), database: 'missing' }, file, {}), /database "missing" does not exist/);
      const ac = new AbortController();
      await assert.rejects(dumpToFile(exec, src(), file, { signal: ac.signal, onProgress: () => ac.abort() }), (e: Error) => e.name === 'AbortError');
      assert.deepEqual(readdirSync(env.tmp).filter((f) => f.startsWith('bad.dump')), []);
    });
  });
});
