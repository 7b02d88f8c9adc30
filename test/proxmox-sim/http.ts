// The PVE response envelope. Clients (proxmox-api included) reject anything but this exact
// Content-Type, and read error messages from the HTTP reason phrase.
import type { ServerResponse } from 'node:http';

export const JSON_TYPE = 'application/json;charset=UTF-8';

/** An error answered as PVE does: message in the reason phrase and in `message` (with "\n"). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
  }
}

export const paramError = (errors: Record<string, string>) =>
  new ApiError(400, 'Parameter verification failed.', errors);

/** Reason phrases must be a single line of printable ASCII. */
function reason(msg: string): string {
  return msg.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim();
}

export function sendData(res: ServerResponse, data: unknown, preSerialized?: string): void {
  const body = preSerialized ?? JSON.stringify({ data: data === undefined ? null : data });
  res.writeHead(200, 'OK', { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  if (err.status === 401) {
    // Real servers answer 401 with an empty body.
    res.writeHead(401, reason(err.message), { 'Content-Length': 0 });
    res.end();
    return;
  }
  const obj: Record<string, unknown> = { data: null };
  if (err.errors) obj.errors = err.errors;
  obj.message = err.message.endsWith('\n') ? err.message : err.message + '\n';
  const body = JSON.stringify(obj);
  res.writeHead(err.status, reason(err.message), {
    'Content-Type': JSON_TYPE,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
