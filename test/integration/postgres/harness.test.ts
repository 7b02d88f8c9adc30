// The test harness itself: real PostgreSQL servers on loopback (test/harness/postgres.ts) and the
// issue's test data with the test's own checksums (test/harness/pg-data.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PG_BIN, startPostgres, type PgServer } from '../../harness/postgres';
import { checksumDatabase, diffChecksums, expectedTables, fillDatabase } from '../../harness/pg-data';

function psqlTcp(pg: PgServer, password: string, sql: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(join(PG_BIN, 'psql'), ['-X', '-w', '-A', '-t', '-h', '127.0.0.1', '-p', String(pg.port), '-U', pg.user, '-d', pg.database, '-c', sql], { env: { ...process.env, PGPASSWORD: password }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const portOpen = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

describe('postgres test harness (real servers, test data, own checksums)', function () {
  this.timeout(300_000);
  let pg: PgServer;
  before(async () => { pg = await startPostgres(); });
  after(async () => { await pg?.stop(); });

  it('serves TCP on 127.0.0.1 with scram-sha-256: the generated password works, another is refused', async () => {
    assert.equal(pg.host, '127.0.0.1');
    assert.match(pg.url, new RegExp(`^postgresql://homelab:.+@127\\.0\\.0\\.1:${pg.port}/app$`));
    const ok = psqlTcp(pg, pg.password, 'SELECT current_user, current_database()');
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'homelab|app');
    const bad = psqlTcp(pg, pg.password + 'x', 'SELECT 1');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /password authentication failed for user "homelab"/);
    assert.equal((await pg.psql("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'homelab'")).trim(), 't');
    assert.equal((await pg.psql('SHOW listen_addresses')).trim(), '127.0.0.1');
  });

  it('psql() reports SQL errors', async () => {
    await assert.rejects(pg.psql('SELECT * FROM no_such_table'), /relation "no_such_table" does not exist/);
  });

  it('loads the test data (100,000+ row tables, every Unicode plane, all byte values) and its checksums are stable', async () => {
    await fillDatabase(pg);
    const a = await checksumDatabase(pg);
    for (const [table, rows] of Object.entries(expectedTables())) assert.equal(a.tables[table]?.rows, rows, table);
    assert.ok(Object.values(a.tables).filter((t) => t.rows >= 100_000).length >= 3);
    assert.deepEqual(Object.keys(a.tables).map((t) => t.split('.')[0]).filter((s, i, l) => l.indexOf(s) === i).sort(), ['app', 'audit', 'intl', 'media']);
    // one row per plane 0-16, each of its characters in that plane
    assert.equal((await pg.psql("SELECT count(*) FROM intl.texts t WHERE plane IS NOT NULL AND NOT EXISTS (SELECT 1 FROM regexp_split_to_table(t.body, '') ch WHERE ascii(ch) / 65536 <> t.plane)")).trim(), '17');
    assert.equal((await pg.psql("SELECT encode(sha256(data), 'hex') = encode(sha256(decode(string_agg(lpad(to_hex(b), 2, '0'), '' ORDER BY b), 'hex')), 'hex') FROM media.blobs, generate_series(0, 255) b WHERE id = 0 GROUP BY data")).trim(), 't');
    assert.equal(a.sequences['app.invoice_no'], '1168,true');
    assert.equal(a.sequences['app.not_called_yet'], '42,false');
    for (const what of ['view app.user_totals', 'constraint app.orders.amount_not_negative CHECK', 'FOREIGN KEY (user_id) REFERENCES app.users(id)', 'index CREATE INDEX orders_user_placed', 'jsonb', 'numeric(40,18)', 'timestamp with time zone', 'text[]', 'bytea']) {
      assert.ok(a.schema.listing.includes(what), `schema listing has ${what}`);
    }
    const b = await checksumDatabase(pg);
    assert.deepEqual(diffChecksums(a, b), []);
    assert.deepEqual(b, a);
  });

  it('the checksums see a changed row, a changed sequence and a dropped constraint', async () => {
    const before = await checksumDatabase(pg);
    await pg.psql("UPDATE intl.texts SET body = body || chr(1114109) WHERE id = 105; SELECT nextval('app.invoice_no'); ALTER TABLE app.orders DROP CONSTRAINT amount_not_negative;");
    const after = await checksumDatabase(pg);
    const d = diffChecksums(before, after);
    assert.ok(d.some((l) => l.startsWith('table intl.texts:')), d.join('\n'));
    assert.ok(d.some((l) => l.startsWith('sequence app.invoice_no: 1168,true vs 1175,true')), d.join('\n'));
    assert.ok(d.some((l) => /only in the first: constraint app\.orders\.amount_not_negative/.test(l)), d.join('\n'));
    assert.equal(d.filter((l) => l.startsWith('table ')).length, 1);
  });

  it('stop() leaves nothing behind: the server is gone, its port closed, its directory removed', async () => {
    const other = await startPostgres({ password: 'p@ss w:rd/?' });
    assert.notEqual(other.port, pg.port);
    assert.equal(psqlTcp(other, 'p@ss w:rd/?', 'SELECT 1').status, 0);
    assert.ok(await portOpen(other.port));
    await other.stop();
    assert.equal(existsSync(other.dir), false);
    assert.equal(await portOpen(other.port), false);
    await other.stop(); // twice is harmless
  });
});
