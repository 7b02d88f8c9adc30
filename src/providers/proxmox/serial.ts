// A guest's serial console, read the way the PVE web UI does: POST .../termproxy, then the
// vncwebsocket on the same pinned connection, "user:ticket\n", then raw console output.
// Used to show an auto-install's log while the pipeline waits for the VM to power off.
import type { WebSocket } from 'undici';
import { pathSegment } from './client';

export interface SerialConsoleClient {
  post<T>(path: string, params?: Record<string, unknown>): Promise<T>;
  openWebSocket(path: string, protocols?: string[]): Promise<WebSocket>;
}

export interface SerialConsole {
  /** Complete lines received so far (ANSI sequences removed). */
  readonly lines: readonly string[];
  /** Resolves when the console closed (the guest stopped, or close()). */
  readonly closed: Promise<void>;
  close(): void;
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r/g;

export async function openSerialConsole(client: SerialConsoleClient, node: string, vmid: number,
  o: { serial?: string; onLine?: (line: string) => void; keepaliveMs?: number } = {}): Promise<SerialConsole> {
  const base = `/nodes/${pathSegment(node)}/qemu/${vmid}`;
  const proxy = await client.post<{ port: string | number; ticket: string; user: string }>(`${base}/termproxy`, { serial: o.serial ?? 'serial0' });
  const ws = await client.openWebSocket(`${base}/vncwebsocket?port=${encodeURIComponent(String(proxy.port))}&vncticket=${encodeURIComponent(proxy.ticket)}`, ['binary']);
  ws.binaryType = 'arraybuffer';
  const lines: string[] = [];
  let partial = '';
  let authed = false;
  const dec = new TextDecoder();
  let keepalive: NodeJS.Timeout | undefined;
  const closed = new Promise<void>((resolve) => {
    ws.addEventListener('close', () => {
      clearInterval(keepalive);
      if (partial.trim()) {
        lines.push(partial);
        o.onLine?.(partial);
      }
      partial = '';
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`Cannot open the serial console of VM ${vmid} on ${node}`)), { once: true });
  });
  ws.addEventListener('message', (ev) => {
    const text = typeof ev.data === 'string' ? ev.data : dec.decode(new Uint8Array(ev.data as ArrayBuffer), { stream: true });
    if (!authed) {
      if (text.startsWith('OK')) authed = true;
      return;
    }
    partial += text.replace(ANSI, '');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) {
      lines.push(l);
      o.onLine?.(l);
    }
  });
  ws.send(`${proxy.user}:${proxy.ticket}\n`);
  keepalive = setInterval(() => { try { ws.send('2'); } catch { /* closing */ } }, o.keepaliveMs ?? 30_000);
  keepalive.unref?.();
  return { lines, closed, close: () => ws.close() };
}

/** TemplateDeps.readSerial over real consoles: one per VM, opened on first use; best effort. */
export function serialConsoleReader(client: SerialConsoleClient): { readSerial(node: string, vmid: number, from: number): Promise<string[]>; closeAll(): void } {
  const open = new Map<number, Promise<SerialConsole>>();
  return {
    async readSerial(node, vmid, from) {
      let c = open.get(vmid);
      if (!c) {
        c = openSerialConsole(client, node, vmid);
        open.set(vmid, c);
        c.catch(() => open.delete(vmid)); // retried on the next poll
      }
      const con = await c;
      return con.lines.slice(from);
    },
    closeAll() {
      for (const c of open.values()) void c.then((x) => x.close(), () => undefined);
      open.clear();
    },
  };
}
