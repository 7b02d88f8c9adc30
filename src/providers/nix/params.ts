// The pipeline's parameters (from the homelab.nix.* settings) and the homelab-params.nix they
// render to. Every value is validated before it can reach a .nix file: a bad setting names itself.
import { NixError } from './errors';

export interface NixParams {
  hostName: string;
  /** Disk the installer wipes, e.g. /dev/sda (scsi0 on virtio-scsi). */
  diskDevice: string;
  swapSizeGiB: number;
  timezone: string;
  /** NFS server and export; the mount is off when either is empty. */
  nfsServer: string;
  nfsExport: string;
  nfsMountPoint: string;
  /** nixpkgs attribute names, e.g. "htop" or "python3Packages.requests". */
  extraPackages: string[];
  /** authorized_keys lines for the admin user and root. */
  sshKeys: string[];
  adminUser: string;
  stateVersion: string;
}

export const DEFAULT_PARAMS: NixParams = {
  hostName: 'nixos-template',
  diskDevice: '/dev/sda',
  swapSizeGiB: 2,
  timezone: 'UTC',
  nfsServer: '',
  nfsExport: '',
  nfsMountPoint: '/mnt/nfs',
  extraPackages: [],
  sshKeys: [],
  adminUser: 'admin',
  stateVersion: '25.05',
};

const HOST_RE = /^(?=.{1,63}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i;
const DNS_OR_IP_RE = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$|^\[?[0-9a-f:]+\]?$/i;
const SSH_KEY_RE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/;

function bad(field: string, message: string): NixError {
  return new NixError('invalid-params', `Setting homelab.nix.${field}: ${message}`, { field });
}

/** Merges settings over the defaults and validates every field; throws NixError('invalid-params'). */
export function resolveParams(settings: Partial<NixParams>): NixParams {
  const p: NixParams = { ...DEFAULT_PARAMS };
  for (const [k, v] of Object.entries(settings)) if (v !== undefined && v !== null && k in p) (p as unknown as Record<string, unknown>)[k] = v;
  const str = (k: keyof NixParams) => {
    const v = p[k];
    if (typeof v !== 'string') throw bad(k, `must be text, not ${typeof v}`);
    return v.trim();
  };
  p.hostName = str('hostName');
  if (!HOST_RE.test(p.hostName)) throw bad('hostName', `"${p.hostName}" is not a host name (letters, digits and "-", at most 63)`);
  p.diskDevice = str('diskDevice');
  if (!/^\/dev\/[A-Za-z0-9._/-]+$/.test(p.diskDevice) || p.diskDevice.includes('..')) {
    throw bad('diskDevice', `"${p.diskDevice}" is not a device path such as /dev/sda or /dev/vda`);
  }
  if (!Number.isInteger(p.swapSizeGiB) || p.swapSizeGiB < 1 || p.swapSizeGiB > 256) {
    throw bad('swapSizeGiB', `${JSON.stringify(p.swapSizeGiB)} must be a whole number of GiB between 1 and 256`);
  }
  p.timezone = str('timezone');
  if (!/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(p.timezone)) throw bad('timezone', `"${p.timezone}" is not a time zone such as Europe/Berlin or UTC`);
  p.nfsServer = str('nfsServer');
  p.nfsExport = str('nfsExport');
  p.nfsMountPoint = str('nfsMountPoint');
  if (p.nfsServer && !DNS_OR_IP_RE.test(p.nfsServer)) throw bad('nfsServer', `"${p.nfsServer}" is not a host name or IP address`);
  if (p.nfsExport && !/^\/[^\s"\\$`]*$/.test(p.nfsExport)) throw bad('nfsExport', `"${p.nfsExport}" must be an absolute path such as /volume1/k8s`);
  if (!!p.nfsServer !== !!p.nfsExport) {
    throw bad(p.nfsServer ? 'nfsExport' : 'nfsServer', 'NFS needs both the server and the export (leave both empty to turn the mount off)');
  }
  if (!/^\/[A-Za-z0-9._/-]+$/.test(p.nfsMountPoint)) throw bad('nfsMountPoint', `"${p.nfsMountPoint}" must be an absolute path`);
  if (!Array.isArray(p.extraPackages)) throw bad('extraPackages', 'must be a list of package names');
  p.extraPackages = p.extraPackages.map((x) => String(x).trim()).filter(Boolean);
  for (const name of p.extraPackages) {
    if (!/^[A-Za-z_][A-Za-z0-9_+-]*(\.[A-Za-z_][A-Za-z0-9_+-]*)*$/.test(name)) throw bad('extraPackages', `"${name}" is not a nixpkgs attribute name`);
  }
  if (!Array.isArray(p.sshKeys)) throw bad('sshKeys', 'must be a list of public key lines');
  p.sshKeys = p.sshKeys.map((x) => String(x).trim()).filter(Boolean);
  for (const key of p.sshKeys) {
    if (!SSH_KEY_RE.test(key)) throw bad('sshKeys', `"${key.slice(0, 40)}..." is not a public key line (ssh-ed25519 AAAA... comment); private keys never belong here`);
  }
  p.adminUser = str('adminUser');
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(p.adminUser) || p.adminUser === 'root') throw bad('adminUser', `"${p.adminUser}" is not a valid user name (and not root)`);
  p.stateVersion = str('stateVersion');
  if (!/^\d{2}\.\d{2}$/.test(p.stateVersion)) throw bad('stateVersion', `"${p.stateVersion}" is not a NixOS release such as 25.05`);
  return p;
}

/** A Nix string literal: `"`, `\` and `${` escaped (so no value can inject Nix code). */
export function nixString(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '\\${').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') + '"';
}

/** homelab-params.nix for these (validated) parameters. */
export function renderParamsNix(params: NixParams): string {
  const p = resolveParams(params);
  const list = (xs: string[]) => (xs.length ? `[\n${xs.map((x) => `    ${nixString(x)}\n`).join('')}  ]` : '[ ]');
  return [
    '# Rendered by Homelab from the homelab.nix.* settings. Eject the NixOS files to edit it yourself.',
    '{',
    `  hostName = ${nixString(p.hostName)};`,
    `  diskDevice = ${nixString(p.diskDevice)};`,
    `  swapSizeGiB = ${p.swapSizeGiB};`,
    `  timezone = ${nixString(p.timezone)};`,
    `  nfsServer = ${nixString(p.nfsServer)};`,
    `  nfsExport = ${nixString(p.nfsExport)};`,
    `  nfsMountPoint = ${nixString(p.nfsMountPoint)};`,
    `  extraPackages = ${list(p.extraPackages)};`,
    `  sshKeys = ${list(p.sshKeys)};`,
    `  adminUser = ${nixString(p.adminUser)};`,
    `  stateVersion = ${nixString(p.stateVersion)};`,
    '}',
    '',
  ].join('\n');
}

/** The same parameters as JSON (for the pipeline state file and logs). */
export function renderParamsJson(params: NixParams): string {
  return JSON.stringify(resolveParams(params), null, 2) + '\n';
}
