// PostgreSQL connection URLs (libpq's `postgresql://` / `postgres://` form) and the target they
// name. Error messages never contain the password: they name the part that is wrong, not the URL.

export interface PgTarget { host: string; port: number; database: string; user: string; password: string; params: Record<string, string> }

function decode(part: string, what: string): string {
  try { return decodeURIComponent(part); } catch { throw new Error(`The database URL's ${what} has a malformed %-escape.`); }
}

/** Parses `postgresql://user:password@host:port/database?param=value`. */
export function parseDatabaseUrl(url: string): PgTarget {
  const text = url.trim();
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?(#.*)?$/.exec(text);
  if (!m) throw new Error('The database URL is not a URL of the form postgresql://user:password@host:5432/database.');
  const scheme = m[1].toLowerCase();
  if (scheme !== 'postgresql' && scheme !== 'postgres') throw new Error(`The database URL must start with postgresql:// (or postgres://), not ${scheme}://.`);
  const authority = m[2];
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : '';
  const hostport = at >= 0 ? authority.slice(at + 1) : authority;
  const colon = userinfo.indexOf(':');
  const user = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo, 'user name');
  let password = colon >= 0 ? decode(userinfo.slice(colon + 1), 'password') : '';
  if (hostport.includes(',')) throw new Error('The database URL names several hosts; give one host.');
  const hm = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*)(?::(\d*))?$/.exec(hostport);
  if (!hm) throw new Error('The database URL has a malformed host or port.');
  const host = hm[1].startsWith('[') ? hm[1].slice(1, -1) : decode(hm[1], 'host');
  if (!host) throw new Error('The database URL names no host.');
  if (!/^[a-zA-Z0-9.-]+$/.test(host) && !/^[0-9a-fA-F:.]+$/.test(host)) throw new Error('The database URL\'s host is not a host name or an IP address.');
  const port = hm[2] ? Number(hm[2]) : 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('The database URL\'s port must be a number from 1 to 65535.');
  const database = decode((m[3] ?? '/').slice(1), 'database name');
  if (database.includes('/')) throw new Error('The database URL\'s path must be just the database name.');
  const params: Record<string, string> = {};
  for (const pair of (m[4] ?? '').slice(1).split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    const k = decode((eq >= 0 ? pair.slice(0, eq) : pair).replace(/\+/g, ' '), 'query');
    const v = decode((eq >= 0 ? pair.slice(eq + 1) : '').replace(/\+/g, ' '), 'query');
    if (!/^[a-z_]+$/.test(k)) throw new Error(`The database URL has a parameter that is not a libpq keyword: "${k.slice(0, 40)}".`);
    if (k === 'password') { password ||= v; continue; }
    if (k === 'user' || k === 'dbname' || k === 'host' || k === 'port') throw new Error(`Give the ${k} in the URL itself, not as ?${k}=.`);
    params[k] = v;
  }
  if (!user) throw new Error('The database URL names no user (postgresql://USER:password@host/database).');
  if (!database) throw new Error('The database URL names no database (postgresql://user:password@host:5432/DATABASE).');
  if (/[\r\n\0]/.test(password) || /[\r\n\0]/.test(user) || /[\r\n\0]/.test(database)) throw new Error('The database URL\'s user, password or database contains a line break or NUL.');
  return { host, port, database, user, password, params };
}

const enc = (s: string) => encodeURIComponent(s);

export function formatDatabaseUrl(t: PgTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const auth = t.password ? `${enc(t.user)}:${enc(t.password)}` : enc(t.user);
  const q = Object.entries(t.params).map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
  return `postgresql://${auth}@${host}:${t.port}/${enc(t.database)}${q ? `?${q}` : ''}`;
}

/** The URL with the password replaced by `***` (for logs and messages). */
export function redactedDatabaseUrl(t: PgTarget): string {
  return formatDatabaseUrl({ ...t, password: t.password ? '***' : '' }).replace('%2A%2A%2A', '***');
}
