// Text consoles in the editor: a node shell, a container console, a VM's serial console — all
// through `termproxy` + `vncwebsocket` on the cluster's pinned connection (the client's own
// WebSocket over its TLS-pinned undici Agent; no second TLS stack). Protocol (PVE's xterm.js
// client): send "user:ticket\n", receive "OK", then input as `0:<bytes>:<data>`, resize as
// `1:<cols>:<rows>:`, keep-alive `2`; output arrives raw. Reconnecting is the caller's choice.
import type { WebSocket } from 'undici';
import { pathSegment } from './client';
import { ConsoleUnavailableError } from './guest-errors';
import { describeGuest, guestPath, type GuestRef } from './guests';
import type { Params } from './transport';

export interface ConsoleApi {
  get<T = unknown>(path: string, params?: Params): Promise<T>;
  post<T = unknown>(path: string, params?: Params): Promise<T>;
  openWebSocket(path: string, protocols?: string[]): Promise<WebSocket>;
}

export type ConsoleTarget = { kind: 'node'; node: string } | { kind: 'guest'; guest: GuestRef; serial?: 'serial0' | 'serial1' | 'serial2' | 'serial3' };

export interface ConsoleSession {
  /** Sends keystrokes / pasted text (any length; UTF-8 byte length goes in the frame). */
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Output as it arrives (UTF-8 decoded across frame boundaries). */
  onData(listener: (text: string) => void): { dispose(): void };
  /** Fires once when the console closed: the remote shell exited, the guest stopped, or close(). */
  onClose(listener: (e: { code: number; reason: string; byUser: boolean }) => void): { dispose(): void };
  readonly closed: Promise<{ code: number; reason: string; byUser: boolean }>;
  close(): void;
  /** The termproxy task (its log tells why a console ended early). */
  readonly upid: string;
}

/** Input frame: `0:<UTF-8 byte length>:<data>`. */
export function inputFrame(data: string): string {
  return `0:${Buffer.byteLength(data, 'utf8')}:${data}`;
}

/** Resize frame: `1:<cols>:<rows>:` (whole numbers, at least 1). */
export function resizeFrame(cols: number, rows: number): string {
  const c = Math.max(1, Math.floor(cols));
  const r = Math.max(1, Math.floor(rows));
  if (!Number.isFinite(c) || !Number.isFinite(r)) throw new RangeError(`Invalid terminal size ${cols}x${rows}`);
  return `1:${c}:${r}:`;
}

const NO_SERIAL_HINT = (g: GuestRef) =>
  `Add a serial port (Hardware > Add > Serial Port, or \`qm set ${g.vmid} -serial0 socket\`), reboot the VM, and make its OS use it (console=ttyS0); or open the graphical noVNC console.`;

/** The termproxy POST path and its parameters; for a VM, checks first that it has a serial port,
 *  since the API call itself would succeed and only `qm terminal` would fail behind it. */
async function proxyRequest(api: ConsoleApi, t: ConsoleTarget): Promise<{ base: string; params: Params }> {
  if (t.kind === 'node') return { base: `/nodes/${pathSegment(t.node)}`, params: {} };
  const g = t.guest;
  if (g.type === 'lxc') return { base: guestPath(g), params: {} };
  const conf = await api.get<Record<string, unknown>>(guestPath(g, 'config'));
  const wanted = t.serial ?? (['serial0', 'serial1', 'serial2', 'serial3'] as const).find((k) => conf[k] === 'socket');
  if (!wanted || conf[wanted] === undefined) {
    throw new ConsoleUnavailableError(g, `${describeGuest(g)} has no serial port${t.serial ? ` ${t.serial}` : ''}, so it has no text console. ${NO_SERIAL_HINT(g)}`, 'no-serial');
  }
  if (conf[wanted] !== 'socket') {
    throw new ConsoleUnavailableError(g, `The serial port ${wanted} of ${describeGuest(g)} is "${String(conf[wanted])}", not a socket, so Proxmox cannot attach a console to it. ${NO_SERIAL_HINT(g)}`, 'no-serial');
  }
  return { base: guestPath(g), params: { serial: wanted } };
}

export interface OpenConsoleOptions {
  cols?: number;
  rows?: number;
  /** Keep-alive interval, default 30 s (pveproxy drops idle sockets). */
  keepaliveMs?: number;
  /** How long to wait for the "OK" after sending the ticket, default 10 s. */
  handshakeMs?: number;
}

export async function openConsole(api: ConsoleApi, target: ConsoleTarget, o: OpenConsoleOptions = {}): Promise<ConsoleSession> {
  const what = target.kind === 'node' ? `the shell of node ${target.node}` : `the console of ${describeGuest(target.guest)}`;
  const { base, params } = await proxyRequest(api, target);
  const proxy = await api.post<{ port: string | number; ticket: string; user: string; upid: string }>(`${base}/termproxy`, params);
  const ws = await api.openWebSocket(`${base}/vncwebsocket?port=${encodeURIComponent(String(proxy.port))}&vncticket=${encodeURIComponent(proxy.ticket)}`, ['binary']);
  ws.binaryType = 'arraybuffer';
  const dec = new TextDecoder();
  const dataListeners = new Set<(t: string) => void>();
  const closeListeners = new Set<(e: { code: number; reason: string; byUser: boolean }) => void>();
  let byUser = false;
  let keepalive: NodeJS.Timeout | undefined;
  let authed = false;
  let early = ''; // output before "OK" was seen (should be none)
  let resolveClosed!: (e: { code: number; reason: string; byUser: boolean }) => void;
  const closed = new Promise<{ code: number; reason: string; byUser: boolean }>((r) => (resolveClosed = r));

  await new Promise<void>((resolve, reject) => {
    const onOpen = () => { ws.removeEventListener('error', onError); resolve(); };
    const onError = () => { ws.removeEventListener('open', onOpen); reject(new ConsoleUnavailableError(target.kind === 'guest' ? target.guest : undefined, `Proxmox refused to open ${what} (the console ticket was not accepted or the connection failed). Try again.`, 'refused')); };
    ws.addEventListener('open', onOpen, { once: true });
    ws.addEventListener('error', onError, { once: true });
  });

  // Output that arrives before the caller subscribes (the banner and prompt right after "OK" can
  // come in the same TCP read) is kept and handed to the first listener, not dropped.
  let pending: string[] | undefined = [];
  const emit = (text: string) => {
    if (!text) return;
    if (pending) pending.push(text);
    else for (const l of dataListeners) l(text);
  };
  let handshake!: (ok: boolean) => void;
  const ready = new Promise<boolean>((r) => (handshake = r));
  ws.addEventListener('message', (ev) => {
    const text = typeof ev.data === 'string' ? ev.data : dec.decode(new Uint8Array(ev.data as ArrayBuffer), { stream: true });
    if (!authed) {
      early += text;
      if (early.startsWith('OK')) {
        authed = true;
        handshake(true);
        emit(early.slice(2));
        early = '';
      }
      return;
    }
    emit(text);
  });
  ws.addEventListener('close', (ev) => {
    clearInterval(keepalive);
    handshake(false);
    const e = { code: ev.code, reason: ev.reason, byUser };
    resolveClosed(e);
    for (const l of closeListeners) l(e);
  });
  ws.send(`${proxy.user}:${proxy.ticket}\n`);
  const timer = setTimeout(() => handshake(false), o.handshakeMs ?? 10_000);
  const ok = await ready;
  clearTimeout(timer);
  if (!ok) {
    try { ws.close(); } catch { /* already closed */ }
    throw new ConsoleUnavailableError(target.kind === 'guest' ? target.guest : undefined, `Proxmox closed ${what} before it was ready${early ? `: ${early.trim()}` : ''}.`, 'refused');
  }
  const send = (s: string) => { if (ws.readyState === ws.OPEN) ws.send(s); };
  if (o.cols && o.rows) send(resizeFrame(o.cols, o.rows));
  keepalive = setInterval(() => send('2'), o.keepaliveMs ?? 30_000);
  keepalive.unref?.();

  return {
    upid: proxy.upid,
    write: (data) => { if (data) send(inputFrame(data)); },
    resize: (cols, rows) => send(resizeFrame(cols, rows)),
    onData: (l) => {
      dataListeners.add(l);
      const backlog = pending;
      pending = undefined;
      if (backlog?.length) l(backlog.join(''));
      return { dispose: () => dataListeners.delete(l) };
    },
    onClose: (l) => { closeListeners.add(l); return { dispose: () => closeListeners.delete(l) }; },
    closed,
    close: () => {
      byUser = true;
      try { ws.close(1000); } catch { /* already closed */ }
    },
  };
}
