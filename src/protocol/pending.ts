// The page's side of requests: ids, the response each request is bound to, and the timeout. No DOM
// here, so the rules are unit-tested in plain Node (webview-ui/host.ts only wires it to postMessage).
import { RequestTimeoutError, type ParamsOf, type RequestType, type ResultOf } from './envelope';

interface Pending {
  response: string;
  resolve(payload: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class PendingRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /**
   * Sends `req` through `post` and resolves with the payload of its bound response; rejects with
   * RequestTimeoutError after `req.timeoutMs` (a late answer is then dropped, never applied).
   */
  start<R extends RequestType<string, unknown, unknown>>(req: R, params: ParamsOf<R>, post: (msg: { type: string; id: number; payload: unknown }) => void): Promise<ResultOf<R>> {
    const id = this.nextId++;
    return new Promise<ResultOf<R>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestTimeoutError(req.method, req.timeoutMs));
      }, req.timeoutMs);
      this.pending.set(id, { response: req.response, resolve: (p) => resolve(p as ResultOf<R>), reject, timer });
      try {
        post({ type: req.method, id, payload: params });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /**
   * Settles the request a (validated) response answers. Returns why it was dropped otherwise: no
   * request pending under that id (e.g. answered after its timeout), or the wrong response type.
   */
  settle(type: string, id: number, payload: unknown): { ok: true } | { ok: false; reason: string } {
    const p = this.pending.get(id);
    if (!p) return { ok: false, reason: `"${type}" #${id} answers no pending request (late or unknown)` };
    if (p.response !== type) return { ok: false, reason: `"${type}" #${id} does not answer its request (expected "${p.response}")` };
    clearTimeout(p.timer);
    this.pending.delete(id);
    p.resolve(payload);
    return { ok: true };
  }

  get size(): number {
    return this.pending.size;
  }

  /** Rejects everything still waiting (the page is going away). */
  dispose(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`request #${id} abandoned`));
    }
    this.pending.clear();
  }
}
