// Consoles the way PVE serves them (node shell, container console, VM serial console):
// POST .../termproxy answers {port, ticket, upid, user} and starts a vncproxy/vncshell task; the
// client then opens the WebSocket GET .../vncwebsocket?port=&vncticket= (authenticated like any
// API call), sends "user:ticket\n", gets "OK", then raw output as binary frames. Input uses the
// termproxy framing: `0:LEN:DATA`, `1:COLS:ROWS:` resize, `2` ping. A VM's serial console also
// streams what the guest writes (auto-install), only from the connection on, like a real port;
// it closes when the guest stops. Node and container consoles run a tiny echoing shell.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { checkPerm } from './auth';
import { guestSerial } from './autoinstall';
import { readBody } from './body';
import { guestOn, type SimCore } from './core';
import { ApiError } from './http';
import type { Ctx, Route } from './router';

interface ProxyTicket {
  kind: 'node' | 'qemu' | 'lxc';
  node: string;
  vmid?: number;
  port: number;
  user: string;
  expires: number;
  release: () => void;
  /** qemu: what `qm terminal` says before it exits when the VM has no usable serial port. */
  refusal?: string;
}
const tickets = new WeakMap<SimCore, Map<string, ProxyTicket>>();
const ticketsOf = (core: SimCore) => {
  let m = tickets.get(core);
  if (!m) tickets.set(core, (m = new Map()));
  return m;
};

const sockets = new WeakMap<SimCore, Set<Duplex>>();
const socketsOf = (core: SimCore) => {
  let s = sockets.get(core);
  if (!s) sockets.set(core, (s = new Set()));
  return s;
};

/** Simulator shutdown: upgraded sockets are not the HTTP server's to close. */
export function closeSerialSockets(core: SimCore): void {
  for (const s of socketsOf(core)) s.destroy();
}

/** Starts the termproxy worker (task `vncproxy`/`vncshell`) and hands out its one-use ticket. */
function issueTicket(ctx: Ctx, kind: ProxyTicket['kind'], taskType: string, vmid: number | undefined, refusal?: string) {
  const { core } = ctx;
  const node = String(ctx.path.node);
  const port = 5900 + Math.floor(Math.random() * 100);
  const ticket = `PVEVNC:${randomBytes(16).toString('hex').toUpperCase()}`;
  let release = () => {};
  let used = false;
  const task = core.tasks.start(node, taskType, vmid === undefined ? '' : String(vmid), ctx.who.id, (t) => new Promise<void>((resolve, reject) => {
    release = () => (refusal ? reject(new Error(`command '/usr/sbin/qm terminal ${vmid} -escape 0' failed: exit code 255`)) : resolve());
    t.signal.addEventListener('abort', () => resolve(), { once: true });
    setTimeout(() => { if (!used) resolve(); }, 10_000).unref(); // never connected
  }));
  ticketsOf(core).set(ticket, { kind, node, vmid, port, user: ctx.who.id, expires: Date.now() + 10_000, refusal, release: () => { used = true; release(); } });
  return { port: String(port), ticket, upid: task.upid, user: ctx.who.id };
}

export const serialRoutes: Route[] = [
  {
    key: 'POST /nodes/{node}/qemu/{vmid}/termproxy',
    rawBody: true, // checked here: the schema subset predates it
    perm: (ctx) => checkPerm(ctx.who, `/vms/${ctx.path.vmid}`, ['VM.Console']),
    handle: async (ctx) => {
      const { core } = ctx;
      const body = await readBody(ctx.req);
      const unknown = Object.keys(body).filter((k) => k !== 'serial');
      if (unknown.length) throw new ApiError(400, 'Parameter verification failed.', Object.fromEntries(unknown.map((k) => [k, 'property is not defined in schema and the schema does not allow additional properties'])));
      const serial = body.serial === undefined ? undefined : String(body.serial);
      if (serial !== undefined && !/^serial[0-3]$/.test(serial)) throw new ApiError(400, 'Parameter verification failed.', { serial: `value '${serial}' does not have a value in the enumeration 'serial0, serial1, serial2, serial3'` });
      const vmid = Number(ctx.path.vmid);
      const g = guestOn(core, ctx.path.node, vmid);
      if (g.status !== 'running') throw new ApiError(500, `VM ${vmid} not running`);
      // The API call itself succeeds; `qm terminal` then prints why it cannot attach and exits.
      const iface = serial ?? ['serial0', 'serial1', 'serial2', 'serial3'].find((k) => g.conf[k] === 'socket');
      const refusal = !iface ? 'unable to find a serial interface'
        : !g.conf[iface] ? `serial interface '${iface}' is not configured`
          : g.conf[iface] !== 'socket' ? `wrong serial type on interface '${iface}'` : undefined;
      return issueTicket(ctx, 'qemu', 'vncproxy', vmid, refusal);
    },
  },
  {
    key: 'POST /nodes/{node}/lxc/{vmid}/termproxy',
    perm: (ctx) => checkPerm(ctx.who, `/vms/${ctx.path.vmid}`, ['VM.Console']),
    handle: (ctx) => {
      const vmid = Number(ctx.path.vmid);
      const g = guestOn(ctx.core, ctx.path.node, vmid, 'lxc');
      if (g.status !== 'running') throw new ApiError(500, `CT ${vmid} not running`);
      return issueTicket(ctx, 'lxc', 'vncproxy', vmid);
    },
  },
  {
    key: 'POST /nodes/{node}/termproxy',
    perm: (ctx) => checkPerm(ctx.who, `/nodes/${ctx.path.node}`, ['Sys.Console']),
    handle: (ctx) => issueTicket(ctx, 'node', 'vncshell', undefined),
  },
];

function frame(op: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | op, len]) : len < 65536 ? Buffer.from([0x80 | op, 126, len >> 8, len & 255]) : (() => {
    const b = Buffer.alloc(10); b[0] = 0x80 | op; b[1] = 127; b.writeBigUInt64BE(BigInt(len), 2); return b;
  })();
  return Buffer.concat([head, payload]);
}

/** Parses masked client frames; returns [frames, rest]. */
function parseFrames(buf: Buffer): { frames: Array<{ op: number; data: Buffer }>; rest: Buffer } {
  const frames: Array<{ op: number; data: Buffer }> = [];
  let off = 0;
  for (;;) {
    if (buf.length - off < 2) break;
    const op = buf[off] & 0x0f;
    let len = buf[off + 1] & 0x7f;
    const masked = (buf[off + 1] & 0x80) !== 0;
    let p = off + 2;
    if (len === 126) { if (buf.length < p + 2) break; len = buf.readUInt16BE(p); p += 2; }
    else if (len === 127) { if (buf.length < p + 8) break; len = Number(buf.readBigUInt64BE(p)); p += 8; }
    const maskLen = masked ? 4 : 0;
    if (buf.length < p + maskLen + len) break;
    const mask = masked ? buf.subarray(p, p + 4) : undefined;
    const data = Buffer.from(buf.subarray(p + maskLen, p + maskLen + len));
    if (mask) for (let i = 0; i < data.length; i++) data[i] ^= mask[i & 3];
    frames.push({ op, data });
    off = p + maskLen + len;
  }
  return { frames, rest: buf.subarray(off) };
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}

/** server.on('upgrade'): the vncwebsocket endpoints of nodes, VMs and containers. */
export function handleUpgrade(core: SimCore, req: IncomingMessage, socket: Duplex): void {
  const url = new URL(req.url ?? '/', 'https://127.0.0.1');
  const m = /^\/api2\/json\/nodes\/([^/]+)(?:\/(qemu|lxc)\/(\d+))?\/vncwebsocket$/.exec(url.pathname);
  if (!m) return refuse(socket, 501, 'Method not implemented');
  const kind = (m[2] ?? 'node') as ProxyTicket['kind'];
  try {
    core.auth.authenticate(req);
  } catch {
    return refuse(socket, 401, 'No ticket');
  }
  const ticket = url.searchParams.get('vncticket') ?? '';
  const t = ticketsOf(core).get(ticket);
  if (!t || t.kind !== kind || t.node !== m[1] || (t.vmid !== undefined && t.vmid !== Number(m[3])) || String(t.port) !== url.searchParams.get('port') || t.expires < Date.now()) {
    return refuse(socket, 403, 'Permission check failed (invalid vnc ticket)');
  }
  ticketsOf(core).delete(ticket);
  const key = String(req.headers['sec-websocket-key'] ?? '');
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  const proto = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).includes('binary') ? 'Sec-WebSocket-Protocol: binary\r\n' : '';
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${proto}\r\n`);
  const g = t.vmid !== undefined ? core.state.guests.get(t.vmid) : undefined;
  let sent = g ? guestSerial(g).length : 0; // output from now on
  let authed = false;
  let buf: Buffer = Buffer.alloc(0);
  let input: Buffer = Buffer.alloc(0);
  const open = socketsOf(core);
  open.add(socket);
  socket.once('close', () => open.delete(socket));
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    t.release();
    try { socket.end(frame(8, Buffer.from([0x03, 0xe8]))); } catch { /* gone */ }
  };
  const out = (text: string) => { if (!closed) socket.write(frame(2, Buffer.from(text))); };
  const host = kind === 'node' ? t.node : String((g?.type === 'lxc' ? g.conf.hostname : g?.conf.name) ?? `guest${t.vmid}`);
  const shell = new Shell(host, out, close);
  const timer = setInterval(() => {
    if (t.vmid === undefined) return;
    const guest = core.state.guests.get(t.vmid);
    if (!guest) return close();
    const lines = guestSerial(guest);
    if (authed && lines.length > sent) {
      out(lines.slice(sent).map((l) => l + '\r\n').join(''));
      sent = lines.length;
    }
    if (guest.status !== 'running') close(); // the guest stopped: its console is gone
  }, 50);
  socket.on('data', (d: Buffer) => {
    const { frames, rest } = parseFrames(Buffer.concat([buf, d]));
    buf = rest;
    for (const f of frames) {
      if (f.op === 8) return close();
      if (f.op === 9 || f.op === 10) continue; // WebSocket ping/pong
      if (!authed) {
        if (f.data.toString() === `${t.user}:${ticket}\n`) {
          authed = true;
          out('OK');
          if (t.refusal) {
            out(t.refusal + '\r\n');
            return close();
          }
          if (kind === 'node') out(`Linux ${t.node} 6.14.11-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4 x86_64\r\n\r\n`);
          if (kind === 'lxc') out(`\r\nDebian GNU/Linux 12 ${host} tty1\r\n\r\n${host} login: root (automatic login)\r\n\r\n`);
          if (kind !== 'qemu') shell.prompt();
        } else {
          return close();
        }
        continue;
      }
      input = Buffer.concat([input, f.data]);
      input = termproxyMessages(input, shell);
    }
  });
  socket.on('error', close);
  socket.on('close', () => { closed = true; clearInterval(timer); t.release(); });
}

/** Consumes complete termproxy messages from `buf`: `0:LEN:DATA` (LEN in bytes) input,
 *  `1:COLS:ROWS:` resize, `2` ping. Returns what is left (an incomplete message). */
export function termproxyMessages(buf: Buffer, shell: { input(b: Buffer): void; resize(cols: number, rows: number): void }): Buffer {
  for (;;) {
    if (!buf.length) return buf;
    const type = String.fromCharCode(buf[0]);
    if (type === '2') {
      buf = buf.subarray(1);
      continue;
    }
    const text = buf.toString('latin1');
    if (type === '1') {
      const m = /^1:(\d+):(\d+):/.exec(text);
      if (!m) return buf;
      shell.resize(Number(m[1]), Number(m[2]));
      buf = buf.subarray(m[0].length);
      continue;
    }
    if (type === '0') {
      const m = /^0:(\d+):/.exec(text);
      if (!m) return buf;
      const len = Number(m[1]);
      if (buf.length < m[0].length + len) return buf;
      shell.input(buf.subarray(m[0].length, m[0].length + len));
      buf = buf.subarray(m[0].length + len);
      continue;
    }
    return Buffer.alloc(0); // not termproxy framing: dropped, as termproxy does
  }
}

/** A tiny line-editing shell: echo, prompt, a few commands; enough to type and read output. */
class Shell {
  private line = '';
  private cols = 80;
  private rows = 24;
  constructor(private readonly host: string, private readonly out: (s: string) => void, private readonly exit: () => void) {}

  prompt(): void {
    this.out(`root@${this.host}:~# `);
  }

  resize(cols: number, rows: number): void {
    this.cols = cols;
    this.rows = rows;
  }

  input(b: Buffer): void {
    for (const ch of b.toString('utf8')) {
      if (ch === '\r' || ch === '\n') {
        this.out('\r\n');
        const cmd = this.line.trim();
        this.line = '';
        if (cmd === 'exit' || cmd === 'logout') {
          this.out('logout\r\n');
          return this.exit();
        }
        const result = this.run(cmd);
        if (result) this.out(result.replace(/\n/g, '\r\n') + '\r\n');
        this.prompt();
      } else if (ch === '\x7f' || ch === '\b') {
        if (this.line) {
          this.line = this.line.slice(0, -1);
          this.out('\b \b');
        }
      } else if (ch === '\x03') {
        this.line = '';
        this.out('^C\r\n');
        this.prompt();
      } else if (ch === '\x04') {
        if (!this.line) {
          this.out('logout\r\n');
          return this.exit();
        }
      } else {
        this.line += ch;
        this.out(ch);
      }
    }
  }

  private run(cmd: string): string {
    if (!cmd) return '';
    const [name, ...args] = cmd.split(/\s+/);
    switch (name) {
      case 'echo': return args.join(' ').replace(/^(['"])(.*)\1$/, '$2');
      case 'hostname': return this.host;
      case 'whoami': return 'root';
      case 'pwd': return '/root';
      case 'uname': return args.includes('-a') ? `Linux ${this.host} 6.14.11-4-pve #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux` : 'Linux';
      case 'stty': return args.join(' ') === 'size' ? `${this.rows} ${this.cols}` : '';
      default: return `-bash: ${name}: command not found`;
    }
  }
}
