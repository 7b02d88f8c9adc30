// IPv4 arithmetic for static cluster plans: parse CIDRs, check gateways, hand out addresses.

export interface Ipv4Cidr {
  address: number;
  prefix: number;
  network: number;
  broadcast: number;
}

export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `10.0.0.10/24` -> the address and its subnet; a message naming what is wrong otherwise. */
export function parseCidr(text: string): Ipv4Cidr | string {
  const [ip, prefixText, ...rest] = text.trim().split('/');
  if (prefixText === undefined) return `"${text}" has no prefix length: write it as address/prefix, for example 10.0.0.10/24`;
  const address = parseIpv4(ip);
  const prefix = /^\d{1,2}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (address === undefined || rest.length) return `"${text}" is not an IPv4 address in CIDR notation`;
  if (!(prefix >= 8 && prefix <= 30)) return `prefix /${prefixText} is out of range: use /8 to /30`;
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const network = (address & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  return { address, prefix, network, broadcast };
}

export function inSubnet(cidr: Ipv4Cidr, ip: number): boolean {
  return ip > cidr.network && ip < cidr.broadcast;
}
