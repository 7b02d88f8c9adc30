// One envelope for every message between a panel host and its webview (GitLens style):
//  - commands:      webview -> host, fire and forget            { type, payload }
//  - requests:      webview -> host, answered by a response      { type, id, payload }
//  - responses:     host -> webview, same id, type `${request}/response`
//  - notifications: host -> webview                              { type, payload }
import { Check, isPositiveInt, isRecord, isString } from './validate';

export interface Envelope<T extends string = string, P = unknown> {
  type: T;
  id?: number;
  payload: P;
}

export function isEnvelope(v: unknown): v is Envelope {
  if (!isRecord(v)) return false;
  for (const k of Object.keys(v)) if (k !== 'type' && k !== 'id' && k !== 'payload') return false;
  return isString(v.type) && v.type.length <= 64 && (v.id === undefined || isPositiveInt(v.id)) && 'payload' in v;
}

/** A table of message types to payload checks; `validate` returns the typed message or a reason. */
export type MessageChecks<M> = { [K in keyof M]: Check<M[K]> };

export type MessageOf<M> = { [K in keyof M & string]: { type: K; id?: number; payload: M[K] } }[keyof M & string];

export function validateMessage<M>(checks: MessageChecks<M>, v: unknown, opts: { requireId?: ReadonlyArray<keyof M> } = {}): { ok: true; message: MessageOf<M> } | { ok: false; reason: string } {
  if (!isEnvelope(v)) return { ok: false, reason: 'not a message envelope {type, id?, payload}' };
  if (!Object.prototype.hasOwnProperty.call(checks, v.type)) return { ok: false, reason: `unknown message type "${v.type}"` };
  const check = (checks as Record<string, Check<unknown>>)[v.type];
  if (!check(v.payload)) return { ok: false, reason: `invalid payload for "${v.type}"` };
  if (opts.requireId?.includes(v.type as keyof M) && v.id === undefined) return { ok: false, reason: `request "${v.type}" has no id` };
  return { ok: true, message: v as MessageOf<M> };
}

/**
 * A request bound to its response (as GitLens's `IpcRequest`): the webview sends `{type: method, id,
 * payload: Params}`, the host answers `{type: '<method>/response', id, payload: Result}`. Both sides
 * name the descriptor, so a request cannot be sent with the wrong payload or answered with the wrong
 * type, and the page gives up after `timeoutMs` instead of waiting forever on a host that never answers.
 */
export interface RequestType<M extends string, Params, Result> {
  readonly method: M;
  readonly response: `${M}/response`;
  readonly timeoutMs: number;
  /** Type carriers only (never set). */
  readonly _params?: Params;
  readonly _result?: Result;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** `requestType<Params, Result>()('show')`: two calls so the method name is inferred as a literal. */
export function requestType<Params, Result>() {
  return <M extends string>(method: M, o: { timeoutMs?: number } = {}): RequestType<M, Params, Result> => ({
    method,
    response: `${method}/response`,
    timeoutMs: o.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  });
}

export type ParamsOf<R> = R extends RequestType<string, infer P, unknown> ? P : never;
export type ResultOf<R> = R extends RequestType<string, unknown, infer S> ? S : never;

/** Raised in the page when the host did not answer a request within its timeout. */
export class RequestTimeoutError extends Error {
  constructor(readonly method: string, readonly timeoutMs: number) {
    super(`no answer to "${method}" within ${Math.round(timeoutMs / 1000)} s`);
    this.name = 'RequestTimeoutError';
  }
}
