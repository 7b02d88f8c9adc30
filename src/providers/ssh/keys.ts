// User SSH keys: list ~/.ssh/*.pub, validate a pasted public key line, generate an ed25519 pair.
import { constants as fsConstants, promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { utils } from 'ssh2';
import { SshError } from './errors';
import { decodeBase64, keyTypeOfBlob, sha256Fingerprint } from './fingerprint';

export interface PublicKeyInfo {
  /** Absolute path of the .pub file (only set by listPublicKeys). */
  path?: string;
  type: string;
  comment: string;
  fingerprint: string;
  /** The normalized line: `type base64 comment`. */
  line: string;
}

export type PublicKeyValidation = ({ ok: true } & PublicKeyInfo) | { ok: false; message: string };

const KEY_TYPES = new Set([
  'ssh-ed25519', 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/** Checks one OpenSSH public key line (`type base64 [comment]`), e.g. before putting it into cloud-init. */
export function validatePublicKeyLine(input: string): PublicKeyValidation {
  if (typeof input !== 'string') return { ok: false, message: 'No public key given.' };
  const line = input.trim();
  if (!line) return { ok: false, message: 'The public key is empty: paste the contents of a .pub file (e.g. ~/.ssh/id_ed25519.pub).' };
  if (/PRIVATE KEY/.test(line)) {
    return { ok: false, message: 'This is a PRIVATE key: never share it. Paste the .pub file next to it instead.' };
  }
  if (/\r?\n/.test(line)) return { ok: false, message: 'Paste exactly one public key (one line); found several lines.' };
  if (line.startsWith('---- BEGIN SSH2 PUBLIC KEY')) {
    return { ok: false, message: 'This is an RFC 4716 (SSH2) key; convert it with `ssh-keygen -i -f key.pub` first.' };
  }
  const [type, b64, ...rest] = line.split(/\s+/) as [string, string | undefined, ...string[]];
  if (!KEY_TYPES.has(type)) {
    return {
      ok: false,
      message: `"${type.slice(0, 40)}" is not an SSH key type: a public key line starts with ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp256 (options before the type are not allowed here).`,
    };
  }
  if (!b64) return { ok: false, message: `The ${type} key has no key data after the type.` };
  const blob = decodeBase64(b64);
  if (!blob) return { ok: false, message: 'The key data is not valid base64: was the key cut or wrapped when copied?' };
  const blobType = keyTypeOfBlob(blob);
  if (blobType !== type) {
    return { ok: false, message: `The key says ${type} but its data is ${blobType ? `a ${blobType} key` : 'unreadable'}: was it cut when copied?` };
  }
  const parsed = utils.parseKey(`${type} ${b64}`);
  if (parsed instanceof Error || (Array.isArray(parsed) && parsed.length === 0)) {
    return { ok: false, message: `The ${type} key data is damaged (${parsed instanceof Error ? parsed.message : 'no key'}).` };
  }
  const comment = rest.join(' ');
  return { ok: true, type, comment, fingerprint: sha256Fingerprint(blob), line: comment ? `${type} ${b64} ${comment}` : `${type} ${b64}` };
}

/** The valid public keys (`*.pub`) in sshDir, sorted by file name. A missing dir gives []; junk files are skipped. */
export async function listPublicKeys(sshDir: string): Promise<PublicKeyInfo[]> {
  let names: string[];
  try {
    names = await fs.readdir(sshDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const keys: PublicKeyInfo[] = [];
  for (const name of names.filter((n) => n.endsWith('.pub')).sort()) {
    const path = join(sshDir, name);
    let text: string;
    try {
      const st = await fs.stat(path);
      if (!st.isFile() || st.size > 64 * 1024) continue;
      text = await fs.readFile(path, 'utf8');
    } catch {
      continue; // unreadable: not offered
    }
    const v = validatePublicKeyLine(text.trim().split(/\r?\n/)[0] ?? '');
    if (v.ok) keys.push({ path, type: v.type, comment: v.comment, fingerprint: v.fingerprint, line: v.line });
  }
  return keys;
}

export interface GeneratedKeyPair {
  privatePath: string;
  publicPath: string;
  publicKeyLine: string;
  fingerprint: string;
}

export class KeyExistsError extends SshError {
  override name = 'KeyExistsError';
  constructor(readonly path: string) {
    super(`${path} already exists: not overwriting an existing key. Choose another file name or delete it first.`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Writes content to a NEW file (O_EXCL) with exactly `mode`. */
async function writeNew(path: string, content: string, mode: number): Promise<void> {
  let fh;
  try {
    fh = await fs.open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyExistsError(path);
    throw e;
  }
  try {
    await fh.chmod(mode); // the umask must not change it
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Generates an ed25519 key pair: private key 0600 at privatePath, public key 0644 at privatePath + '.pub'. */
export async function generateEd25519KeyPair(opts: { privatePath: string; comment?: string; passphrase?: string }): Promise<GeneratedKeyPair> {
  const privatePath = opts.privatePath;
  if (!privatePath) throw new TypeError('generateEd25519KeyPair: privatePath is required');
  if (privatePath.endsWith('.pub')) throw new SshError(`${privatePath} ends with .pub: give the path of the PRIVATE key (the .pub is added).`);
  const comment = (opts.comment ?? '').replace(/[\r\n]/g, ' ').trim();
  const publicPath = `${privatePath}.pub`;
  for (const p of [privatePath, publicPath]) if (await exists(p)) throw new KeyExistsError(p);

  const { pair, v } = generateValidPair(comment, opts.passphrase);
  await fs.mkdir(dirname(privatePath), { recursive: true, mode: 0o700 });
  await writeNew(privatePath, pair.private, 0o600);
  const publicKeyLine = pair.public.trim();
  try {
    await writeNew(publicPath, publicKeyLine + '\n', 0o644);
  } catch (e) {
    await fs.rm(privatePath, { force: true }); // no half pair left behind
    throw e;
  }
  return { privatePath, publicPath, publicKeyLine, fingerprint: v.fingerprint };
}

/**
 * ssh2's generateKeyPairSync drops a leading zero byte of the ed25519 public key (about one key in
 * 128), which makes BOTH files malformed for OpenSSH. Such a pair is discarded and made again before
 * anything is written; the private key is checked too (with its passphrase).
 */
function generateValidPair(comment: string, passphrase?: string): { pair: { private: string; public: string }; v: Extract<PublicKeyValidation, { ok: true }> } {
  let last = '';
  for (let attempt = 0; attempt < 16; attempt++) {
    const pair = utils.generateKeyPairSync(
      'ed25519',
      passphrase ? { comment, passphrase, cipher: 'aes256-ctr', rounds: 16 } : { comment },
    );
    const v = validatePublicKeyLine(pair.public.trim());
    const priv = utils.parseKey(pair.private, passphrase);
    if (v.ok && !(priv instanceof Error)) return { pair, v };
    last = !v.ok ? v.message : (priv as Error).message;
  }
  throw new SshError(`Generated key pair is invalid: ${last}`);
}
