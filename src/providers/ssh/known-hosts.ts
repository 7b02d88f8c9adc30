// The known-hosts file the extension keeps (OpenSSH-compatible lines), and the trust decision.
// Policy: a host whose stored keys do not include the presented key is a MISMATCH, even when the
// stored key is of another type: session.ts makes ssh2 prefer the stored key types (as OpenSSH
// does), so a server that still has its old key presents it.
import { createHmac, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { decodeBase64, keyTypeOfBlob, sha256Fingerprint } from './fingerprint';

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: '@revoked' | '@cert-authority';
  /** Comma-separated host patterns as written (`host`, `[host]:port`, `*.lan`, `!x`, `|1|salt|hash`). */
  hosts: string[];
  keyType: string;
  keyBlob: Buffer;
  comment?: string;
}

export interface InvalidKnownHostLine {
  line: number;
  text: string;
  reason: string;
}

export interface ParsedKnownHosts {
  entries: KnownHostEntry[];
  invalid: InvalidKnownHostLine[];
}

export type HostKeyCheck =
  | { status: 'known'; keyType: string; fingerprint: string }
  | { status: 'unknown'; keyType: string; fingerprint: string }
  | {
      status: 'mismatch';
      keyType: string;
      /** Fingerprint of the key the server presented. */
      fingerprint: string;
      /** Fingerprints of the keys stored for this host (or of the revoked key it presented). */
      storedFingerprints: string[];
      storedKeyTypes: string[];
      lines: number[];
      revoked: boolean;
    };

/** How OpenSSH names host:port in known_hosts: `host` for port 22, else `[host]:port`. Lower-cased. */
export function hostPattern(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Parses known_hosts text. Blank lines and comments are skipped; bad lines are reported, not thrown. */
export function parseKnownHosts(text: string): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const invalid: InvalidKnownHostLine[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m !== '@revoked' && m !== '@cert-authority') {
        invalid.push({ line, text: raw, reason: `unknown marker ${m}` });
        return;
      }
      marker = m;
    }
    if (fields.length < 3) {
      invalid.push({ line, text: raw, reason: 'expected "host keytype base64key"' });
      return;
    }
    const [hostField, keyType, b64, ...rest] = fields as [string, string, string, ...string[]];
    const keyBlob = decodeBase64(b64);
    if (!keyBlob) {
      invalid.push({ line, text: raw, reason: 'key is not valid base64' });
      return;
    }
    const blobType = keyTypeOfBlob(keyBlob);
    if (blobType !== keyType) {
      invalid.push({ line, text: raw, reason: `key type ${keyType} does not match the key (${blobType ?? 'unreadable'})` });
      return;
    }
    const hosts = hostField.split(',').filter(Boolean);
    if (hosts.length === 0) {
      invalid.push({ line, text: raw, reason: 'no host name' });
      return;
    }
    entries.push({ line, marker, hosts, keyType, keyBlob, comment: rest.length ? rest.join(' ') : undefined });
  });
  return { entries, invalid };
}

function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i');
}

function hashedMatches(pattern: string, name: string): boolean {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name))
  const parts = pattern.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = decodeBase64(parts[2]!);
  const hash = decodeBase64(parts[3]!);
  if (!salt || !hash) return false;
  return createHmac('sha1', salt).update(name).digest().equals(hash);
}

/** Whether an entry's host list applies to host:port (OpenSSH semantics, `!` negation wins). */
export function entryMatches(entry: Pick<KnownHostEntry, 'hosts'>, host: string, port: number): boolean {
  const name = hostPattern(host, port);
  let matched = false;
  for (const p of entry.hosts) {
    const negated = p.startsWith('!');
    const pat = negated ? p.slice(1) : p;
    const hit = pat.startsWith('|') ? hashedMatches(pat, name) : globToRegExp(pat).test(name);
    if (hit && negated) return false;
    if (hit) matched = true;
  }
  return matched;
}

/** The decision for a presented key, given the parsed file. */
export function checkHostKey(
  parsed: ParsedKnownHosts,
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyCheck {
  const blobType = keyTypeOfBlob(keyBlob);
  if (blobType !== keyType) {
    throw new TypeError(`Host key type ${keyType} does not match the key blob (${blobType ?? 'unreadable'})`);
  }
  const fingerprint = sha256Fingerprint(keyBlob);
  const forHost = parsed.entries.filter((e) => e.marker !== '@cert-authority' && entryMatches(e, host, port));
  const revoked = forHost.filter((e) => e.marker === '@revoked' && e.keyBlob.equals(keyBlob));
  if (revoked.length) {
    return {
      status: 'mismatch', keyType, fingerprint, revoked: true,
      storedFingerprints: [fingerprint], storedKeyTypes: [keyType], lines: revoked.map((e) => e.line),
    };
  }
  const stored = forHost.filter((e) => e.marker === undefined);
  if (stored.some((e) => e.keyType === keyType && e.keyBlob.equals(keyBlob))) {
    return { status: 'known', keyType, fingerprint };
  }
  if (stored.length === 0) return { status: 'unknown', keyType, fingerprint };
  return {
    status: 'mismatch', keyType, fingerprint, revoked: false,
    storedFingerprints: stored.map((e) => sha256Fingerprint(e.keyBlob)),
    storedKeyTypes: stored.map((e) => e.keyType),
    lines: stored.map((e) => e.line),
  };
}

export class KnownHosts {
  /** Serializes this instance's read-modify-write cycles. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  private async readText(): Promise<string> {
    try {
      return await fs.readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw e;
    }
  }

  async read(): Promise<ParsedKnownHosts> {
    return parseKnownHosts(await this.readText());
  }

  async check(host: string, port: number, keyType: string, keyBlob: Buffer): Promise<HostKeyCheck> {
    return checkHostKey(await this.read(), host, port, keyType, keyBlob);
  }

  /** Key types stored for host:port, so the client can prefer them during key exchange. */
  async knownKeyTypes(host: string, port: number): Promise<string[]> {
    const { entries } = await this.read();
    return [...new Set(entries.filter((e) => !e.marker && entryMatches(e, host, port)).map((e) => e.keyType))];
  }

  /** Stores a key for host:port, replacing a stored key of the same type for exactly that name. */
  add(host: string, port: number, keyType: string, keyBlob: Buffer): Promise<void> {
    const blobType = keyTypeOfBlob(keyBlob);
    if (blobType !== keyType) {
      return Promise.reject(new TypeError(`Host key type ${keyType} does not match the key blob (${blobType ?? 'unreadable'})`));
    }
    const name = hostPattern(host, port);
    return this.mutate((lines) => {
      const kept = rewriteLines(lines, (e) =>
        e.marker === undefined && e.keyType === keyType ? removeName(e, name) : undefined,
      );
      return { lines: [...kept.lines, `${name} ${keyType} ${keyBlob.toString('base64')}`], result: undefined };
    });
  }

  /** Forgets every stored key for host:port. Resolves with how many entries were removed. */
  remove(host: string, port: number): Promise<number> {
    const name = hostPattern(host, port);
    return this.mutate((lines) => {
      const r = rewriteLines(lines, (e) => (e.marker === undefined ? removeName(e, name) : undefined));
      return { lines: r.lines, result: r.removed };
    });
  }

  private mutate<T>(fn: (lines: string[]) => { lines: string[]; result: T }): Promise<T> {
    const run = async (): Promise<T> => {
      const text = await this.readText();
      const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
      const { lines: next, result } = fn(lines);
      await writeAtomic(this.path, next.length ? next.join('\n') + '\n' : '');
      return result;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }
}

/**
 * Returns the entry's line with `name` taken out of its host list ('' when nothing is left), or
 * undefined when the entry does not name it. Hashed names are matched by hash; wildcards are left.
 */
function removeName(e: KnownHostEntry, name: string): string | undefined {
  const keep = e.hosts.filter((h) => !(h.toLowerCase() === name || (h.startsWith('|') && hashedMatches(h, name))));
  if (keep.length === e.hosts.length) return undefined;
  if (keep.length === 0) return '';
  return `${keep.join(',')} ${e.keyType} ${e.keyBlob.toString('base64')}${e.comment ? ` ${e.comment}` : ''}`;
}

function rewriteLines(
  lines: string[],
  edit: (e: KnownHostEntry) => string | undefined,
): { lines: string[]; removed: number } {
  const out: string[] = [];
  let removed = 0;
  lines.forEach((raw) => {
    const entry = parseKnownHosts(raw).entries[0];
    const replacement = entry ? edit(entry) : undefined;
    if (replacement === undefined) out.push(raw);
    else {
      removed++;
      if (replacement !== '') out.push(replacement);
    }
  });
  return { lines: out, removed };
}

/** Write to a temp file in the same dir (0600), fsync, rename over: readers never see half a file. */
async function writeAtomic(path: string, content: string): Promise<void> {
  const dir = dirname(path);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fs.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.chmod(0o600); // the umask may have narrowed or the file pre-existed: be exact
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
