// DATABASE_URL parsing: the parts, round trips, and malformed URLs refused without the password in the message.
import assert from 'node:assert/strict';
import { formatDatabaseUrl, parseDatabaseUrl } from '../../../src/providers/postgres/url';

describe('DATABASE_URL: parseDatabaseUrl / formatDatabaseUrl', () => {
  it('parses the parts, decoding percent-escapes; default port 5432; parameters kept', () => {
    assert.deepEqual(parseDatabaseUrl('postgresql://app:p%40ss%2Fw%3Ard@db.lab:6432/hacky?sslmode=require'), { host: 'db.lab', port: 6432, database: 'hacky', user: 'app', password: 'p@ss/w:rd', params: { sslmode: 'require' } });
    assert.equal(parseDatabaseUrl('postgres://u:p@10.0.0.5/app').port, 5432);
    assert.equal(parseDatabaseUrl('postgresql://u:p@[fd00::1]:5432/app').host, 'fd00::1');
  });

  it('formats back to an equal target', () => {
    for (const url of ['postgresql://app:p%40ss%2Fw%3Ard@db.lab:6432/hacky?sslmode=require', 'postgresql://u:%F0%9F%94%91@[fd00::1]:5432/db']) {
      const t = parseDatabaseUrl(url);
      assert.deepEqual(parseDatabaseUrl(formatDatabaseUrl(t)), t);
    }
  });

  it('refuses malformed or non-PostgreSQL URLs with a clear message that never contains the password', () => {
    // (messages are checked loosely: the pg-infra branch owns the final wording of this module)
    const cases: Array<[string, RegExp]> = [
      ['', /URL/],
      ['mysql://u:TopSecret1@h/db', /postgresql:\/\//],
      ['db.lab:5432/app', /URL/],
      ['postgresql://u:TopSecret1@/db', /host|URL/],
      ['postgresql://u:TopSecret1@h:99999/db', /port|URL/],
      ['postgresql://u:TopSecret1@h:5432/', /database/],
      ['postgresql://:TopSecret1@h:5432/db', /user/],
      ['postgresql://u:TopSecret1%zz@h/db', /password|escape|encoded|URL/],
    ];
    for (const [url, re] of cases) {
      assert.throws(() => parseDatabaseUrl(url), (e: Error) => {
        assert.match(e.message, re, url);
        assert.doesNotMatch(e.message, /TopSecret1|Top Secret1/, url);
        return true;
      });
    }
  });
});
