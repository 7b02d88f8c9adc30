// Route table plumbing: PVE path templates (`/nodes/{node}/qemu/{vmid}`) matched per segment.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from './auth';
import type { Clean } from './validate';
import type { SimCore } from './core';

export interface Ctx {
  core: SimCore;
  req: IncomingMessage;
  res: ServerResponse;
  who: Principal;
  /** Validated parameters: path + query + body. */
  p: Clean;
  /** Raw path parameters (before validation), used for permission paths. */
  path: Record<string, string>;
}

/** A pre-serialized `{"data":...}` body (large, cached answers). */
export class RawJson {
  constructor(readonly body: string) {}
}

export interface Route {
  /** 'METHOD /path/{param}', also the key into pve-schema.json. */
  key: string;
  /** Throws a 403 ApiError when `who` lacks the privilege. Runs after the body is read. */
  perm?: (ctx: Ctx, params: Record<string, unknown>) => void;
  handle: (ctx: Ctx) => unknown;
  /** The handler reads the body itself (multipart upload streams it to disk). */
  rawBody?: boolean;
  noAuth?: boolean;
}

interface Compiled {
  route: Route;
  method: string;
  parts: string[];
}

export class Router {
  private readonly compiled: Compiled[] = [];

  add(routes: Route[]): void {
    for (const route of routes) {
      const [method, path] = route.key.split(' ');
      this.compiled.push({ route, method, parts: path.split('/').filter(Boolean) });
    }
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    const segs = path.split('/').filter(Boolean);
    for (const c of this.compiled) {
      if (c.method !== method || c.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) {
        const part = c.parts[i];
        if (part.startsWith('{')) {
          try {
            params[part.slice(1, -1)] = decodeURIComponent(segs[i]);
          } catch {
            ok = false;
          }
        } else ok = part === segs[i];
      }
      if (ok) return { route: c.route, params };
    }
    return undefined;
  }
}
