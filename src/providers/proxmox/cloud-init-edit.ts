// Cloud-init settings of an existing VM (after the clone): user, password, SSH keys, IP
// configuration, DNS. Written with PUT .../config (digest-checked), then PUT .../cloudinit
// regenerates the drive; the guest sees the change at its next boot (offer a reboot).
import { InvalidInputError } from './errors';
import { classifyGuestError } from './guest-errors';
import { guestPath, type GuestApi, type GuestRef } from './guests';
import { decodeSshKeys, encodeSshKeys, ipconfigValue, isIpv4, type IpConfig } from './cloud-init';
import type { Params } from './transport';

export interface CloudInitEdit {
  /** `ciuser`; '' removes it (the image's default user). */
  user?: string;
  /** `cipassword`: sent once, never read back (PVE returns it hashed/masked). */
  password?: string;
  /** authorized_keys lines; [] removes them. */
  sshKeys?: readonly string[];
  /** `ipconfig0`. */
  ipconfig0?: IpConfig;
  /** `nameserver`: space-separated addresses; '' removes it (the host's is used). */
  nameserver?: string;
  /** `searchdomain`; '' removes it. */
  searchdomain?: string;
}

const DNS_NAME = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i;

/** The PUT parameters (and `delete` list) of an edit; throws InvalidInputError on bad input. */
export function cloudInitParams(e: CloudInitEdit): Params {
  const p: Params = {};
  const del: string[] = [];
  if (e.user !== undefined) {
    const u = e.user.trim();
    if (u && !/^[a-z_][a-z0-9_-]*\$?$/i.test(u)) throw new InvalidInputError('user', `"${u}" is not a valid Linux user name: letters, digits, "_" and "-", starting with a letter.`);
    if (u) p.ciuser = u;
    else del.push('ciuser');
  }
  if (e.password !== undefined) {
    if (e.password) p.cipassword = e.password;
    else del.push('cipassword');
  }
  if (e.sshKeys !== undefined) {
    const keys = e.sshKeys.map((k) => k.trim()).filter(Boolean);
    for (const k of keys) {
      if (!/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\s+[A-Za-z0-9+/=]+(\s.*)?$/.test(k)) {
        throw new InvalidInputError('sshKeys', `"${k.slice(0, 30)}…" is not an SSH public key line (e.g. "ssh-ed25519 AAAA… you@host").`);
      }
    }
    if (keys.length) p.sshkeys = encodeSshKeys(keys);
    else del.push('sshkeys');
  }
  if (e.ipconfig0 !== undefined) {
    try {
      p.ipconfig0 = ipconfigValue(e.ipconfig0);
    } catch (err) {
      throw new InvalidInputError('ipconfig0', (err as Error).message);
    }
  }
  if (e.nameserver !== undefined) {
    const ns = e.nameserver.trim().split(/[\s,;]+/).filter(Boolean);
    const bad = ns.find((a) => !isIpv4(a) && !/^[0-9a-f:]+$/i.test(a));
    if (bad) throw new InvalidInputError('nameserver', `"${bad}" is not an IP address: name servers are given by address.`);
    if (ns.length) p.nameserver = ns.join(' ');
    else del.push('nameserver');
  }
  if (e.searchdomain !== undefined) {
    const ds = e.searchdomain.trim().split(/[\s,;]+/).filter(Boolean);
    const bad = ds.find((d) => !DNS_NAME.test(d));
    if (bad) throw new InvalidInputError('searchdomain', `"${bad}" is not a DNS domain name.`);
    if (ds.length) p.searchdomain = ds.join(' ');
    else del.push('searchdomain');
  }
  if (del.length) p.delete = del.join(',');
  if (!Object.keys(p).length) throw new InvalidInputError('cloudinit', 'Nothing to change.');
  return p;
}

/** What a VM's config says about cloud-init (sshkeys decoded). */
export function readCloudInit(conf: Record<string, unknown>): { user?: string; sshKeys: string[]; ipconfig0?: string; nameserver?: string; searchdomain?: string; hasDrive: boolean } {
  const s = (k: string) => (typeof conf[k] === 'string' ? (conf[k] as string) : undefined);
  return {
    user: s('ciuser'), sshKeys: s('sshkeys') ? decodeSshKeys(s('sshkeys')!) : [], ipconfig0: s('ipconfig0'),
    nameserver: s('nameserver'), searchdomain: s('searchdomain'),
    hasDrive: Object.entries(conf).some(([k, v]) => /^(ide|scsi|sata|virtio)\d+$/.test(k) && /cloudinit/.test(String(v))),
  };
}

/** Writes the edit (refused if the config changed since `digest`), then regenerates the drive. */
export async function applyCloudInit(api: GuestApi, g: GuestRef, edit: CloudInitEdit, digest?: string): Promise<void> {
  if (g.type !== 'qemu') throw new InvalidInputError('type', `Container ${g.vmid} has no cloud-init: containers are configured by Proxmox directly.`);
  const params = cloudInitParams(edit);
  if (digest) params.digest = digest;
  try {
    await api.put(guestPath(g, 'config'), params);
    await regenerateCloudInit(api, g);
  } catch (e) {
    throw classifyGuestError(e, g, 'the cloud-init settings');
  }
}

/** PUT .../cloudinit: rebuilds the cloud-init drive from the config (500 "no cloudinit drive found" without one). */
export function regenerateCloudInit(api: GuestApi, g: GuestRef): Promise<null> {
  return api.put<null>(guestPath(g, 'cloudinit'));
}
