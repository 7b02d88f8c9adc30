// Tiny runtime checks for messages crossing the webview boundary. Imported by the extension host
// AND by the browser bundle, so no Node or vscode import here.

export type Check<T> = (v: unknown) => v is T;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** A string of at most `max` characters (messages come from a page we render, but never trust size). */
export function isShortString(max: number): Check<string> {
  return (v: unknown): v is string => typeof v === 'string' && v.length <= max;
}

export function isOneOf<T extends string>(values: readonly T[]): Check<T> {
  return (v: unknown): v is T => typeof v === 'string' && (values as readonly string[]).includes(v);
}

export function isOptional<T>(check: Check<T>): Check<T | undefined> {
  return (v: unknown): v is T | undefined => v === undefined || check(v);
}

export function isArrayOf<T>(check: Check<T>, max = 100_000): Check<T[]> {
  return (v: unknown): v is T[] => Array.isArray(v) && v.length <= max && v.every(check);
}

type Shape<T> = { [K in keyof T]-?: Check<T[K]> };

/** An object with exactly these keys checked (extra keys are refused: the protocol is closed). */
export function isShape<T>(shape: Shape<T>): Check<T> {
  const keys = Object.keys(shape);
  return (v: unknown): v is T => {
    if (!isRecord(v)) return false;
    for (const k of Object.keys(v)) if (!keys.includes(k)) return false;
    for (const k of keys) if (!(shape as Record<string, Check<unknown>>)[k](v[k])) return false;
    return true;
  };
}
