import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDatabaseUrl, parseDatabaseUrl, redactedDatabaseUrl, verifyCustomArchive, classifyPsqlFailure } from '../../../src/providers/postgres';
import { conninfo, pgCommand } from '../../../src/providers/postgres/command';

describe('postgres URLs and command lines', () => {
  it('parses a DATABASE_URL with escapes, a default port and parameters', () => {
    const t = parseDatabaseUrl('postgresql://hacky%40stack:s%3Ac%2Fr%40t%20pw@db.example.org/hacky_stack?sslmode=require&application_name=homelab');
    assert.deepEqual(t, { host: 'db.example.org', port: 5432, database: 'hacky_stack', user: 'hacky@stack', password: 's:c/r@t pw', params: { sslmode: 'require', application_name: 'homelab' } });
    assert.deepEqual(parseDatabaseUrl('postgres://u:p@[::1]:6543/d'), { host: '::1', port: 6543, database: 'd', user: 'u', password: 'p', params: {} });
    assert.equal(parseDatabaseUrl('postgresql://u@h/d?password=x').password, 'x');
  });

  it('formats back to a URL that parses to the same target', () => {
    for (const url of ['postgresql://hacky%40stack:s%3Ac%2Fr%40t%20pw@db.example.org:5432/hacky_stack?sslmode=require', 'postgresql://u:p@[::1]:6543/d', 'postgresql://u@h:5432/d']) {
      const t = parseDatabaseUrl(url);
      assert.deepEqual(parseDatabaseUrl(formatDatabaseUrl(t)), t);
    }
    assert.equal(formatDatabaseUrl({ host: 'h', port: 5432, database: 'd b', user: 'u', password: 'p/w', params: {} }), 'postgresql://u:p%2Fw@h:5432/d%20b');
    assert.equal(redactedDatabaseUrl(parseDatabaseUrl('postgresql://u:TopSecret@h/d')), 'postgresql://u:***@h:5432/d');
  });

  it('refuses malformed or non-postgres URLs without echoing the password', () => {
    const bad: [string, RegExp][] = [
      ['mysql://u:Secret1@h/d', /must start with postgresql:\/\//],
      ['http://u:Secret1@h/d', /must start with postgresql/],
      ['postgresql://u:Secret1@h:99999/d', /port must be a number from 1 to 65535/],
      ['postgresql://u:Secret1@h:abc/d', /malformed host or port/],
      ['postgresql://u:Secret1@/d', /names no host/],
      ['postgresql://u:Secret1@h1,h2/d', /several hosts/],
      ['postgresql://u:Secret1@h', /names no database/],
      ['postgresql://:Secret1@h/d', /names no user/],
      ['postgresql://u:Secret1%ZZ@h/d', /password has a malformed %-escape/],
      ['postgresql://u:Secret1%0A@h/d', /line break/],
      ['postgresql://u:Secret1@h/d?host=x', /not as \?host=/],
      ['postgresql://u:Secret1@h/d?bad key=1', /not a libpq keyword/],
      ['postgresql://u:Secret1@h/a/b', /just the database name/],
      ['postgresql://u:Secret1@ho$t/d', /not a host name/],
      ['not a url Secret1', /not a URL of the form/],
      ['', /not a URL/],
    ];
    for (const [url, re] of bad) {
      assert.throws(() => parseDatabaseUrl(url), (e: Error) => re.test(e.message) && !e.message.includes('Secret1'), url);
    }
  });

  it('command lines carry no password and quote the conninfo', () => {
    const t = parseDatabaseUrl("postgresql://o'brien:PassW0rd@h:5433/my%20db?sslmode=verify-full");
    const c = pgCommand(t, 'exec pg_dump --dbname="$1"');
    assert.equal(c[0], 'sh');
    assert.equal(c[1], '-c');
    assert.ok(!c.join(' ').includes('PassW0rd'));
    assert.equal(c[4], "host='h' port='5433' dbname='my db' user='o\\'brien' connect_timeout='10' sslmode='verify-full'");
    assert.equal(conninfo({ ...t, params: { password: 'leak', connect_timeout: '3' } }).includes('leak'), false);
  });

  it('classifies psql failures from stderr', () => {
    assert.equal(classifyPsqlFailure(2, 'psql: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "app"'), 'auth');
    assert.equal(classifyPsqlFailure(2, 'psql: error: connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?'), 'unreachable');
    assert.equal(classifyPsqlFailure(2, 'psql: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "x" does not exist'), 'no-database');
    assert.equal(classifyPsqlFailure(2, 'psql: error: could not translate host name "db" to address: Name or service not known'), 'unreachable');
    assert.equal(classifyPsqlFailure(127, 'sh: exec: psql: not found'), 'other');
  });

  it('an archive check refuses what is not a complete custom-format dump', () => {
    const dir = mkdtempSync(join(tmpdir(), 'homelab-pgarch-'));
    try {
      const f = join(dir, 'x.dump');
      for (const [content, re] of [[Buffer.from(''), /ends inside the header/], [Buffer.from('-- plain SQL dump\n'), /no PGDMP header/], [Buffer.from([...Buffer.from('PGDMP'), 1, 14, 0, 4, 8, 3]), /not in the custom format/], [Buffer.from([...Buffer.from('PGDMP'), 1, 9, 0, 4, 8, 1]), /format 1\.9 is not one/]] as [Buffer, RegExp][]) {
        writeFileSync(f, content);
        assert.throws(() => verifyCustomArchive(f), re);
      }
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});
