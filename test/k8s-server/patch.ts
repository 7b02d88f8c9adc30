// JSON merge patch (RFC 7386), a strategic-merge subset, and the server-side-apply field bookkeeping.
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Strategic merge: maps merge, `null` deletes, lists of objects with `name` merge by name
 * (containers, env, ports, volumes), `$patch: delete` removes a keyed element; other lists replace. */
export function strategicMergePatch(target: Json | undefined, patch: Json): Json {
  if (Array.isArray(patch)) {
    const keyed = patch.every((e) => isObject(e) && typeof e.name === 'string');
    if (!keyed || !Array.isArray(target)) return clone(patch).filter((e) => !(isObject(e) && e.$patch === 'delete'));
    const out = clone(target) as JsonObject[];
    for (const el of patch as JsonObject[]) {
      const i = out.findIndex((o) => isObject(o) && o.name === el.name);
      if (el.$patch === 'delete') { if (i >= 0) out.splice(i, 1); continue; }
      if (i >= 0) out[i] = strategicMergePatch(out[i], el) as JsonObject;
      else out.push(clone(el));
    }
    return out;
  }
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') { const p = clone(patch); delete p.$patch; return p; }
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch, enough for add/replace/remove/test. */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new Error('json patch must be an array of operations');
  let doc = clone(target);
  for (const op of ops) {
    if (!isObject(op) || typeof op.path !== 'string' || typeof op.op !== 'string') throw new Error('invalid json patch operation');
    const parts = op.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop();
    if (last === undefined) { doc = clone(op.value as Json); continue; }
    let parent: Json = doc;
    for (const p of parts) {
      parent = Array.isArray(parent) ? parent[Number(p)] : isObject(parent) ? parent[p] : null;
      if (parent === null || parent === undefined) throw new Error(`json patch path ${op.path} does not exist`);
    }
    if (op.op === 'test') { const cur = Array.isArray(parent) ? parent[Number(last)] : (parent as JsonObject)[last]; if (!deepEqual(cur, op.value)) throw new Error(`json patch test failed at ${op.path}`); continue; }
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op.op === 'add') parent.splice(i, 0, clone(op.value as Json));
      else if (op.op === 'replace') parent[i] = clone(op.value as Json);
      else if (op.op === 'remove') parent.splice(i, 1);
      else throw new Error(`unsupported json patch op ${op.op}`);
    } else if (isObject(parent)) {
      if (op.op === 'add' || op.op === 'replace') parent[last] = clone(op.value as Json);
      else if (op.op === 'remove') { if (!(last in parent)) throw new Error(`json patch path ${op.path} does not exist`); delete parent[last]; }
      else throw new Error(`unsupported json patch op ${op.op}`);
    }
  }
  return doc;
}

/** Leaf field paths of an applied configuration; lists count as one (atomic) leaf, like
 * `x-kubernetes-list-type: atomic`. Used for field ownership in server-side apply. */
export function leafPaths(v: Json, prefix = ''): Map<string, Json> {
  const out = new Map<string, Json>();
  if (isObject(v)) {
    // an empty map owns nothing (otherwise `.metadata` itself would become a removable leaf)
    for (const [k, x] of Object.entries(v)) for (const [p, y] of leafPaths(x, `${prefix}.${k}`)) out.set(p, y);
  } else if (prefix) out.set(prefix, v);
  return out;
}

export function getPath(obj: Json, path: string): Json | undefined {
  let cur: Json | undefined = obj;
  for (const p of path.split('.').slice(1)) { if (!isObject(cur)) return undefined; cur = cur[p]; }
  return cur;
}

export function deletePath(obj: JsonObject, path: string): void {
  const parts = path.split('.').slice(1);
  const stack: JsonObject[] = [obj];
  for (const p of parts.slice(0, -1)) {
    const next = stack[stack.length - 1][p];
    if (!isObject(next)) return;
    stack.push(next);
  }
  delete stack[stack.length - 1][parts[parts.length - 1]];
  // prune maps emptied by the removal
  for (let i = stack.length - 1; i > 0; i--) if (Object.keys(stack[i]).length === 0) delete stack[i - 1][parts[i - 1]];
}
