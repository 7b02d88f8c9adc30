// Which actions PVE allows for which guest type and state, as data: the UI offers only these,
// so it never offers something PVE would refuse. Each rule cites the PVE refusal it avoids.
import type { GuestType } from './guests';

export type GuestAction =
  | 'start' | 'shutdown' | 'stop' | 'reboot' | 'suspend' | 'resume'
  | 'clone' | 'linkedClone' | 'migrate' | 'convertToTemplate' | 'delete'
  | 'snapshot' | 'snapshotWithRam' | 'rollback' | 'deleteSnapshot'
  | 'backup' | 'restoreOver'
  | 'xtermConsole' | 'vncConsole'
  | 'editNotes' | 'editTags' | 'editCloudInit' | 'regenerateCloudInit';

export type PowerState = 'running' | 'stopped' | 'paused';

/** What the rules look at; all of it is in `/cluster/resources` and the guest's config. */
export interface GuestFacts {
  type: GuestType;
  power: PowerState;
  template: boolean;
  /** The `lock:` value, e.g. backup; undefined when not locked. */
  lock?: string;
  /** From the config: a `serialN: socket` port (xterm.js needs one on a VM). */
  hasSerial?: boolean;
  /** From the config: a cloud-init drive. */
  hasCloudInit?: boolean;
  /** From the snapshot list: at least one snapshot besides `current`. */
  hasSnapshots?: boolean;
}

interface Rule {
  types: GuestType[];
  /** Power states in which PVE accepts it. */
  power: PowerState[];
  /** For containers, when it differs: PVE reports a container only as running or stopped (a frozen one reads running). */
  powerLxc?: PowerState[];
  /** 'never': refused for templates; 'only': only templates; 'any'. */
  template: 'never' | 'only' | 'any';
  /** Allowed while the guest carries a lock (PVE checks the lock for almost everything). */
  whenLocked?: boolean;
  needs?: 'serial' | 'cloudinit' | 'snapshots';
  /** Shown when refused: PVE's words or ours. */
  why: string;
}

const ALL: PowerState[] = ['running', 'stopped', 'paused'];
const BOTH: GuestType[] = ['qemu', 'lxc'];

export const GUEST_CAPABILITIES: Readonly<Record<GuestAction, Rule>> = {
  start: { types: BOTH, power: ['stopped'], template: 'never', why: "a template cannot be started (\"you can't start a vm if it's a template\"); a running guest already runs" },
  shutdown: { types: BOTH, power: ['running'], template: 'never', why: 'only a running guest can be shut down' },
  stop: { types: BOTH, power: ['running', 'paused'], template: 'never', why: 'only a running guest can be stopped' },
  reboot: { types: BOTH, power: ['running'], template: 'never', why: 'only a running guest can be rebooted ("not running")' },
  suspend: { types: BOTH, power: ['running'], template: 'never', why: 'only a running guest can be suspended' },
  // A suspended (frozen) container still reads "running" in every PVE API answer: resume is offered on
  // a running container (lxc-unfreeze of a container that is not frozen changes nothing).
  resume: { types: BOTH, power: ['paused'], powerLxc: ['running', 'paused'], template: 'never', why: 'only a suspended guest can be resumed' },
  clone: { types: BOTH, power: ALL, template: 'any', why: 'a locked guest cannot be cloned' },
  // Linked clones need a template ("Linked clone feature is not supported" otherwise).
  linkedClone: { types: BOTH, power: ['stopped'], template: 'only', why: 'only templates can be cloned as linked clones' },
  // Running VMs migrate online, running containers only in restart mode: both offered, with the right flag.
  migrate: { types: BOTH, power: ['running', 'stopped'], template: 'any', why: 'a locked or suspended guest cannot be migrated' },
  convertToTemplate: { types: BOTH, power: ['stopped'], template: 'never', why: "a running guest cannot become a template (\"you can't convert a VM to template if VM is running\")" },
  delete: { types: BOTH, power: ['stopped'], template: 'any', why: 'stop the guest first ("VM is running - destroy failed")' },
  snapshot: { types: BOTH, power: ALL, template: 'never', why: "templates have no snapshots (\"you can't take a snapshot if it's a template\")" },
  // vmstate: qemu only, and only saved while the VM runs; containers have no such parameter.
  snapshotWithRam: { types: ['qemu'], power: ['running'], template: 'never', why: 'RAM can be included only for a running VM; containers cannot save RAM' },
  rollback: { types: BOTH, power: ALL, template: 'never', needs: 'snapshots', why: 'there is no snapshot to roll back to' },
  deleteSnapshot: { types: BOTH, power: ALL, template: 'never', needs: 'snapshots', why: 'there is no snapshot to delete' },
  backup: { types: BOTH, power: ALL, template: 'any', why: 'a locked guest is skipped by vzdump' },
  // Restoring over an existing guest needs it stopped ("vm is running", "can't overwrite running container").
  restoreOver: { types: BOTH, power: ['stopped'], template: 'any', why: 'stop the guest before restoring a backup over it' },
  // xterm.js on a VM is its serial port: `qm terminal` needs `serialN: socket`.
  xtermConsole: { types: BOTH, power: ['running'], template: 'never', whenLocked: true, needs: 'serial', why: 'the console needs a running guest, and a VM needs a serial port (serial0: socket)' },
  vncConsole: { types: ['qemu'], power: ['running', 'paused'], template: 'never', whenLocked: true, why: 'the graphical console needs a running VM' },
  editNotes: { types: BOTH, power: ALL, template: 'any', why: 'the config is locked' },
  editTags: { types: BOTH, power: ALL, template: 'any', why: 'the config is locked' },
  editCloudInit: { types: ['qemu'], power: ALL, template: 'any', needs: 'cloudinit', why: 'only VMs with a cloud-init drive have cloud-init settings' },
  regenerateCloudInit: { types: ['qemu'], power: ALL, template: 'any', needs: 'cloudinit', why: 'the VM has no cloud-init drive ("no cloudinit drive found")' },
};

/** Why PVE would refuse `action` for this guest, or undefined when it is allowed. */
export function refusal(action: GuestAction, g: GuestFacts): string | undefined {
  const r = GUEST_CAPABILITIES[action];
  if (!r.types.includes(g.type)) return g.type === 'lxc' ? `containers do not support this: ${r.why}` : `VMs do not support this: ${r.why}`;
  if (r.template === 'never' && g.template) return r.why;
  if (r.template === 'only' && !g.template) return r.why;
  // A template's power state is always stopped; rules for templates do not look at it.
  if (!g.template && !((g.type === 'lxc' && r.powerLxc) || r.power).includes(g.power)) return r.why;
  if (g.lock && !r.whenLocked) return `it is locked (${g.lock})`;
  if (r.needs === 'serial' && g.type === 'qemu' && !g.hasSerial) return r.why;
  if (r.needs === 'cloudinit' && !g.hasCloudInit) return r.why;
  if (r.needs === 'snapshots' && !g.hasSnapshots) return r.why;
  return undefined;
}

export function allowedActions(g: GuestFacts): GuestAction[] {
  return (Object.keys(GUEST_CAPABILITIES) as GuestAction[]).filter((a) => refusal(a, g) === undefined);
}

/** Facts from a `/cluster/resources` row (+ `qmpstatus` when known). */
export function factsOf(r: { type: string; status?: string; template?: 0 | 1; lock?: string }, extra: Partial<GuestFacts> & { qmpstatus?: string } = {}): GuestFacts {
  const power: PowerState = extra.qmpstatus === 'paused' || extra.power === 'paused' ? 'paused' : r.status === 'running' ? 'running' : 'stopped';
  return {
    type: r.type === 'lxc' ? 'lxc' : 'qemu', power, template: !!r.template, lock: r.lock || undefined,
    hasSerial: extra.hasSerial, hasCloudInit: extra.hasCloudInit, hasSnapshots: extra.hasSnapshots,
  };
}

/** Config facts: a serial socket and a cloud-init drive. */
export function configFacts(conf: Record<string, unknown>): { hasSerial: boolean; hasCloudInit: boolean } {
  const entries = Object.entries(conf);
  return {
    hasSerial: entries.some(([k, v]) => /^serial[0-3]$/.test(k) && v === 'socket'),
    hasCloudInit: entries.some(([k, v]) => /^(ide|scsi|sata|virtio)\d+$/.test(k) && /cloudinit/.test(String(v))),
  };
}
