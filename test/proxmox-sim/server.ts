// The request pipeline, in pveproxy's order: faults -> route (501) -> auth (401, delayed, empty
// body) -> permission (403) -> proxy to node (595 when down) -> parameter verification (400) -> handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, parseForm } from './body';
import type { SimCore } from './core';
import { ApiError, sendData, sendError } from './http';
import { RawJson, Router, type Ctx } from './router';
import { validate, type Params } from './validate';
import type { Principal } from './auth';

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
}

export interface Counters {
  requestCount: number;
  requestLog: RequestLogEntry[];
}

const LOG_MAX = 1000;
const ANON: Principal = { id: '', user: '', token: false, privs: new Set() };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function makeHandler(core: SimCore, router: Router, counters: Counters) {
  const record = (e: RequestLogEntry) => {
    counters.requestLog.push(e);
    if (counters.requestLog.length > LOG_MAX) counters.requestLog.splice(0, counters.requestLog.length - LOG_MAX);
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    counters.requestCount++;
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const path = url.pathname;
    res.on('finish', () => record({ method, path, status: res.statusCode }));
    try {
      if (core.faults.latencyMs > 0) await sleep(core.faults.latencyMs);
      const fault = core.faults.decide();
      if (fault.kind === 'drop') {
        record({ method, path, status: 0 });
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'error') throw new ApiError(fault.status, fault.message);

      const m = /^\/api2\/json(\/.*)?$/.exec(path);
      const rel = m?.[1] ?? path;
      const found = m ? router.match(method, rel.replace(/\/+$/, '') || '/') : undefined;
      if (!found) throw new ApiError(501, `Method '${method} ${rel}' not implemented`);
      const { route, params: pathParams } = found;

      let who = ANON;
      if (!route.noAuth) {
        try {
          who = core.auth.authenticate(req);
        } catch (e) {
          req.resume();
          throw e;
        }
      }

      const input: Params = {};
      if (url.search) Object.assign(input, parseForm(url.search.slice(1)));
      if (!route.rawBody && method !== 'GET' && method !== 'HEAD') Object.assign(input, await readBody(req));
      Object.assign(input, pathParams);

      const ctx: Ctx = { core, req, res, who, p: {}, path: pathParams };
      route.perm?.(ctx, input);

      const nodeName = pathParams.node;
      if (nodeName !== undefined) {
        const node = core.state.nodes.get(nodeName);
        if (!node) {
          throw new ApiError(500, `hostname lookup '${nodeName}' failed - failed to get address info for: ${nodeName}: Name or service not known`);
        }
        // pveproxy forwards to the node's pvedaemon; a node that is down answers 595.
        if (!node.online) throw new ApiError(595, `Connection refused`);
      }

      if (!route.rawBody) ctx.p = validate(route.key, input);
      const out = await route.handle(ctx);
      if (res.headersSent) return;
      if (out instanceof RawJson) sendData(res, undefined, out.body);
      else sendData(res, out);
    } catch (e) {
      if (res.headersSent || res.destroyed) return;
      const err = e instanceof ApiError ? e : new ApiError(500, String((e as Error)?.message ?? e));
      if (err.status === 401 && core.opts.authFailDelayMs > 0) await sleep(core.opts.authFailDelayMs);
      if (res.destroyed) return;
      // Discard an unread body (e.g. a refused upload) so the client can finish sending and
      // read the answer instead of failing with EPIPE.
      if (!req.complete) req.resume();
      sendError(res, err);
    }
  };
}
