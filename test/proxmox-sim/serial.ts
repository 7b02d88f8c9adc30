// A guest's serial console the way PVE serves it: POST .../termproxy {serial: serial0} answers
// {port, ticket, upid, user} and starts a vncproxy task; the client then opens the WebSocket
// GET .../vncwebsocket?port=&vncticket= (authenticated like any API call), sends "user:ticket\n",
// gets "OK", then the console output as binary frames. Only output written after the connection
// is sent, as with a real serial port. The socket closes when the guest stops.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { checkPerm } from './auth';
import { guestSerial } from './autoinstall';
import { readBody } from './body';
import { guestOn, type SimCore } from './core';
import { ApiError } from './http';
import type { Route } from './router';

interface ProxyTicket { node: string; vmid: number; port: number; user: string; expires: number; release: () => void }
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

export const serialRoutes: Route[] = [
  {
    key: 'POST /nodes/{node}/qemu/{vmid}/termproxy',
    rawBody: true, // not in the schema subset: parameters checked here
    perm: (ctx) => checkPerm(ctx.who, `/vms/${ctx.path.vmid}`, ['VM.Console']),
    handle: async (ctx) => {
      const { core } = ctx;
      const body = await readBody(ctx.req);
      const unknown = Object.keys(body).filter((k) => k !== 'serial');
      if (unknown.length) throw new ApiError(400, 'Parameter verification failed.', Object.fromEntries(unknown.map((k) => [k, 'property is not defined in schema and the schema does not allow additional properties'])));
      const serial = String(body.serial ?? 'serial0');
      if (!/^serial[0-3]$/.test(serial)) throw new ApiError(400, 'Parameter verification failed.', { serial: `value '${serial}' does not have a value in the enumeration 'serial0, serial1, serial2, serial3'` });
      const node = ctx.path.node;
      const vmid = Number(ctx.path.vmid);
      const g = guestOn(core, node, vmid);
      if (!g.conf[serial]) throw new ApiError(500, `VM ${vmid} has no ${serial} configured`);
      if (g.status !== 'running') throw new ApiError(500, `VM ${vmid} not running`);
      const port = 5900 + Math.floor(Math.random() * 100);
      const ticket = `PVEVNC:${randomBytes(16).toString('hex').toUpperCase()}`;
      let release = () => {};
      const task = core.tasks.start(node, 'vncproxy', String(vmid), ctx.who.id, (t) => new Promise<void>((resolve) => {
        release = resolve;
        t.signal.addEventListener('abort', () => resolve(), { once: true });
        setTimeout(() => { if (!used) resolve(); }, 10_000).unref(); // never connected
      }));
      let used = false;
      ticketsOf(core).set(ticket, { node, vmid, port, user: ctx.who.id, expires: Date.now() + 10_000, release: () => { used = true; release(); } });
      return { port: String(port), ticket, upid: task.upid, user: ctx.who.id };
    },
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

/** server.on('upgrade'): the vncwebsocket endpoint. */
export function handleUpgrade(core: SimCore, req: IncomingMessage, socket: Duplex): void {
  const url = new URL(req.url ?? '/', 'https://127.0.0.1');
  const m = /^\/api2\/json\/nodes\/([^/]+)\/qemu\/(\d+)\/vncwebsocket$/.exec(url.pathname);
  if (!m) return refuse(socket, 501, 'Method not implemented');
  try {
    core.auth.authenticate(req);
  } catch {
    return refuse(socket, 401, 'No ticket');
  }
  const ticket = url.searchParams.get('vncticket') ?? '';
  const t = ticketsOf(core).get(ticket);
  if (!t || t.node !== m[1] || t.vmid !== Number(m[2]) || String(t.port) !== url.searchParams.get('port') || t.expires < Date.now()) {
    return refuse(socket, 403, 'Permission check failed (invalid vnc ticket)');
  }
  ticketsOf(core).delete(ticket);
  const key = String(req.headers['sec-websocket-key'] ?? '');
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  const proto = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).includes('binary') ? 'Sec-WebSocket-Protocol: binary\r\n' : '';
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${proto}\r\n`);
  const g = core.state.guests.get(t.vmid);
  let sent = g ? guestSerial(g).length : 0; // output from now on
  let authed = false;
  let buf: Buffer = Buffer.alloc(0);
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
  const timer = setInterval(() => {
    const guest = core.state.guests.get(t.vmid);
    if (!guest) return close();
    const lines = guestSerial(guest);
    if (authed && lines.length > sent) {
      socket.write(frame(2, Buffer.from(lines.slice(sent).map((l) => l + '\r\n').join(''))));
      sent = lines.length;
    }
    if (guest.status !== 'running') close(); // qemu exited: the serial socket is gone
  }, 50);
  socket.on('data', (d: Buffer) => {
    const { frames, rest } = parseFrames(Buffer.concat([buf, d]));
    buf = rest;
    for (const f of frames) {
      if (f.op === 8) return close();
      if (!authed) {
        if (f.data.toString() === `${t.user}:${ticket}\n`) {
          authed = true;
          socket.write(frame(2, Buffer.from('OK')));
        } else {
          return close();
        }
      }
      // "2" keepalive, "0:len:data" input, "1:cols:rows:" resize: nothing to do for an installer.
    }
  });
  socket.on('error', close);
  socket.on('close', () => { closed = true; clearInterval(timer); t.release(); });
}
