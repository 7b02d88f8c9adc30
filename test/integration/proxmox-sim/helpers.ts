// Plain-https client for the simulator conformance tests: trusts the simulator's certificate as
// CA (verification stays on) and exposes status, reason phrase, raw body and parsed JSON.
import { request } from 'node:https';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Simulator } from '../../proxmox-sim/index';

export interface Resp {
  status: number;
  reason: string;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
  ms: number;
}

export type Cred = 'admin' | 'audit' | 'none' | { token: string } | { ticket: string; csrf?: string };

export interface CallOpts {
  cred?: Cred;
  form?: Record<string, string | number>;
  json?: unknown;
  rawBody?: string;
  headers?: OutgoingHttpHeaders;
}

export function authHeaders(sim: Simulator, cred: Cred): OutgoingHttpHeaders {
  if (cred === 'admin') return { Authorization: `PVEAPIToken=${sim.tokenId}=${sim.tokenSecret}` };
  if (cred === 'audit') return { Authorization: `PVEAPIToken=${sim.auditTokenId}=${sim.auditTokenSecret}` };
  if (cred === 'none') return {};
  if ('token' in cred) return { Authorization: cred.token };
  const h: OutgoingHttpHeaders = { Cookie: `PVEAuthCookie=${encodeURIComponent(cred.ticket)}` };
  if (cred.csrf) h.CSRFPreventionToken = cred.csrf;
  return h;
}

export function call(sim: Simulator, method: string, path: string, o: CallOpts = {}): Promise<Resp> {
  let body: string | undefined;
  const headers: OutgoingHttpHeaders = { ...authHeaders(sim, o.cred ?? 'admin'), ...o.headers };
  if (o.form) {
    body = Object.entries(o.form).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else if (o.json !== undefined) {
    body = JSON.stringify(o.json);
    headers['Content-Type'] = 'application/json';
  } else if (o.rawBody !== undefined) {
    body = o.rawBody;
    headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
  }
  if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
  const url = new URL(path.startsWith('/api2') ? path : `/api2/json${path}`, sim.url);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: sim.certPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = Date.now() - t0; // transfer time, without the client's JSON.parse
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, reason: res.statusMessage ?? '', headers: res.headers, text, json, ms });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** GET that must succeed; returns `data`. */
export async function get(sim: Simulator, path: string, cred: Cred = 'admin'): Promise<any> {
  const r = await call(sim, 'GET', path, { cred });
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.reason}`);
  return r.json.data;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const UPID_RE = /^UPID:([a-zA-Z0-9-]+):([0-9A-F]{8}):([0-9A-F]{8}):([0-9A-F]{8}):([a-z]+):([^:]*):([^:]+):$/;

/** Polls a task until it stops (asking the node named in the UPID); returns the final status. */
export async function waitTask(sim: Simulator, upid: string, timeoutMs = 20000): Promise<{ status: string; exitstatus?: string; log: string[] }> {
  const node = UPID_RE.exec(upid)?.[1];
  if (!node) throw new Error(`not a UPID: ${upid}`);
  const t0 = Date.now();
  for (;;) {
    const st = await get(sim, `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`);
    if (st.status === 'stopped') {
      const log = await get(sim, `/nodes/${node}/tasks/${encodeURIComponent(upid)}/log?start=0&limit=1000`);
      return { ...st, log: log.map((l: { t: string }) => l.t) };
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`task still running: ${upid}`);
    await sleep(25);
  }
}

/** POST/PUT/DELETE that must answer 200 with a UPID; returns it. */
export async function startTask(sim: Simulator, method: string, path: string, form?: Record<string, string | number>): Promise<string> {
  const r = await call(sim, method, path, { form });
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${r.reason}`);
  if (typeof r.json.data !== 'string' || !UPID_RE.test(r.json.data)) throw new Error(`not a UPID: ${r.text}`);
  return r.json.data;
}

/** A guest from the simulator's state matching `pred` (for picking test subjects). */
export function pickGuest(sim: Simulator, pred: (g: import('../../proxmox-sim/index').Guest) => boolean) {
  const g = [...sim.state.guests.values()].find(pred);
  if (!g) throw new Error('no guest matches');
  return g;
}
