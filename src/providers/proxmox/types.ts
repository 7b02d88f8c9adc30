// Shapes of the PVE answers the extension reads (fields from the PVE 9.1 schema / NOTES.md).
// Optional where PVE leaves a field out (offline nodes, stopped guests, older versions).

export interface VersionInfo {
  version: string; // "9.1.3"
  release: string; // "9.1"
  repoid: string;
  console?: string;
}

export interface NodeStatus {
  node: string;
  status: 'online' | 'offline' | 'unknown';
  id?: string; // "node/pve1"
  type?: 'node';
  cpu?: number;
  maxcpu?: number;
  mem?: number;
  maxmem?: number;
  disk?: number;
  maxdisk?: number;
  uptime?: number;
  level?: string;
  /** Uppercase colon-separated SHA-256 of the node's certificate: what to pin. */
  ssl_fingerprint?: string;
}

export type ResourceType = 'vm' | 'storage' | 'node';

export interface ClusterResource {
  id: string; // "qemu/100", "storage/pve1/local", "node/pve1"
  type: 'qemu' | 'lxc' | 'storage' | 'node' | 'pool' | 'sdn' | 'openvz' | string;
  node?: string;
  status?: string;
  // guests
  vmid?: number;
  name?: string;
  template?: 0 | 1;
  tags?: string; // ";"-separated
  lock?: string;
  pool?: string;
  hastate?: string;
  cpu?: number;
  maxcpu?: number;
  mem?: number;
  maxmem?: number;
  disk?: number;
  maxdisk?: number;
  uptime?: number;
  netin?: number;
  netout?: number;
  diskread?: number;
  diskwrite?: number;
  // storage
  storage?: string;
  content?: string; // "iso,vztmpl,images"
  plugintype?: string;
  shared?: 0 | 1;
  // node
  level?: string;
}

export interface StorageContentItem {
  volid: string; // "local:iso/x.iso"
  content: string; // iso | images | rootdir | vztmpl | backup | snippets | import
  format: string;
  size: number;
  ctime?: number;
  vmid?: number;
  used?: number;
  notes?: string;
  protected?: 0 | 1;
}

/** The fields of a UPID: `UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:`. */
export interface Upid {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  /** Unix seconds. */
  starttime: number;
  type: string;
  id: string;
  user: string;
}

export interface TaskStatus extends Upid {
  status: 'running' | 'stopped';
  /** "OK", "WARNINGS: n" or the error text; only once stopped. */
  exitstatus?: string;
}

export interface TaskLogLine {
  n: number;
  t: string;
}

export interface TicketAnswer {
  username: string;
  ticket: string;
  CSRFPreventionToken: string;
  cap?: unknown;
  NeedTFA?: number;
}
