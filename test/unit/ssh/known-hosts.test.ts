import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import {
  KnownHosts,
  checkHostKey,
  entryMatches,
  hostPattern,
  parseKnownHosts,
} from '../../../src/providers/ssh/known-hosts';
import { sha256Fingerprint } from '../../../src/providers/ssh/fingerprint';

function newKey(type: 'ed25519' | 'ecdsa' = 'ed25519'): { type: string; b64: string; blob: Buffer } {
  const pub = (type === 'ecdsa' ? utils.generateKeyPairSync('ecdsa', { bits: 256 }) : utils.generateKeyPairSync('ed25519')).public;
  const [t, b64] = pub.split(' ') as [string, string];
  return { type: t, b64, blob: Buffer.from(b64, 'base64') };
}

describe('known-hosts parsing', () => {
  const a = newKey();
  const b = newKey();
  const e = newKey('ecdsa');

  it('names endpoints like OpenSSH', () => {
    assert.equal(hostPattern('Example.LAN', 22), 'example.lan');
    assert.equal(hostPattern('10.0.0.5', 2222), '[10.0.0.5]:2222');
    assert.equal(hostPattern('::1', 2222), '[::1]:2222');
  });

  it('parses plain, bracketed, multi-host and commented lines with line numbers', () => {
    const text = [
      '# comment',
      '',
      `host1 ${a.type} ${a.b64}`,
      `[10.0.0.5]:2222,alias ${b.type} ${b.b64} some comment`,
      `   `,
      `@revoked bad.example ${e.type} ${e.b64}`,
    ].join('\n');
    const p = parseKnownHosts(text);
    assert.deepEqual(p.invalid, []);
    assert.equal(p.entries.length, 3);
    assert.deepEqual(p.entries.map((x) => x.line), [3, 4, 6]);
    assert.deepEqual(p.entries[1]!.hosts, ['[10.0.0.5]:2222', 'alias']);
    assert.equal(p.entries[1]!.comment, 'some comment');
    assert.ok(p.entries[0]!.keyBlob.equals(a.blob));
    assert.equal(p.entries[2]!.marker, '@revoked');
    assert.equal(p.entries[2]!.keyType, 'ecdsa-sha2-nistp256');
  });

  it('reports bad lines with a reason instead of throwing', () => {
    const text = [
      'justonefield',
      `host ${a.type}`,
      `host ${a.type} !!!notbase64!!!`,
      `host ssh-rsa ${a.b64}`, // declared type does not match the blob
      `@bogus host ${a.type} ${a.b64}`,
      `host ${a.type} ${Buffer.from('garbage-bytes').toString('base64')}`,
      `good ${a.type} ${a.b64}`,
    ].join('\r\n');
    const p = parseKnownHosts(text);
    assert.equal(p.entries.length, 1);
    assert.equal(p.entries[0]!.line, 7);
    assert.deepEqual(p.invalid.map((x) => x.line), [1, 2, 3, 4, 5, 6]);
    assert.match(p.invalid[2]!.reason, /base64/);
    assert.match(p.invalid[3]!.reason, /does not match/);
    assert.match(p.invalid[4]!.reason, /marker/);
  });

  it('matches wildcards, negations and case-insensitively', () => {
    assert.ok(entryMatches({ hosts: ['*.lan'] }, 'nas.LAN', 22));
    assert.ok(!entryMatches({ hosts: ['*.lan', '!nas.lan'] }, 'nas.lan', 22));
    assert.ok(!entryMatches({ hosts: ['host'] }, 'host', 2222), 'port 2222 is a different endpoint');
    assert.ok(entryMatches({ hosts: ['[host]:2222'] }, 'HOST', 2222));
    assert.ok(!entryMatches({ hosts: ['[host]:2222'] }, 'host', 22));
  });

  it('matches hashed host names written by ssh-keygen -H', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kh-unit-'));
    try {
      const f = join(dir, 'known_hosts');
      writeFileSync(f, `[10.1.2.3]:2200 ${a.type} ${a.b64}\nplain ${b.type} ${b.b64}\n`);
      execFileSync('ssh-keygen', ['-q', '-H', '-f', f], { stdio: 'ignore' });
      const p = parseKnownHosts(readFileSync(f, 'utf8'));
      assert.equal(p.entries.length, 2);
      assert.ok(p.entries[0]!.hosts[0]!.startsWith('|1|'), 'ssh-keygen hashed the name');
      assert.equal(checkHostKey(p, '10.1.2.3', 2200, a.type, a.blob).status, 'known');
      assert.equal(checkHostKey(p, '10.1.2.3', 22, a.type, a.blob).status, 'unknown');
      assert.equal(checkHostKey(p, 'plain', 22, a.type, a.blob).status, 'mismatch');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('decides known / unknown / mismatch / revoked with fingerprints', () => {
    const p = parseKnownHosts(`h ${a.type} ${a.b64}\n@revoked * ${e.type} ${e.b64}\n`);
    assert.deepEqual(checkHostKey(p, 'h', 22, a.type, a.blob), { status: 'known', keyType: a.type, fingerprint: sha256Fingerprint(a.blob) });
    const unknown = checkHostKey(p, 'other', 22, b.type, b.blob);
    assert.equal(unknown.status, 'unknown');
    assert.equal(unknown.fingerprint, sha256Fingerprint(b.blob));
    const mm = checkHostKey(p, 'h', 22, b.type, b.blob);
    assert.equal(mm.status, 'mismatch');
    if (mm.status !== 'mismatch') return;
    assert.deepEqual(mm.storedFingerprints, [sha256Fingerprint(a.blob)]);
    assert.equal(mm.fingerprint, sha256Fingerprint(b.blob));
    assert.deepEqual(mm.lines, [1]);
    assert.equal(mm.revoked, false);
    // a stored key of another type does not make a new type acceptable
    assert.equal(checkHostKey(p, 'h', 22, 'ecdsa-sha2-nistp256', newKey('ecdsa').blob).status, 'mismatch');
    const rev = checkHostKey(p, 'anything', 22, e.type, e.blob);
    assert.equal(rev.status, 'mismatch');
    assert.ok(rev.status === 'mismatch' && rev.revoked);
  });

  it('fingerprints in OpenSSH form without padding', () => {
    const fp = sha256Fingerprint(a.blob);
    assert.match(fp, /^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('rejects a key type that does not match the blob', () => {
    assert.throws(() => checkHostKey(parseKnownHosts(''), 'h', 22, 'ssh-rsa', a.blob), TypeError);
  });
});

describe('KnownHosts file', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'kh-file-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('treats a missing file as empty and creates dir + file 0600 on add', async () => {
    const path = join(dir, 'nested', 'deeper', 'known_hosts');
    const kh = new KnownHosts(path);
    const k = newKey();
    assert.equal((await kh.check('10.0.0.9', 2222, k.type, k.blob)).status, 'unknown');
    await kh.add('10.0.0.9', 2222, k.type, k.blob);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8'), `[10.0.0.9]:2222 ${k.type} ${k.b64}\n`);
    assert.equal((await kh.check('10.0.0.9', 2222, k.type, k.blob)).status, 'known');
    assert.deepEqual(readdirSync(join(dir, 'nested', 'deeper')), ['known_hosts'], 'no temp file left behind');
  });

  it('tightens the mode of an existing world-readable file and keeps foreign lines', async () => {
    const path = join(dir, 'known_hosts');
    const other = newKey();
    writeFileSync(path, `# mine\nother ${other.type} ${other.b64}\nnot a valid line\n`, { mode: 0o644 });
    const kh = new KnownHosts(path);
    const k = newKey();
    await kh.add('h', 22, k.type, k.blob);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8'), `# mine\nother ${other.type} ${other.b64}\nnot a valid line\nh ${k.type} ${k.b64}\n`);
  });

  it('replaces the same-type key on add and removes only the named endpoint', async () => {
    const path = join(dir, 'known_hosts');
    const old = newKey();
    const keep = newKey();
    writeFileSync(path, `[h]:2222,alias ${old.type} ${old.b64}\n[h]:2223 ${keep.type} ${keep.b64}\n`);
    const kh = new KnownHosts(path);
    const fresh = newKey();
    await kh.add('h', 2222, fresh.type, fresh.blob);
    assert.equal(
      readFileSync(path, 'utf8'),
      `alias ${old.type} ${old.b64}\n[h]:2223 ${keep.type} ${keep.b64}\n[h]:2222 ${fresh.type} ${fresh.b64}\n`,
    );
    assert.equal(await kh.remove('h', 2222), 1);
    assert.equal(await kh.remove('h', 2222), 0, 'nothing left to remove');
    assert.equal((await kh.check('h', 2222, fresh.type, fresh.blob)).status, 'unknown');
    assert.equal((await kh.check('h', 2223, keep.type, keep.blob)).status, 'known');
    assert.equal((await kh.check('alias', 22, old.type, old.blob)).status, 'known');
  });

  it('removes hashed entries too', async () => {
    const path = join(dir, 'known_hosts');
    const k = newKey();
    writeFileSync(path, `[10.9.9.9]:2200 ${k.type} ${k.b64}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', path], { stdio: 'ignore' });
    const kh = new KnownHosts(path);
    assert.equal((await kh.check('10.9.9.9', 2200, k.type, k.blob)).status, 'known');
    assert.equal(await kh.remove('10.9.9.9', 2200), 1);
    assert.equal((await kh.check('10.9.9.9', 2200, k.type, k.blob)).status, 'unknown');
  });

  it('serializes concurrent adds: no entry is lost', async () => {
    const kh = new KnownHosts(join(dir, 'known_hosts'));
    const keys = Array.from({ length: 12 }, () => newKey());
    await Promise.all(keys.map((k, i) => kh.add(`host${i}`, 22, k.type, k.blob)));
    const p = await kh.read();
    assert.equal(p.entries.length, 12);
    for (const [i, k] of keys.entries()) assert.equal((await kh.check(`host${i}`, 22, k.type, k.blob)).status, 'known');
  });

  it('refuses to add a key whose type does not match the blob', async () => {
    const kh = new KnownHosts(join(dir, 'known_hosts'));
    await assert.rejects(kh.add('h', 22, 'ssh-rsa', newKey().blob), TypeError);
  });
});
