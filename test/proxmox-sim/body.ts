// Request bodies as pveproxy reads them: form-urlencoded (where `;` also separates fields, so
// values with `;` must be percent-encoded) or JSON; JSON booleans become 0/1 later.
import type { IncomingMessage } from 'node:http';
import { ApiError } from './http';
import type { Params } from './validate';

const MAX_BODY = 1024 * 1024;

export function parseForm(s: string): Params {
  const out: Params = {};
  for (const part of s.split(/[&;]/)) {
    if (!part) continue;
    const i = part.indexOf('=');
    const k = dec(i < 0 ? part : part.slice(0, i));
    const v = i < 0 ? '' : dec(part.slice(i + 1));
    out[k] = v;
  }
  return out;
}

function dec(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new ApiError(400, 'Parameter verification failed.', { body: 'invalid percent-encoding' });
  }
}

export async function readBody(req: IncomingMessage): Promise<Params> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new ApiError(413, 'Request Entity Too Large');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'Parameter verification failed.', { body: 'malformed JSON' });
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new ApiError(400, 'Parameter verification failed.', { body: 'JSON body must be an object' });
    }
    const out: Params = {};
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      out[k] = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
    }
    return out;
  }
  return parseForm(text);
}
