// Guest config editing shared by create, PUT/POST config and clone: disk allocation, MAC
// generation and the per-key privileges of qemu-server's check_vm_modify_config_perm.
import { checkPerm, hasPriv, type Principal } from './auth';
import type { SimCore } from './core';
import { ApiError } from './http';
import type { GuestConfig } from './state';
import type { Clean } from './validate';

const CLOUDINIT = /^(ciuser|cipassword|sshkeys|ipconfig\d+|nameserver|searchdomain|cicustom|citype|ciupgrade)$/;
const DISK = /^(ide|scsi|sata|virtio|efidisk|tpmstate|unused)\d+$/;
/** Parameters of the config/create methods that are not config keys. */
export const NON_CONFIG = new Set(['node', 'vmid', 'digest', 'delete', 'revert', 'skiplock', 'force', 'start', 'background_delay', 'pool', 'storage', 'unique', 'archive', 'live-restore', 'bwlimit', 'ha-managed', 'import-working-storage']);

export function privForKey(key: string, value?: string | number): string {
  if (CLOUDINIT.test(key)) return 'VM.Config.Cloudinit';
  if (DISK.test(key)) return /media=cdrom/.test(String(value ?? '')) ? 'VM.Config.CDROM' : 'VM.Config.Disk';
  if (/^(memory|balloon|shares)$/.test(key)) return 'VM.Config.Memory';
  if (/^(cores|sockets|cpu|vcpus|cpulimit|cpuunits|numa\d*|affinity)$/.test(key)) return 'VM.Config.CPU';
  if (/^net\d+$/.test(key)) return 'VM.Config.Network';
  if (/^(vga|machine|bios|scsihw|usb\d+|hostpci\d+|serial\d+|parallel\d+|audio0|rng0|tablet|kvm|acpi|arch)$/.test(key)) return 'VM.Config.HWType';
  return 'VM.Config.Options';
}

/** 403 for the first key the principal may not change (path /vms/{vmid}). */
export function checkConfigPerm(who: Principal, vmid: string, params: Record<string, unknown>): void {
  const keys = Object.keys(params).filter((k) => !NON_CONFIG.has(k));
  const deleted = String(params.delete ?? '').split(/[,;\s]+/).filter(Boolean);
  for (const k of [...keys, ...deleted]) {
    const priv = privForKey(k, params[k] as string);
    if (!hasPriv(who, priv)) checkPerm(who, `/vms/${vmid}`, [priv]);
  }
}

/** Turns `local-lvm:20` into an allocated volume and fills in a MAC for `net0=virtio,...`. */
export function allocate(core: SimCore, vmid: number, key: string, value: string | number, conf: GuestConfig): string | number {
  if (/^net\d+$/.test(key)) {
    const v = String(value);
    const first = v.split(',')[0];
    if (!first.includes('=') || /^model=/.test(first)) {
      const model = first.replace(/^model=/, '');
      const rest = v.split(',').slice(1).filter((x) => !x.startsWith('macaddr='));
      const mac = /macaddr=([^,]+)/.exec(v)?.[1] ?? core.state.mac();
      return [`${model}=${mac}`, ...rest].join(',');
    }
    return v;
  }
  if (!DISK.test(key)) return value;
  const v = String(value);
  const [file, ...opts] = v.split(',');
  const vol = file.replace(/^file=/, '');
  const m = /^([a-z][a-z0-9\-_.]*[a-z0-9]):(\d+(?:\.\d+)?|cloudinit)$/i.exec(vol);
  if (!m) return v;
  const storage = m[1];
  const def = core.state.storage(storage);
  if (!def) throw new ApiError(500, `storage '${storage}' does not exist`);
  if (!def.content.includes('images')) throw new ApiError(500, `storage '${storage}' does not support content-type 'images'`);
  if (m[2] === 'cloudinit') return `${storage}:vm-${vmid}-cloudinit,media=cdrom`;
  const used = new Set(Object.values(conf).map(String).join(',').match(/disk-\d+/g) ?? []);
  let n = 0;
  while (used.has(`disk-${n}`)) n++;
  const size = `${m[2]}G`;
  return [`${storage}:vm-${vmid}-disk-${n}`, ...opts.filter((o) => !o.startsWith('size=')), `size=${size}`].join(',');
}

/** Applies validated parameters (and `delete`) to a config, allocating what needs allocating. */
export function applyConfig(core: SimCore, vmid: number, conf: GuestConfig, p: Clean): void {
  for (const k of String(p.delete ?? '').split(/[,;\s]+/).filter(Boolean)) delete conf[k];
  for (const [k, v] of Object.entries(p)) {
    if (NON_CONFIG.has(k)) continue;
    conf[k] = allocate(core, vmid, k, v, conf);
  }
}
