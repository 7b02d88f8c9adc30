// Upload the ISO to Proxmox straight from the build host (no round trip through this machine):
// curl runs there, TLS verified against the certificate we pinned (--cacert with that very
// certificate, plus --pinnedpubkey on its key), the API token passed on stdin into a private temp
// file (never on a command line, where `ps` would show it). Returns the imgcopy UPID to follow.
import { checkName } from '../names';
import { X509Certificate, createHash } from 'node:crypto';
import type { SshSession } from '../ssh';
import { NixError } from './errors';
import { shQuote } from './build';

export interface RemoteUploadOptions {
  session: SshSession;
  remoteIsoPath: string;
  /** Cluster origin as the build host reaches it, e.g. https://pve1.lan:8006 */
  url: string;
  node: string;
  storage: string;
  filename: string;
  /** PEM of the certificate whose fingerprint is pinned (the caller checked it). */
  certPem: string;
  /** Full Authorization header value: PVEAPIToken=USER@REALM!ID=SECRET (API tokens only). */
  authorization: string;
  signal?: AbortSignal;
}

/** curl's --pinnedpubkey value: sha256// + base64 SHA-256 of the certificate's SubjectPublicKeyInfo. */
export function pinnedPubKey(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256//${createHash('sha256').update(spki).digest('base64')}`;
}

const PID_FILE = 'homelab-upload.pid';

export async function uploadFromBuildHost(o: RemoteUploadOptions): Promise<{ upid: string; sha256: string }> {
  const s = o.session;
  if (!/^PVEAPIToken=/.test(o.authorization)) throw new NixError('remote', 'Uploading from the build host needs an API token; with password sign-in, fetch the ISO back and upload it from here.');
  const nameWhy = checkName('iso', o.filename);
  if (nameWhy) throw new NixError('remote', nameWhy);
  o.signal?.throwIfAborted();
  const sum = await s.exec(`sha256sum ${shQuote(o.remoteIsoPath)}`, { signal: o.signal });
  const sha256 = /^([0-9a-f]{64})\s/.exec(sum.stdout)?.[1];
  if (sum.code !== 0 || !sha256) throw new NixError('remote', `Cannot read ${s.host}:${o.remoteIsoPath}: ${sum.stderr.trim() || 'sha256sum failed'}`);
  const has = await s.exec('command -v curl >/dev/null 2>&1');
  if (has.code !== 0) throw new NixError('remote', `${s.host} has no curl: install it there, or fetch the ISO back and upload it from here.`);

  const url = `${o.url.replace(/\/+$/, '').replace(/\/api2\/json$/, '')}/api2/json/nodes/${encodeURIComponent(o.node)}/storage/${encodeURIComponent(o.storage)}/upload`;
  const script = [
    'set -e',
    'umask 077',
    'd=$(mktemp -d)',
    `trap 'rm -rf "$d"' EXIT`,
    'cat > "$d/in"',
    `sed -n '1,/-----END CERTIFICATE-----/p' "$d/in" > "$d/ca.pem"`,
    `tail -n 1 "$d/in" > "$d/auth"`,
    `echo $$ > "$d/${PID_FILE}"; echo "$d" > "$HOME/.${PID_FILE}.dir"`,
    `curl -sS -D - --cacert "$d/ca.pem" --pinnedpubkey ${shQuote(pinnedPubKey(o.certPem))} -H @"$d/auth"` +
      ` -F content=iso -F checksum-algorithm=sha256 -F checksum=${sha256} -F ${shQuote(`filename=@${o.remoteIsoPath};filename=${o.filename}`)} ${shQuote(url)}`,
  ].join('\n');
  const proc = await s.start(`bash -c ${shQuote(script)}`);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  proc.stdout.on('data', (d: Buffer) => out.push(d));
  proc.stderr.on('data', (d: Buffer) => err.push(d));
  proc.stdin.end(`${o.certPem.trim()}\nAuthorization: ${o.authorization}\n`);
  const onAbort = () => {
    void s.exec(`d=$(cat "$HOME/.${PID_FILE}.dir" 2>/dev/null) && p=$(cat "$d/${PID_FILE}") && kill -TERM -- -$p 2>/dev/null || kill -TERM $p 2>/dev/null; true`).catch(() => undefined).finally(() => proc.close());
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let exit;
  try {
    exit = await new Promise<{ code: number | null }>((resolve, reject) => {
      const d = s.onClose((e) => reject(new NixError('connection-lost', `The SSH connection to ${s.host} was lost during the upload${e ? ` (${e.message})` : ''}; run it again.`)));
      proc.exit.then((x) => { d.dispose(); resolve(x); });
    });
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  if (o.signal?.aborted) throw new NixError('cancelled', `The upload from ${s.host} was cancelled.`);
  const text = Buffer.concat(out).toString('utf8');
  const redacted = (t: string) => t.split(o.authorization).join('***');
  if (exit.code !== 0) {
    const stderr = redacted(Buffer.concat(err).toString().trim());
    const why = curlTlsProblem(exit.code, stderr, new URL(url).hostname) ?? (stderr || `curl exit ${exit.code}`);
    throw new NixError('remote', `Uploading from ${s.host} to ${o.node}/${o.storage} failed: ${why}`, { code: exit.code });
  }
  // -D -: the last header block (after any "100 Continue"), then the body. PVE's message is the reason phrase.
  const blocks = text.split(/\r?\n\r?\n/);
  let i = 0;
  while (i + 1 < blocks.length && /^HTTP\/[\d.]+ 1\d\d/.test(blocks[i])) i++;
  const status = /^HTTP\/[\d.]+ (\d{3}) ?(.*)/.exec(blocks[i] ?? '');
  const body = blocks.slice(i + 1).join('\n\n');
  if (!status || status[1] !== '200') {
    throw new NixError('remote', `Proxmox refused the upload from ${s.host} to ${o.node}/${o.storage}: ${redacted(status ? `HTTP ${status[1]} ${status[2].trim()}` : text.slice(0, 200))}`, { status: status?.[1] });
  }
  let upid: unknown;
  try {
    upid = (JSON.parse(body) as { data?: unknown }).data;
  } catch { /* below */ }
  if (typeof upid !== 'string' || !upid.startsWith('UPID:')) throw new NixError('remote', `Proxmox answered the upload from ${s.host} without a task id: ${redacted(body.slice(0, 200))}`);
  return { upid, sha256 };
}

/**
 * curl's TLS failures in words: a certificate that is the pinned one but not issued for the host
 * the cluster URL names (fix the URL) is a different problem from a server presenting another
 * certificate (a different server, or a man in the middle). curl gives both exit 60 (51 before 7.62).
 */
export function curlTlsProblem(code: number | null, stderr: string, host: string): string | undefined {
  if ((code === 60 || code === 51) && /subject name|alternative certificate subject|does not match target host/i.test(stderr)) {
    return `the certificate is the cluster's pinned one, but it is not issued for "${host}", the host in the cluster URL. Use a name or address the certificate lists (see Node > System > Certificates), or change the cluster URL to one.`;
  }
  if (code === 90) return 'the server presents a different certificate than the pinned one (its public key does not match): it is not the cluster you trusted.';
  if (code === 60 || code === 51) return `the server certificate is not the pinned one${stderr ? ` (${stderr.split('\n').pop()})` : ''}.`;
  return undefined;
}
