// The cloud-init wizard's answers as typed (commands/proxmox/cloud-init.ts) and the edit they make:
// only what differs from the VM's current settings is sent. Plain data, unit-tested.
import type { IpConfig } from './cloud-init';
import type { CloudInitEdit } from './cloud-init-edit';

export interface CloudInitCurrent { user: string; sshKeys: string[]; ipconfig0: string; nameserver: string; searchdomain: string }
export interface CloudInitForm {
  user: string;
  keys: string;
  net: 'keep' | 'dhcp' | 'static';
  cidr: string;
  gateway: string;
  nameserver: string;
  searchdomain: string;
}

/** `ip=10.0.0.5/24,gw=10.0.0.1` -> its parts (the wizard's starting values). */
export function parseIpconfig(v: string): { ip?: string; gw?: string } {
  const out: { ip?: string; gw?: string } = {};
  for (const part of v.split(',')) {
    const [k, val] = part.split('=');
    if (k === 'ip') out.ip = val;
    if (k === 'gw') out.gw = val;
  }
  return out;
}

/** SSH keys as typed in one line: separated by ";" (a key line holds spaces but never ";" outside its comment). */
export const splitKeys = (v: string) => v.split(';').map((k) => k.trim()).filter(Boolean);

/** Only what differs from the VM's current settings. */
export function editOf(s: CloudInitForm, c: CloudInitCurrent): CloudInitEdit {
  const e: CloudInitEdit = {};
  if (s.user.trim() !== c.user) e.user = s.user.trim();
  const keys = splitKeys(s.keys);
  if (keys.join('\n') !== c.sshKeys.join('\n')) e.sshKeys = keys;
  if (s.net === 'dhcp' && c.ipconfig0 !== 'ip=dhcp') e.ipconfig0 = { kind: 'dhcp' };
  if (s.net === 'static') {
    const ip: IpConfig = { kind: 'static', cidr: s.cidr.trim(), gateway: s.gateway.trim() || undefined };
    const now = parseIpconfig(c.ipconfig0);
    if (now.ip !== ip.cidr || (now.gw ?? '') !== (ip.gateway ?? '')) e.ipconfig0 = ip;
  }
  const ns = s.nameserver.trim().split(/[\s,;]+/).filter(Boolean).join(' ');
  if (ns !== c.nameserver) e.nameserver = ns;
  const sd = s.searchdomain.trim().split(/[\s,;]+/).filter(Boolean).join(' ');
  if (sd !== c.searchdomain) e.searchdomain = sd;
  return e;
}
