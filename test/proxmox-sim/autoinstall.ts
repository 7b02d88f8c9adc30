// The auto-installing guest. An ISO whose ISO 9660 volume id is HOMELAB_NIXOS_AUTOINSTALL (what
// resources/nix/installer.nix sets) is marked at upload as an auto-installer. A VM that boots from
// such an ISO (its disk not installed yet, or the cdrom first in the boot order) "installs": it
// writes the installer's lines to its serial log for `installDurationMs`, then powers off with its
// disk marked installed. If the ISO's target disk (from the HOMELAB-PARAMS block the stand-in nix
// writes) is not in the VM, it logs the error and keeps running, like the real installer.
// Any other ISO keeps running. State lives in WeakMaps so state.ts stays as it is.
import { open } from 'node:fs/promises';
import type { SimCore } from './core';
import { diskEntries, type Guest, type Volume } from './state';

export const AUTOINSTALL_VOLUME_ID = 'HOMELAB_NIXOS_AUTOINSTALL';

export interface IsoInfo {
  volumeId: string;
  autoInstaller: boolean;
  /** Disk the installer targets (from HOMELAB-PARAMS), default /dev/sda. */
  diskDevice: string;
}

interface GuestInstall {
  serial: string[];
  diskInstalled: boolean;
  /** Bumped on every boot and stop, so a stale install timer does nothing. */
  generation: number;
  timers: NodeJS.Timeout[];
}

const isoInfo = new WeakMap<Volume, IsoInfo>();
const guestInfo = new WeakMap<Guest, GuestInstall>();

function infoOf(g: Guest): GuestInstall {
  let i = guestInfo.get(g);
  if (!i) guestInfo.set(g, (i = { serial: [], diskInstalled: false, generation: 0, timers: [] }));
  return i;
}

/** Serial console output of a guest since it was created (what `qm terminal` would have shown). */
export function guestSerial(g: Guest): readonly string[] {
  return infoOf(g).serial;
}

export function isDiskInstalled(g: Guest): boolean {
  return infoOf(g).diskInstalled;
}

export function isoInfoOf(v: Volume): IsoInfo | undefined {
  return isoInfo.get(v);
}

/** Reads the primary volume descriptor (sector 16) and an optional HOMELAB-PARAMS JSON line in the first 64 KiB. */
export async function inspectIso(file: string): Promise<IsoInfo | undefined> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead < 0x8028 + 32 || buf.toString('latin1', 0x8001, 0x8006) !== 'CD001') return undefined;
    const volumeId = buf.toString('latin1', 0x8028, 0x8028 + 32).trim();
    let diskDevice = '/dev/sda';
    const text = buf.toString('latin1', 0, bytesRead);
    const m = /HOMELAB-PARAMS (\{[^\n]*\})/.exec(text);
    if (m) {
      try {
        const p = JSON.parse(m[1]) as { diskDevice?: string };
        if (typeof p.diskDevice === 'string') diskDevice = p.diskDevice;
      } catch { /* not ours */ }
    }
    return { volumeId, autoInstaller: volumeId.startsWith(AUTOINSTALL_VOLUME_ID), diskDevice };
  } finally {
    await fh.close();
  }
}

/** Hook from upload.ts: remember what the uploaded ISO is. */
export async function noteUploadedVolume(vol: Volume): Promise<void> {
  if (vol.content !== 'iso' || !vol.file) return;
  const info = await inspectIso(vol.file).catch(() => undefined);
  if (info) isoInfo.set(vol, info);
}

/** The config key a Linux device name maps to (/dev/sda -> scsi0, /dev/vdb -> virtio1, ...). */
export function diskKeyFor(device: string, conf: Guest['conf']): string | undefined {
  const m = /^\/dev\/(sd|vd|hd)([a-z])$/.exec(device);
  if (!m) return undefined;
  const idx = m[2].charCodeAt(0) - 97;
  // scsi and sata disks both show as sdX, in that order.
  const keys = diskEntries(conf).filter((d) => !d.cdrom && !d.volid.includes('cloudinit')).map((d) => d.key);
  const family = m[1] === 'vd' ? keys.filter((k) => k.startsWith('virtio')) : m[1] === 'hd' ? keys.filter((k) => k.startsWith('ide')) : keys.filter((k) => /^(scsi|sata)/.test(k));
  family.sort((a, b) => (a.startsWith('sata') === b.startsWith('sata') ? Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, '')) : a.startsWith('sata') ? 1 : -1));
  return family[idx];
}

function bootsFromCdrom(core: SimCore, g: Guest, installed: boolean): Volume | undefined {
  const order = /order=([^,]+)/.exec(String(g.conf.boot ?? ''))?.[1]?.split(';') ?? ['ide2', 'scsi0', 'net0'];
  for (const key of order) {
    const val = g.conf[key];
    if (val === undefined) continue;
    const s = String(val);
    const volid = s.split(',')[0];
    if (/media=cdrom/.test(s) && !volid.includes('cloudinit')) {
      if (volid === 'none' || volid === 'cdrom') continue;
      return core.state.volumesOn(g.node, volid.split(':')[0]).find((v) => v.volid === volid);
    }
    if (installed) return undefined; // an installed disk boots first
  }
  return undefined;
}

/** Hook from qemu.ts bootGuest. */
export function onGuestBoot(core: SimCore, g: Guest): void {
  const info = infoOf(g);
  const gen = ++info.generation;
  const iso = bootsFromCdrom(core, g, info.diskInstalled);
  const isoMeta = iso && isoInfo.get(iso);
  const serial = (l: string) => {
    if (info.generation === gen) info.serial.push(l);
  };
  if (!isoMeta?.autoInstaller) {
    serial(iso ? `Booting from ${iso.volid}` : info.diskInstalled ? 'Booting from hard disk...' : 'No bootable device.');
    if (!iso && info.diskInstalled) serial(`<<< Welcome to NixOS 25.05 (x86_64) - ttyS0 >>>`);
    return;
  }
  const total = core.opts.installDurationMs;
  const key = diskKeyFor(isoMeta.diskDevice, g.conf);
  const steps = key
    ? [
      `homelab-install: step 1/6: partitioning ${isoMeta.diskDevice}`,
      `homelab-install: step 2/6: LVM nixos-vg on ${isoMeta.diskDevice}1`,
      'homelab-install: step 3/6: filesystems',
      'homelab-install: step 4/6: hardware configuration',
      'homelab-install: step 5/6: installing /nix/store/...-nixos-system-nixos-template-25.05',
      'homelab-install: step 6/6: done, powering off',
    ]
    : [`homelab-install: disk ${isoMeta.diskDevice} does not exist in this VM; disks: ${diskEntries(g.conf).filter((d) => !d.cdrom).map((d) => d.key).join(' ') || 'none'}`,
      'homelab-install: FAILED at line 27 (exit 1)'];
  serial(`Booting from ${iso!.volid} (${isoMeta.volumeId})`);
  serial('<<< NixOS Stage 1 >>>');
  const at = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      if (info.generation === gen && g.status === 'running') fn();
    }, ms);
    t.unref?.();
    info.timers.push(t);
  };
  steps.forEach((line, i) => at(Math.floor((total * (i + 1)) / (steps.length + 1)), () => serial(line)));
  if (!key) return; // the live system stays up: the pipeline's timeout catches it
  at(total, () => {
    info.diskInstalled = true;
    serial('reboot: Power down');
    g.status = 'stopped';
    g.startedAt = 0;
    info.generation++;
    core.state.touch();
  });
}

/** Hook from qemu.ts stopGuest: a stopped VM's install is over. */
export function onGuestStop(g: Guest): void {
  const info = infoOf(g);
  info.generation++;
  for (const t of info.timers) clearTimeout(t);
  info.timers = [];
}
