// Parameter verification against the PVE schema subset, with the real server's messages, so a
// client that passes here is not rejected by a real cluster for a typo or a wrong type.
import schemaFile from './pve-schema.json';
import { paramError } from './http';

export interface PropSchema {
  type?: string;
  optional?: number | boolean;
  enum?: string[];
  minimum?: number | string;
  maximum?: number | string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string | Record<string, PropSchema>;
  default_key?: number;
  alias?: string;
  keyAlias?: string;
}
export interface MethodSchema {
  name: string;
  parameters: { additionalProperties?: number; properties?: Record<string, PropSchema> };
  permissions?: unknown;
  proxyto?: string;
  allowtoken?: number;
}

const methods = (schemaFile as unknown as { methods: Record<string, MethodSchema> }).methods;

export function methodSchema(key: string): MethodSchema {
  const m = methods[key];
  if (!m) throw new Error(`simulator route without schema: ${key}`);
  return m;
}

export type Value = string | number | boolean;
export type Params = Record<string, Value>;
/** Normalized parameters: integers/numbers as numbers, booleans as 0/1, the rest as strings. */
export type Clean = Record<string, string | number>;

/** Highest index + 1 for numbered keys (`net0`..`net31`), as in qemu-server. */
const MAX_INDEX: Record<string, number> = {
  net: 32, scsi: 31, ide: 4, sata: 6, virtio: 16, ipconfig: 32, unused: 256, usb: 14,
  hostpci: 16, serial: 4, parallel: 3, numa: 8, virtiofs: 10,
};

/** Maps `net0` to the schema's collapsed `net[n]` key. */
export function schemaKey(props: Record<string, PropSchema>, key: string): string | undefined {
  if (props[key]) return key;
  const m = /^([a-z_-]+?)(\d+)$/.exec(key);
  if (m && props[`${m[1]}[n]`] && Number(m[2]) < (MAX_INDEX[m[1]] ?? 256) && String(Number(m[2])) === m[2]) {
    return `${m[1]}[n]`;
  }
  return undefined;
}

const MISSING = 'property is missing and it is not optional';
const UNKNOWN = 'property is not defined in schema and the schema does not allow additional properties';

export function validate(key: string, input: Params): Clean {
  const props = methodSchema(key).parameters.properties ?? {};
  const errors: Record<string, string> = {};
  const out: Clean = {};
  for (const [k, raw] of Object.entries(input)) {
    const sk = schemaKey(props, k);
    if (!sk) {
      errors[k] = UNKNOWN;
      continue;
    }
    const r = checkValue(props[sk], raw);
    if (typeof r === 'object') errors[k] = r.error;
    else out[k] = r;
  }
  for (const [k, s] of Object.entries(props)) {
    if (!s.optional && !k.endsWith('[n]') && !(k in input)) errors[k] = MISSING;
  }
  if (Object.keys(errors).length) throw paramError(errors);
  return out;
}

type Checked = string | number | { error: string };

function checkValue(s: PropSchema, raw: Value): Checked {
  const type = s.type ?? 'string';
  let str = typeof raw === 'boolean' ? (raw ? '1' : '0') : String(raw);
  if (type === 'boolean') {
    if (/^(1|on|yes|true)$/i.test(str)) return 1;
    if (/^(0|off|no|false)$/i.test(str)) return 0;
    return { error: `type check ('boolean') failed - got '${str}'` };
  }
  if (type === 'integer' || type === 'number') {
    const ok = type === 'integer' ? /^[+-]?\d+$/.test(str) : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(str);
    if (!ok) return { error: `type check ('${type}') failed - got '${str}'` };
    const n = Number(str);
    if (s.minimum !== undefined && n < Number(s.minimum)) return { error: `value must have a minimum value of ${s.minimum}` };
    if (s.maximum !== undefined && n > Number(s.maximum)) return { error: `value must have a maximum value of ${s.maximum}` };
    if (s.enum && !s.enum.includes(str)) return { error: enumError(str, s.enum) };
    return n;
  }
  if (type !== 'string') return str;
  if (s.maxLength !== undefined && str.length > s.maxLength) return { error: `value may only be ${s.maxLength} characters long` };
  if (s.minLength !== undefined && str.length < s.minLength) return { error: `value must be at least ${s.minLength} characters long` };
  if (s.enum && !s.enum.includes(str)) return { error: enumError(str, s.enum) };
  if (s.pattern && !new RegExp(`^${s.pattern}$`).test(str)) return { error: 'value does not match the regex pattern' };
  if (s.format && typeof s.format === 'object') {
    const err = checkPropertyString(s.format, str);
    if (err) return { error: `invalid format - format error\n${err}` };
  } else if (typeof s.format === 'string') {
    const err = checkFormat(s.format, str);
    if (err) return { error: `invalid format - ${err}` };
  }
  return str;
}

const enumError = (v: string, e: string[]) => `value '${v}' does not have a value in the enumeration '${e.join(', ')}'`;

/** Parses `k=v,k2=v2` property strings (disks, net, agent, memory); returns an error text or undefined. */
export function checkPropertyString(fmt: Record<string, PropSchema>, str: string): string | undefined {
  const parsed = parsePropertyString(fmt, str);
  if (typeof parsed === 'string') return parsed;
  const lines: string[] = [];
  for (const [k, v] of Object.entries(parsed)) {
    const s = fmt[k];
    if (!s || s.alias) {
      lines.push(`${k}: ${UNKNOWN}`);
      continue;
    }
    const r = checkValue(s, v);
    if (typeof r === 'object') lines.push(`${k}: ${r.error}`);
  }
  for (const [k, s] of Object.entries(fmt)) {
    if (!s.alias && !s.keyAlias && !s.optional && !(k in parsed)) lines.push(`${k}: ${MISSING}`);
  }
  return lines.length ? lines.join('\n') : undefined;
}

export function parsePropertyString(fmt: Record<string, PropSchema>, str: string): Record<string, string> | string {
  const res: Record<string, string> = {};
  const defaultKey = Object.keys(fmt).find((k) => fmt[k].default_key);
  for (const part of str.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let k: string;
    let v: string;
    if (eq < 0) {
      if (!defaultKey) return `value without key, but schema does not define a default key`;
      if (defaultKey in res) return `duplicate key in comma-separated list property: ${defaultKey}`;
      k = defaultKey;
      v = part;
    } else {
      k = part.slice(0, eq);
      v = part.slice(eq + 1);
    }
    const s = fmt[k];
    if (s?.alias && s.keyAlias) {
      // `virtio=MAC` means model=virtio, macaddr=MAC.
      res[s.keyAlias] = k;
      k = s.alias;
    } else if (s?.alias) {
      k = s.alias;
    }
    if (k in res) return `duplicate key in comma-separated list property: ${k}`;
    res[k] = v;
  }
  return res;
}

const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const ipv6 = /^[0-9a-fA-F:]+(:\d+\.\d+\.\d+\.\d+)?$/;
const dnsLabel = '[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?';
const STORAGE_CONTENT = ['images', 'rootdir', 'vztmpl', 'iso', 'backup', 'snippets', 'import'];

/** The string formats the implemented methods use; others pass unchecked (documented gap). */
function checkFormat(fmt: string, v: string): string | undefined {
  switch (fmt) {
    case 'pve-node':
      return /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(v) ? undefined : `value does not look like a valid node name`;
    case 'pve-storage-id':
      return /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(v) ? undefined : `storage ID '${v}' contains illegal characters`;
    case 'dns-name':
      return new RegExp(`^(${dnsLabel}\\.)*${dnsLabel}$`).test(v) ? undefined : `value does not look like a valid DNS name`;
    case 'pve-configid':
      return /^[a-z][a-z0-9_-]+$/i.test(v) ? undefined : `invalid configuration ID '${v}'`;
    case 'pve-configid-list':
      for (const id of v.split(/[,;\s]+/).filter(Boolean)) {
        if (!/^[a-z][a-z0-9_-]+$/i.test(id)) return `invalid configuration ID '${id}'`;
      }
      return undefined;
    case 'pve-poolid':
      return /^[A-Za-z0-9_][A-Za-z0-9_\-/]*$/.test(v) ? undefined : `invalid pool ID '${v}'`;
    case 'pve-tag-list':
      for (const t of v.split(/[;, ]+/).filter(Boolean)) {
        if (!/^[a-z0-9_][a-z0-9_\-+.]*$/i.test(t)) return `invalid tag '${t}'`;
      }
      return undefined;
    case 'mac-addr':
      return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(v) ? undefined : `value does not look like a valid MAC address`;
    case 'urlencoded':
      // sshkeys must be percent-encoded with %20, never '+' or raw spaces.
      return /^[-%a-zA-Z0-9_.!~*'()]*$/.test(v) ? undefined : `invalid urlencoded string: ${v}`;
    case 'pve-storage-content':
      return STORAGE_CONTENT.includes(v) ? undefined : `invalid content type '${v}'`;
    case 'pve-storage-content-list':
      for (const c of v.split(/[,;\s]+/).filter(Boolean)) if (!STORAGE_CONTENT.includes(c)) return `invalid content type '${c}'`;
      return undefined;
    case 'pve-qm-ipconfig':
      return checkIpconfig(v);
    default:
      return undefined;
  }
}

function checkIpconfig(v: string): string | undefined {
  for (const part of v.split(',')) {
    const [k, val = ''] = part.split('=', 2);
    if (k === 'ip') {
      if (val !== 'dhcp' && !(/^(.+)\/(\d+)$/.test(val) && ipv4.test(val.split('/')[0]) && Number(val.split('/')[1]) <= 32)) {
        return `format error\nip: invalid format - value does not look like a valid IPv4 network configuration`;
      }
    } else if (k === 'gw') {
      if (!ipv4.test(val)) return `format error\ngw: invalid format - value does not look like a valid IPv4 address`;
    } else if (k === 'ip6') {
      if (!['dhcp', 'auto'].includes(val) && !(/^(.+)\/(\d+)$/.test(val) && ipv6.test(val.split('/')[0]))) {
        return `format error\nip6: invalid format - value does not look like a valid IPv6 network configuration`;
      }
    } else if (k === 'gw6') {
      if (!ipv6.test(val)) return `format error\ngw6: invalid format - value does not look like a valid IPv6 address`;
    } else {
      return `format error\n${k}: ${UNKNOWN}`;
    }
  }
  return undefined;
}
