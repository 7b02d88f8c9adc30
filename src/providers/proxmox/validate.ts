// Input checks with messages a user can act on. `parse*`/`normalise*` throw InvalidInputError;
// `validate*` return the message (or undefined), the shape a VS Code InputBox `validateInput` wants.

import { InvalidInputError } from './errors';

export interface ClusterUrl {
  /** `https://host:port`, no trailing slash. */
  origin: string;
  /** Host name or IP as typed (IPv6 without brackets). */
  hostname: string;
  port: number;
}

export function parseClusterUrl(input: string): ClusterUrl {
  const text = (input ?? '').trim();
  if (!text) throw new InvalidInputError('url', 'The cluster URL is empty: enter e.g. https://pve1.lan:8006');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (!scheme) {
    throw new InvalidInputError('url', `The cluster URL "${text}" has no scheme: write it as https://${text.replace(/\/+$/, '')}${/:\d+/.test(text) ? '' : ':8006'}`);
  }
  if (scheme[1].toLowerCase() !== 'https') {
    throw new InvalidInputError('url', `The cluster URL must start with https:// (Proxmox only serves its API over TLS), not ${scheme[1]}://`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidInputError('url', `"${text}" is not a valid URL: write it as https://HOST:8006`);
  }
  if (url.username || url.password) {
    throw new InvalidInputError('url', 'Do not put credentials in the cluster URL: use an API token or the login fields');
  }
  if (!url.hostname) throw new InvalidInputError('url', 'The cluster URL has no host name: write it as https://HOST:8006');
  // URL drops the default port 443, so look at what was typed to know if a port was given.
  const authority = text.slice(scheme[0].length).split(/[/?#]/)[0];
  if (!/:\d+$/.test(authority)) {
    throw new InvalidInputError('url', `The cluster URL has no port: add :8006 (https://${url.hostname}:8006), the port the Proxmox API listens on`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (path !== '' && path !== '/api2/json') {
    throw new InvalidInputError('url', `The cluster URL must not have a path ("${url.pathname}"): use https://${url.host}`);
  }
  if (url.search || url.hash) throw new InvalidInputError('url', `The cluster URL must not have a query string or fragment (the part from ? or #): use https://${url.host}`);
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  return { origin: `https://${url.host}`, hostname, port: Number(url.port || 443) };
}

/** `user@realm!tokenname`, as Proxmox shows it when the token is created. */
export function validateTokenId(input: string): string | undefined {
  const t = (input ?? '').trim();
  if (!t) return 'The token ID is empty: it looks like root@pam!homelab';
  if (/\s/.test(t)) return 'The token ID must not contain spaces: it looks like root@pam!homelab';
  const at = t.indexOf('@');
  const bang = t.indexOf('!');
  if (bang < 0) {
    return `The token ID "${t}" has no "!": write USER@REALM!TOKENNAME (e.g. ${at > 0 ? t : t + '@pam'}!homelab), the token name follows the "!"`;
  }
  if (at <= 0) return `The token ID "${t}" has no user@realm before the "!": write e.g. root@pam!homelab`;
  if (at > bang) return `The token ID "${t}" needs the realm before the "!": write USER@REALM!TOKENNAME`;
  if (at === bang - 1) return `The token ID "${t}" has an empty realm: write e.g. root@pam!homelab`;
  const name = t.slice(bang + 1);
  if (!name) return `The token ID "${t}" has an empty token name after the "!"`;
  if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(name)) {
    return `The token name "${name}" is not valid: letters, digits, ".", "_" and "-", starting with a letter`;
  }
  return undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The secret Proxmox shows once when the token is created: a UUID. The message never repeats it. */
export function validateTokenSecret(input: string): string | undefined {
  const t = (input ?? '').trim();
  if (!t) return 'The token secret is empty: paste the UUID Proxmox showed when the token was created';
  if (t.includes('=') || t.includes('!')) {
    return 'The token secret must be only the UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), not the whole "USER@REALM!TOKEN=SECRET" header';
  }
  if (!UUID.test(t)) return `The token secret must be a UUID like xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (${t.length} characters given)`;
  return undefined;
}

/**
 * Accepts `aa:bb:...`, `AABB...`, with or without a `sha256` prefix, and the OpenSSH-style
 * `SHA256:<base64>` (what `ssh-keygen -l` and some tools print); returns `AA:BB:...` (32 bytes).
 */
export function normaliseFingerprint(input: string): string {
  const raw = (input ?? '').trim();
  const b64 = /^sha-?256:([A-Za-z0-9+/]{43})=?$/i.exec(raw);
  if (b64) return Buffer.from(b64[1], 'base64').toString('hex').toUpperCase().match(/../g)!.join(':');
  const t = raw.replace(/^sha-?256\s*(fingerprint)?\s*[:=]?\s*/i, '');
  const hex = t.replace(/[:\s-]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(hex)) {
    const hint = /^[A-Za-z0-9+/=]+$/.test(t) ? ` "${t.slice(0, 12)}…" looks like base64: write it as SHA256:<43 base64 characters> (OpenSSH style) or paste the hex form.` : '';
    throw new InvalidInputError('fingerprint', `The fingerprint must be a hexadecimal SHA-256 (like AB:CD:..., 32 bytes), as shown under Node > System > Certificates, or SHA256:<base64> as OpenSSH prints it.${hint}`);
  }
  if (hex.length !== 64) {
    throw new InvalidInputError('fingerprint', `The fingerprint must be a SHA-256 (32 bytes, 64 hex digits); ${hex.length / 2} bytes given${hex.length === 40 ? ' (that is a SHA-1 fingerprint)' : ''}`);
  }
  return hex.toUpperCase().match(/../g)!.join(':');
}

export function validateFingerprint(input: string): string | undefined {
  try {
    normaliseFingerprint(input);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
