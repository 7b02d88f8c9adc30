// Cloud-init inputs of a clone, checked before anything is sent: the guest's name (a DNS label),
// its VM ID, a static IPv4 config and the SSH keys (encoded the way PVE's `sshkeys` wants them).

export const VMID_MIN = 100;
export const VMID_MAX = 999_999_999;

/** Why `name` is not a DNS label (what PVE and cloud-init's hostname accept), or undefined. */
export function checkDnsLabel(name: string): string | undefined {
  if (!name) return 'Enter a name: it becomes the guest\'s host name.';
  if (name.length > 63) return `"${name.slice(0, 20)}…" is ${name.length} characters long: a host name has at most 63.`;
  if (/[^A-Za-z0-9-]/.test(name)) {
    const bad = name.match(/[^A-Za-z0-9-]/)![0];
    return `"${bad === ' ' ? 'space' : bad}" is not allowed in a host name: use letters, digits and "-".`;
  }
  if (name.startsWith('-') || name.endsWith('-')) return 'A host name cannot start or end with "-".';
  return undefined;
}

/** Why `text` is not a usable VM ID, or undefined. */
export function checkVmid(text: string): string | undefined {
  if (!/^\d+$/.test(text.trim())) return 'A VM ID is a whole number.';
  const n = Number(text.trim());
  if (n < VMID_MIN || n > VMID_MAX) return `VM ID ${n} is out of range: Proxmox uses ${VMID_MIN}–${VMID_MAX}.`;
  return undefined;
}

export interface Ipv4Cidr {
  address: string;
  prefix: number;
}

const OCTETS = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** True when `text` is a dotted IPv4 address. */
export const isIpv4 = (text: string) => OCTETS.test(text.trim());

/** The first and last host address of `cidr`'s subnet (as integers). */
export function hostRange(cidr: Ipv4Cidr): { first: number; last: number } {
  const m = mask(cidr.prefix);
  const network = (ipv4ToInt(cidr.address) & m) >>> 0;
  const broadcast = (network | (~m >>> 0)) >>> 0;
  return cidr.prefix >= 31 ? { first: network, last: broadcast } : { first: network + 1, last: broadcast - 1 };
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `10.0.0.10/24`; returns a message when it is not a host address with a prefix. */
export function parseCidr(text: string): Ipv4Cidr | string {
  const t = text.trim();
  const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(t);
  if (!m || !OCTETS.test(m[1])) return `"${t}" is not an IPv4 address with a prefix, e.g. 192.168.1.50/24.`;
  if (m[2] === undefined) return `"${t}" has no prefix length: write it as ${m[1]}/24 (or the prefix of your network).`;
  const prefix = Number(m[2]);
  if (prefix < 1 || prefix > 32) return `/${prefix} is not a valid prefix length (1–32).`;
  const ip = ipv4ToInt(m[1]);
  if (prefix <= 30) {
    const host = ip & ~mask(prefix);
    if (host === 0) return `${m[1]} is the network address of ${t}: pick a host address.`;
    if ((host | mask(prefix)) >>> 0 === 0xffffffff) return `${m[1]} is the broadcast address of ${t}: pick a host address.`;
  }
  return { address: m[1], prefix };
}

/** Why `gateway` cannot be the gateway of `cidr`, or undefined. */
export function checkGateway(cidr: Ipv4Cidr, gateway: string): string | undefined {
  const g = gateway.trim();
  if (!OCTETS.test(g)) return `"${g}" is not an IPv4 address.`;
  if (g === cidr.address) return `The gateway cannot be the guest's own address ${g}.`;
  const m = mask(cidr.prefix);
  if (((ipv4ToInt(g) & m) >>> 0) !== ((ipv4ToInt(cidr.address) & m) >>> 0)) {
    return `Gateway ${g} is outside the subnet ${cidr.address}/${cidr.prefix}: the guest could not reach it.`;
  }
  return undefined;
}

export type IpConfig = { kind: 'dhcp' } | { kind: 'static'; cidr: string; gateway?: string };

/** The `ipconfig0` value: `ip=dhcp` or `ip=10.0.0.10/24,gw=10.0.0.1`. Throws on bad input. */
export function ipconfigValue(c: IpConfig): string {
  if (c.kind === 'dhcp') return 'ip=dhcp';
  const cidr = parseCidr(c.cidr);
  if (typeof cidr === 'string') throw new Error(cidr);
  const problem = c.gateway ? checkGateway(cidr, c.gateway) : undefined;
  if (problem) throw new Error(problem);
  return `ip=${cidr.address}/${cidr.prefix}${c.gateway ? `,gw=${c.gateway.trim()}` : ''}`;
}

/**
 * The `sshkeys` value: the authorized_keys text, percent-encoded with %20 for spaces (never `+`).
 * The form encoding of the request then encodes it a second time, as NOTES.md says PVE expects.
 */
export function encodeSshKeys(lines: readonly string[]): string {
  const keys = lines.flatMap((l) => l.split(/\r?\n/)).map((l) => l.trim()).filter(Boolean);
  if (!keys.length) throw new Error('No SSH public key chosen: the guest would accept no key login. Pick a ~/.ssh/*.pub file or paste a key.');
  // Plain public key lines only: authorized_keys options (command="...", from=...) are never written.
  for (const k of keys) {
    if (!SSH_PUBLIC_KEY_RE.test(k)) throw new Error(`"${k.slice(0, 40)}…" is not an SSH public key line (ssh-ed25519 AAAA… comment).`);
  }
  // encodeURIComponent leaves !'()*~ alone; PVE's own GUI encodes them too, so do the same.
  return encodeURIComponent(keys.join('\n') + '\n').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** One authorized_keys line without options: type, base64 key, optional comment. */
export const SSH_PUBLIC_KEY_RE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/;

export function decodeSshKeys(value: string): string[] {
  return decodeURIComponent(value).split('\n').filter(Boolean);
}
