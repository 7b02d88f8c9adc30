// What "the same database" means for a migration's verify step, computed in SQL on each side by
// psql in a pod: per table of every user schema its row count and a checksum of its contents (the
// sum of the rows' md5 over their text form, as two 64-bit halves: independent of row order, no
// sort, no whole table in memory), each sequence's last_value/is_called, and the schema objects
// (schemas, columns and their types, constraints, indexes, views' definitions).
import { Writable } from 'node:stream';
import { drainingStdin, pgCommand, passwordThen, scrub, tail } from './command';
import { PgToolError } from './dump';
import type { PodExec } from '../kubernetes/podexec';
import type { PgTarget } from './url';

export interface DbFingerprint {
  /** `schema.table` -> rows and checksum */
  tables: Record<string, { rows: number; checksum: string }>;
  /** `schema.sequence` -> value */
  sequences: Record<string, { lastValue: string; isCalled: boolean }>;
  schemas: string[];
  /** `column app.users.email`, `constraint app.orders.amount_not_negative`, `index app.orders_user_placed`, `view app.user_totals` -> definition */
  objects: Record<string, string>;
}

const USER_NS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";
const QNAME = "quote_ident(n.nspname) || '.' || quote_ident(c.relname)";

/** One psql script; every line it prints is one JSON object. */
export const FINGERPRINT_SQL = `
SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex';
SELECT json_build_object('k', 'schema', 'name', quote_ident(n.nspname))::text FROM pg_namespace n WHERE ${USER_NS};
SELECT json_build_object('k', 'object', 'name', 'column ' || ${QNAME} || '.' || quote_ident(a.attname),
  'def', format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') || CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END)::text
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${USER_NS};
SELECT json_build_object('k', 'object', 'name', 'constraint ' || ${QNAME} || '.' || quote_ident(k.conname), 'def', pg_get_constraintdef(k.oid))::text
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_NS};
SELECT json_build_object('k', 'object', 'name', 'index ' || ${QNAME}, 'def', pg_get_indexdef(c.oid))::text
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_NS};
SELECT json_build_object('k', 'object', 'name', CASE c.relkind WHEN 'm' THEN 'materialized view ' ELSE 'view ' END || ${QNAME}, 'def', pg_get_viewdef(c.oid))::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND ${USER_NS};
SELECT format('SELECT json_build_object(''k'', ''sequence'', ''name'', %L, ''last_value'', last_value::text, ''is_called'', is_called)::text FROM %I.%I', ${QNAME}, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND ${USER_NS} ORDER BY 1 \\gexec
SELECT format('SELECT json_build_object(''k'', ''table'', ''name'', %L, ''rows'', count(*), ''checksum'', coalesce(sum((''x'' || substr(h, 1, 16))::bit(64)::bigint), 0)::text || '':'' || coalesce(sum((''x'' || substr(h, 17, 16))::bit(64)::bigint), 0)::text)::text FROM (SELECT md5(t::text) AS h FROM ONLY %I.%I t) s', ${QNAME}, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND ${USER_NS} ORDER BY 1 \\gexec
`;

/** Collects a command's stdout up to a limit (a fingerprint is small: lines per object). */
function collector(limit = 64 * 1024 * 1024): { sink: Writable; text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      size += c.length;
      if (size > limit) { cb(new Error('psql printed more than expected')); return; }
      chunks.push(c); cb();
    },
  });
  return { sink, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function fingerprint(exec: PodExec, t: PgTarget, o: { signal?: AbortSignal } = {}): Promise<DbFingerprint> {
  const out = collector();
  const r = await exec(pgCommand(t, drainingStdin('psql -X -w -q -A -t -v ON_ERROR_STOP=1 --dbname="$1"')), { stdin: passwordThen(t, FINGERPRINT_SQL), stdout: out.sink, signal: o.signal });
  if (r.exitCode !== 0) throw new PgToolError(`Reading the database's fingerprint failed (psql exit ${r.exitCode}): ${tail(scrub(r.stderr, t)) || 'no error output'}`, r.exitCode, scrub(r.stderr, t));
  const fp: DbFingerprint = { tables: {}, sequences: {}, schemas: [], objects: {} };
  for (const line of out.text().split('\n')) {
    if (!line.trim()) continue;
    const j = JSON.parse(line) as { k: string; name: string; def?: string; rows?: number; checksum?: string; last_value?: string; is_called?: boolean };
    if (j.k === 'schema') fp.schemas.push(j.name);
    else if (j.k === 'object') fp.objects[j.name] = (j.def ?? '').replace(/\s+/g, ' ').trim();
    else if (j.k === 'sequence') fp.sequences[j.name] = { lastValue: String(j.last_value), isCalled: !!j.is_called };
    else if (j.k === 'table') fp.tables[j.name] = { rows: Number(j.rows), checksum: String(j.checksum) };
  }
  fp.schemas.sort();
  return fp;
}

/** Human-readable differences, `a` being the source and `b` the copy; [] = equal. */
export function compareFingerprints(a: DbFingerprint, b: DbFingerprint): string[] {
  const d: string[] = [];
  const keys = (x: object, y: object) => [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  for (const s of [...new Set([...a.schemas, ...b.schemas])].sort()) {
    if (!b.schemas.includes(s)) d.push(`schema ${s} is missing in the copy`);
    else if (!a.schemas.includes(s)) d.push(`schema ${s} is only in the copy`);
  }
  for (const k of keys(a.tables, b.tables)) {
    const x = a.tables[k]; const y = b.tables[k];
    if (!y) d.push(`table ${k} is missing in the copy`);
    else if (!x) d.push(`table ${k} is only in the copy`);
    else if (x.rows !== y.rows) d.push(`table ${k}: ${x.rows} rows in the source, ${y.rows} in the copy`);
    else if (x.checksum !== y.checksum) d.push(`table ${k}: same row count (${x.rows}) but different contents`);
  }
  for (const k of keys(a.sequences, b.sequences)) {
    const x = a.sequences[k]; const y = b.sequences[k];
    if (!y) d.push(`sequence ${k} is missing in the copy`);
    else if (!x) d.push(`sequence ${k} is only in the copy`);
    else if (x.lastValue !== y.lastValue || x.isCalled !== y.isCalled) d.push(`sequence ${k}: ${x.lastValue}${x.isCalled ? '' : ' (not called)'} in the source, ${y.lastValue}${y.isCalled ? '' : ' (not called)'} in the copy`);
  }
  for (const k of keys(a.objects, b.objects)) {
    const x = a.objects[k]; const y = b.objects[k];
    if (y === undefined) d.push(`${k} is missing in the copy`);
    else if (x === undefined) d.push(`${k} is only in the copy`);
    else if (x !== y) d.push(`${k} differs: "${x}" in the source, "${y}" in the copy`);
  }
  return d;
}
