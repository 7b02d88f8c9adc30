// The cluster's state: nodes, storages, volumes, guests. Generated from a seed so runs repeat.
import { createHash } from 'node:crypto';
import { FileLock } from './locks';
import { Prng } from './prng';
import type { LabContainer } from './lab';
import type { Task } from './tasks';

export type ConfValue = string | number;
export type GuestConfig = Record<string, ConfValue>;

export interface NodeState {
  node: string;
  online: boolean;
  maxcpu: number;
  maxmem: number;
  mem: number;
  cpu: number;
  bootedAt: number;
}

export interface StorageDef {
  storage: string;
  type: 'dir' | 'lvmthin' | 'nfs';
  content: string[];
  shared: boolean;
  total: number;
}

export interface Volume {
  volid: string;
  storage: string;
  /** Node for local storages; undefined on shared ones. */
  node?: string;
  content: 'iso' | 'vztmpl' | 'images' | 'import';
  format: string;
  size: number;
  ctime: number;
  /** Uploaded files live on disk in the simulator's temp dir. */
  file?: string;
}

export interface Guest {
  vmid: number;
  node: string;
  conf: GuestConfig;
  status: 'running' | 'stopped';
  startedAt: number;
  agentUpAt: number;
  pool?: string;
  /** Test knob: the guest OS ignores ACPI shutdown, so `shutdown` runs into its timeout. */
  ignoreShutdown: boolean;
  flock: FileLock;
  cpuLoad: number;
  memFraction: number;
}

export const STORAGES: StorageDef[] = [
  { storage: 'local', type: 'dir', content: ['iso', 'vztmpl'], shared: false, total: 100 * 2 ** 30 },
  { storage: 'local-lvm', type: 'lvmthin', content: ['images'], shared: false, total: 400 * 2 ** 30 },
  { storage: 'nfs', type: 'nfs', content: ['images', 'iso'], shared: true, total: 2 * 2 ** 40 },
];

const ADJ = ['amber', 'brisk', 'calm', 'dusty', 'eager', 'frosty', 'gentle', 'hollow', 'icy', 'jolly', 'keen', 'lucky', 'misty', 'noble', 'olive', 'proud', 'quiet', 'rapid', 'silent', 'tidy'];
const NOUN = ['otter', 'falcon', 'maple', 'harbor', 'comet', 'willow', 'badger', 'cedar', 'lynx', 'pebble', 'raven', 'summit', 'tundra', 'violet', 'walrus', 'yarrow'];
const TAGS = ['prod', 'lab', 'k8s', 'nixos', 'db', 'web', 'backup', 'dev'];
export const POOLS = ['prod', 'lab'];

export class ClusterState {
  readonly nodes = new Map<string, NodeState>();
  readonly storages = STORAGES;
  readonly guests = new Map<number, Guest>();
  readonly volumes: Volume[] = [];
  readonly tasks: Task[] = [];
  readonly pools = new Set(POOLS);
  /** LXC containers, listed in /cluster/resources only (see lab.ts); empty unless `lab`. */
  readonly containers: LabContainer[] = [];
  /** Bumped on every guest/node change; invalidates the pre-serialized /cluster/resources. */
  version = 0;

  constructor(
    readonly rng: Prng,
    nodeCount: number,
    guestCount: number,
  ) {
    const now = Date.now();
    for (let i = 1; i <= nodeCount; i++) {
      const maxmem = 64 * 2 ** 30;
      this.nodes.set(`pve${i}`, {
        node: `pve${i}`, online: true, maxcpu: 16, maxmem,
        mem: Math.floor(maxmem * (0.2 + 0.5 * rng.next())), cpu: Math.round(rng.next() * 300) / 1000,
        bootedAt: now - rng.int(3600, 90 * 86400) * 1000,
      });
    }
    for (const n of this.nodes.keys()) {
      this.volumes.push({ volid: 'local:iso/debian-12.7.0-amd64-netinst.iso', storage: 'local', node: n, content: 'iso', format: 'iso', size: 661651456, ctime: Math.floor(now / 1000) - 86400 * 30 });
      this.volumes.push({ volid: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst', storage: 'local', node: n, content: 'vztmpl', format: 'tzst', size: 126000000, ctime: Math.floor(now / 1000) - 86400 * 40 });
    }
    this.volumes.push({ volid: 'nfs:iso/nixos-minimal-24.11-x86_64-linux.iso', storage: 'nfs', content: 'iso', format: 'iso', size: 1138753536, ctime: Math.floor(now / 1000) - 86400 * 10 });
    this.generateGuests(guestCount);
  }

  private generateGuests(count: number): void {
    const nodes = [...this.nodes.keys()];
    // About one guest in ten is a template (vmid 9000+); the first template sits on shared storage.
    // At most 50 templates, so large clusters are mostly guests; guest ids skip the template range.
    const templates = count >= 2 ? Math.max(1, Math.min(50, Math.floor(count / 10))) : 0;
    let nextGuestId = 100;
    for (let i = 0; i < count; i++) {
      const isTpl = i < templates;
      if (!isTpl) while (nextGuestId >= 9000 && nextGuestId < 9000 + templates) nextGuestId++;
      const vmid = isTpl ? 9000 + i : nextGuestId++;
      const storage = isTpl ? (i === 0 ? 'nfs' : 'local-lvm') : this.rng.next() < 0.8 ? 'local-lvm' : 'nfs';
      const name = isTpl ? `tpl-${this.rng.pick(['nixos', 'debian', 'ubuntu'])}-${i}` : `${this.rng.pick(ADJ)}-${this.rng.pick(NOUN)}-${vmid}`;
      const diskGb = this.rng.pick([8, 16, 32, 64]);
      const conf: GuestConfig = {
        name,
        memory: String(this.rng.pick([1024, 2048, 4096, 8192])),
        cores: this.rng.pick([1, 2, 4]),
        sockets: 1,
        cpu: 'x86-64-v2-AES',
        ostype: 'l26',
        scsihw: 'virtio-scsi-single',
        boot: 'order=scsi0;ide2;net0',
        agent: '1',
        net0: `virtio=${this.mac()},bridge=vmbr0,firewall=1`,
        scsi0: `${storage}:${isTpl ? 'base' : 'vm'}-${vmid}-disk-0,iothread=1,size=${diskGb}G`,
        ide2: isTpl ? `${storage}:vm-${vmid}-cloudinit,media=cdrom` : 'none,media=cdrom',
        ciuser: 'admin',
        // Stored URL-encoded (%20, never '+'), exactly as PVE keeps it in the config.
        sshkeys: encodeURIComponent(`ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${this.uuid().replace(/-/g, '')} admin@homelab\n`),
        ipconfig0: 'ip=dhcp',
        smbios1: `uuid=${this.uuid()}`,
        vmgenid: this.uuid(),
      };
      const tags = this.rng.next() < 0.6 ? [this.rng.pick(TAGS), this.rng.pick(TAGS)] : [];
      if (tags.length) conf.tags = [...new Set(tags)].sort().join(';');
      if (isTpl) conf.template = 1;
      const running = !isTpl && this.rng.next() < 0.6;
      const g = this.addGuest(vmid, nodes[i % nodes.length], conf);
      if (running) {
        g.status = 'running';
        g.startedAt = Date.now() - this.rng.int(60, 30 * 86400) * 1000;
        g.agentUpAt = 0;
      }
      if (this.rng.next() < 0.2) g.pool = this.rng.pick(POOLS);
    }
  }

  addGuest(vmid: number, node: string, conf: GuestConfig): Guest {
    const g: Guest = {
      vmid, node, conf, status: 'stopped', startedAt: 0, agentUpAt: 0, ignoreShutdown: false,
      flock: new FileLock(vmid), cpuLoad: Math.round(this.rng.next() * 500) / 1000, memFraction: 0.3 + 0.6 * this.rng.next(),
    };
    this.guests.set(vmid, g);
    this.touch();
    return g;
  }

  removeGuest(vmid: number): void {
    this.guests.delete(vmid);
    this.touch();
  }

  touch(): void {
    this.version++;
  }

  mac(): string {
    const b = [0xbc, 0x24, 0x11, this.rng.int(0, 255), this.rng.int(0, 255), this.rng.int(0, 255)];
    return b.map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join(':');
  }

  uuid(): string {
    const h = Array.from({ length: 32 }, () => this.rng.int(0, 15).toString(16)).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }

  storage(id: string): StorageDef | undefined {
    return this.storages.find((s) => s.storage === id);
  }

  /** Lowest free vmid >= 100, as `/cluster/nextid` (it does not reserve it). */
  nextId(): number {
    let id = 100;
    while (this.guests.has(id) || this.containers.some((c) => c.vmid === id)) id++;
    return id;
  }

  /** Volumes visible on `node` in `storage` (shared storages show the same list everywhere). */
  volumesOn(node: string, storage: string): Volume[] {
    const def = this.storage(storage);
    return this.volumes.filter((v) => v.storage === storage && (def?.shared || v.node === node));
  }
}

/** Disk-like config keys and their volume (the part before the first comma). */
export function diskEntries(conf: GuestConfig): Array<{ key: string; volid: string; cdrom: boolean; size: number }> {
  const out: Array<{ key: string; volid: string; cdrom: boolean; size: number }> = [];
  for (const [key, val] of Object.entries(conf)) {
    if (!/^(ide|scsi|sata|virtio|efidisk|tpmstate|unused)\d+$/.test(key)) continue;
    const s = String(val);
    const volid = s.split(',')[0].replace(/^file=/, '');
    if (volid === 'none' || volid === 'cdrom' || !volid.includes(':')) continue;
    const cdrom = /(^|,)media=cdrom(,|$)/.test(s) && !volid.includes('cloudinit');
    out.push({ key, volid, cdrom, size: parseSize(/(?:^|,)size=([^,]+)/.exec(s)?.[1]) });
  }
  return out;
}

export function parseSize(s: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(s ?? '');
  if (!m) return s === undefined ? 4 * 2 ** 20 : 0;
  const mult: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
  return Math.round(Number(m[1]) * mult[m[2]]);
}

/** PVE's `digest`: SHA-1 of the config file's text. */
export function configDigest(conf: GuestConfig): string {
  const text = Object.entries(conf).map(([k, v]) => `${k}: ${v}\n`).join('');
  return createHash('sha1').update(text).digest('hex');
}

export function memoryMiB(conf: GuestConfig): number {
  const m = /(?:^|current=)(\d+)/.exec(String(conf.memory ?? '512'));
  return m ? Number(m[1]) : 512;
}

export function agentEnabled(conf: GuestConfig): boolean {
  const a = String(conf.agent ?? '0');
  return /^(1|enabled=1)(,|$)/.test(a);
}
