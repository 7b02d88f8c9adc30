import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { fingerprintOf, startSshd } from '../../harness/sshd';
import {
  KeyExistsError,
  KnownHosts,
  connectSsh,
  generateEd25519KeyPair,
  listPublicKeys,
  validatePublicKeyLine,
} from '../../../src/providers/ssh';

describe('SSH user keys', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'ssh-keys-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('generateEd25519KeyPair', () => {
    it('writes a 0600 private key and a 0644 .pub that ssh-keygen accepts', async () => {
      const privatePath = join(dir, 'sub', 'id_homelab');
      const r = await generateEd25519KeyPair({ privatePath, comment: 'me@homelab' });
      assert.equal(r.publicPath, `${privatePath}.pub`);
      assert.equal(statSync(privatePath).mode & 0o777, 0o600);
      assert.equal(statSync(r.publicPath).mode & 0o777, 0o644);
      assert.equal(statSync(join(dir, 'sub')).mode & 0o777, 0o700);
      assert.match(r.publicKeyLine, /^ssh-ed25519 AAAA[A-Za-z0-9+/=]+ me@homelab$/);
      assert.equal(readFileSync(r.publicPath, 'utf8'), r.publicKeyLine + '\n');
      assert.equal(r.fingerprint, fingerprintOf(r.publicPath));
      // the private key is a real OpenSSH key whose public half is the .pub
      const derived = execFileSync('ssh-keygen', ['-y', '-f', privatePath], { encoding: 'utf8' }).trim();
      assert.equal(derived.split(' ').slice(0, 2).join(' '), r.publicKeyLine.split(' ').slice(0, 2).join(' '));
    });

    it('every pair is well formed, also the ~1 in 128 whose key starts with a zero byte (800 pairs)', async () => {
      // ssh2 alone drops that byte from both files; 800 pairs meet such a key with 99.8 % probability.
      for (let i = 0; i < 800; i++) {
        const r = await generateEd25519KeyPair({ privatePath: join(dir, `k${i}`) });
        const blob = Buffer.from(r.publicKeyLine.split(' ')[1], 'base64');
        assert.equal(blob.length, 51, `pair ${i}: ${r.publicKeyLine}`);
        const priv = utils.parseKey(readFileSync(join(dir, `k${i}`)));
        assert.ok(!(priv instanceof Error), `pair ${i}: private key ${priv instanceof Error ? priv.message : ''}`);
      }
    });

    it('a passphrase encrypts the private key', async () => {
      const privatePath = join(dir, 'id_enc');
      await generateEd25519KeyPair({ privatePath, passphrase: 'pw' });
      assert.throws(() => execFileSync('ssh-keygen', ['-y', '-P', 'wrong', '-f', privatePath], { stdio: 'pipe' }));
      assert.match(execFileSync('ssh-keygen', ['-y', '-P', 'pw', '-f', privatePath], { encoding: 'utf8' }), /^ssh-ed25519 /);
    });

    it('refuses when the private key exists, leaving it untouched', async () => {
      const privatePath = join(dir, 'id_ed25519');
      writeFileSync(privatePath, 'precious');
      await assert.rejects(generateEd25519KeyPair({ privatePath }), (e: unknown) =>
        e instanceof KeyExistsError && e.path === privatePath && /already exists/.test(e.message));
      assert.equal(readFileSync(privatePath, 'utf8'), 'precious');
      assert.equal(existsSync(`${privatePath}.pub`), false);
    });

    it('refuses when only the .pub exists, writing nothing', async () => {
      const privatePath = join(dir, 'id_ed25519');
      writeFileSync(`${privatePath}.pub`, 'old pub');
      await assert.rejects(generateEd25519KeyPair({ privatePath }), (e: unknown) =>
        e instanceof KeyExistsError && e.path === `${privatePath}.pub`);
      assert.equal(existsSync(privatePath), false);
      assert.equal(readFileSync(`${privatePath}.pub`, 'utf8'), 'old pub');
    });

    it('refuses a .pub path and an empty path', async () => {
      await assert.rejects(generateEd25519KeyPair({ privatePath: join(dir, 'x.pub') }), /PRIVATE key/);
      await assert.rejects(generateEd25519KeyPair({ privatePath: '' }), TypeError);
    });

    it('the generated key logs in to a real sshd', async () => {
      const r = await generateEd25519KeyPair({ privatePath: join(dir, 'id_login'), comment: 'login-test' });
      const sshd = await startSshd({ userPublicKey: r.publicKeyLine });
      try {
        const s = await connectSsh({
          host: sshd.host, port: sshd.port, username: sshd.username, privateKeyPath: r.privatePath, agentSocket: false,
          knownHosts: new KnownHosts(join(dir, 'known_hosts')), confirmUnknown: async () => true,
        });
        assert.equal((await s.exec('echo in')).stdout, 'in\n');
        s.close();
      } finally {
        await sshd.stop();
      }
    });
  });

  describe('listPublicKeys', () => {
    it('lists valid .pub files with type, comment and fingerprint, skipping junk', async () => {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@laptop', '-f', join(dir, 'id_ed25519')]);
      execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-b', '256', '-N', '', '-C', 'with spaces in comment', '-f', join(dir, 'id_ecdsa')]);
      writeFileSync(join(dir, 'junk.pub'), 'this is not a key\n');
      writeFileSync(join(dir, 'empty.pub'), '');
      mkdirSync(join(dir, 'dir.pub'));
      writeFileSync(join(dir, 'config'), 'Host *\n');
      const keys = await listPublicKeys(dir);
      assert.deepEqual(
        keys.map((k) => [k.path, k.type, k.comment, k.fingerprint]),
        [
          [join(dir, 'id_ecdsa.pub'), 'ecdsa-sha2-nistp256', 'with spaces in comment', fingerprintOf(join(dir, 'id_ecdsa.pub'))],
          [join(dir, 'id_ed25519.pub'), 'ssh-ed25519', 'alice@laptop', fingerprintOf(join(dir, 'id_ed25519.pub'))],
        ],
      );
    });

    it('returns [] for a missing directory', async () => {
      assert.deepEqual(await listPublicKeys(join(dir, 'no-such-dir')), []);
    });
  });

  describe('validatePublicKeyLine', () => {
    it('accepts a real key line and normalizes whitespace', () => {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob', '-f', join(dir, 'k')]);
      const line = readFileSync(join(dir, 'k.pub'), 'utf8');
      const v = validatePublicKeyLine(`  ${line.trim().replace(' ', '   ')}\n`);
      assert.ok(v.ok);
      assert.equal(v.type, 'ssh-ed25519');
      assert.equal(v.comment, 'bob');
      assert.equal(v.line, line.trim());
      assert.equal(v.fingerprint, fingerprintOf(join(dir, 'k.pub')));
    });

    const bad: [string, string, RegExp][] = [
      ['empty', '', /empty/],
      ['whitespace only', '   \n\t', /empty/],
      ['a private key', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----', /PRIVATE key/],
      ['two keys', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFBN4zvaN/czDYdBjGTCnuQfGIFyARMUViUf0j5PI50U a\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFBN4zvaN/czDYdBjGTCnuQfGIFyARMUViUf0j5PI50U b', /one/],
      ['prose', 'hello world', /not an SSH key type/],
      ['authorized_keys options', 'command="x" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFBN4zvaN/czDYdBjGTCnuQfGIFyARMUViUf0j5PI50U', /not an SSH key type/],
      ['type only', 'ssh-ed25519', /no key data/],
      ['bad base64', 'ssh-ed25519 AAAA$$$$', /base64/],
      ['truncated key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFBN4zvaN', /base64|cut|damaged/],
      ['type/data mismatch', 'ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIFBN4zvaN/czDYdBjGTCnuQfGIFyARMUViUf0j5PI50U', /ssh-ed25519/],
      ['ssh2 format', '---- BEGIN SSH2 PUBLIC KEY ----', /RFC 4716/],
    ];
    for (const [name, input, message] of bad) {
      it(`rejects ${name} with a clear message`, () => {
        const v = validatePublicKeyLine(input);
        assert.equal(v.ok, false);
        if (!v.ok) assert.match(v.message, message);
      });
    }

    it('rejects non-string input without throwing', () => {
      const v = validatePublicKeyLine(undefined as unknown as string);
      assert.equal(v.ok, false);
    });
  });
});
