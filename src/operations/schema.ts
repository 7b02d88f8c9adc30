// Checks tool input against the entry's schema before anything runs, so a model's mistake becomes
// an error naming the field (an MCP InvalidParams, a tool error in VS Code), never a crash or a
// half-sent request. Covers the subset the catalog's schemas use (types.ts JsonSchema).
import type { JsonSchema } from './types';

export class InvalidInput extends Error {
  override readonly name = 'InvalidInput';
  constructor(readonly field: string, problem: string) {
    super(`${field}: ${problem}`);
  }
}

function check(value: unknown, s: JsonSchema, at: string): unknown {
  if (value === undefined && s.default !== undefined) return s.default;
  switch (s.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInput(at || 'input', 'must be an object');
      const out: Record<string, unknown> = {};
      const props = s.properties ?? {};
      for (const key of s.required ?? []) {
        if ((value as Record<string, unknown>)[key] === undefined) throw new InvalidInput(at ? `${at}.${key}` : key, 'is required');
      }
      for (const [key, v] of Object.entries(value)) {
        const sub = props[key];
        if (!sub) {
          if (s.additionalProperties === false) throw new InvalidInput(at ? `${at}.${key}` : key, 'is not a known field');
          continue;
        }
        if (v !== undefined && v !== null) out[key] = check(v, sub, at ? `${at}.${key}` : key);
      }
      for (const [key, sub] of Object.entries(props)) if (out[key] === undefined && sub.default !== undefined) out[key] = sub.default;
      return out;
    }
    case 'string':
      if (typeof value !== 'string') throw new InvalidInput(at, 'must be a string');
      if (s.minLength !== undefined && value.length < s.minLength) throw new InvalidInput(at, `must have at least ${s.minLength} characters`);
      if (s.maxLength !== undefined && value.length > s.maxLength) throw new InvalidInput(at, `must have at most ${s.maxLength} characters`);
      if (s.pattern && !new RegExp(s.pattern).test(value)) throw new InvalidInput(at, `must match ${s.pattern}`);
      break;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || (s.type === 'integer' && !Number.isInteger(value))) throw new InvalidInput(at, `must be ${s.type === 'integer' ? 'an integer' : 'a number'}`);
      if (s.minimum !== undefined && value < s.minimum) throw new InvalidInput(at, `must be at least ${s.minimum}`);
      if (s.maximum !== undefined && value > s.maximum) throw new InvalidInput(at, `must be at most ${s.maximum}`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') throw new InvalidInput(at, 'must be true or false');
      break;
    case 'array':
      if (!Array.isArray(value)) throw new InvalidInput(at, 'must be an array');
      if (s.maxItems !== undefined && value.length > s.maxItems) throw new InvalidInput(at, `must have at most ${s.maxItems} items`);
      return value.map((v, i) => (s.items ? check(v, s.items, `${at}[${i}]`) : v));
  }
  if (s.enum && !s.enum.includes(value as string | number)) throw new InvalidInput(at, `must be one of ${s.enum.join(', ')}`);
  return value;
}

/** The input with defaults filled in; throws InvalidInput naming the first bad field. */
export function validateInput<T = Record<string, unknown>>(schema: JsonSchema, input: unknown): T {
  return check(input ?? {}, schema, '') as T;
}
