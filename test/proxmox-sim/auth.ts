// API-token and ticket authentication plus the permission check, as pve-access-control does it:
// tokens need no CSRF header, tickets need one on every non-GET, an auditor may only read.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError } from './http';

export interface Principal {
  /** user@realm, or user@realm!token for tokens (the form that goes into UPIDs). */
  id: string;
  user: string;
  token: boolean;
  privs: 'all' | Set<string>;
}

/** The PVEAuditor role of PVE 9. */
const AUDIT_PRIVS = new Set(['VM.Audit', 'VM.GuestAgent.Audit', 'Sys.Audit', 'Datastore.Audit', 'Pool.Audit', 'SDN.Audit', 'Mapping.Audit']);

interface TicketInfo {
  user: string;
  issued: number;
  csrf: string;
}

export class Auth {
  readonly user = 'root@pam';
  readonly password = randomBytes(12).toString('base64url');
  readonly tokenId = 'root@pam!homelab';
  readonly tokenSecret = randomUUID();
  readonly auditTokenId = 'auditor@pve!readonly';
  readonly auditTokenSecret = randomUUID();
  private readonly key = randomBytes(32);
  private readonly tickets = new Map<string, TicketInfo>();

  constructor(private readonly ticketLifetimeMs: number) {}

  /** Authenticates a request; throws 401 (the caller delays and empties the body). */
  authenticate(req: IncomingMessage): Principal {
    const authz = req.headers.authorization;
    if (authz && /^PVEAPIToken[= ]/.test(authz)) {
      const m = /^PVEAPIToken[= ]([^!=\s]+@[^!=\s]+)!([^=\s]+)[=:]([0-9a-f-]+)$/i.exec(authz.trim());
      if (!m) throw new ApiError(401, 'invalid token value!');
      const id = `${m[1]}!${m[2]}`;
      if (id === this.tokenId && m[3] === this.tokenSecret) return { id, user: m[1], token: true, privs: 'all' };
      if (id === this.auditTokenId && m[3] === this.auditTokenSecret) return { id, user: m[1], token: true, privs: AUDIT_PRIVS };
      throw new ApiError(401, 'Authentication failed!');
    }
    const ticket = cookie(req.headers.cookie, 'PVEAuthCookie');
    if (!ticket) throw new ApiError(401, 'No ticket');
    const info = this.verifyTicket(ticket);
    if (!info) throw new ApiError(401, 'Authentication failed!');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const csrf = req.headers.csrfpreventiontoken;
      if (csrf !== info.csrf) throw new ApiError(401, 'Permission denied - invalid csrf token');
    }
    return { id: info.user, user: info.user, token: false, privs: 'all' };
  }

  private verifyTicket(ticket: string): TicketInfo | undefined {
    const info = this.tickets.get(ticket);
    if (!info) return undefined;
    if (Date.now() - info.issued >= this.ticketLifetimeMs) {
      this.tickets.delete(ticket);
      return undefined;
    }
    return info;
  }

  /** POST /access/ticket: password login or renewal with a still-valid ticket as password. */
  createTicket(req: IncomingMessage, username: string, password: string, realm?: string): Record<string, unknown> {
    if (/^PVEAPIToken/.test(req.headers.authorization ?? '')) throw new ApiError(403, 'need proper ticket');
    const user = realm && !username.includes('@') ? `${username}@${realm}` : username;
    const renewed = password.startsWith('PVE:') ? this.verifyTicket(password) : undefined;
    const ok = renewed ? renewed.user === user : user === this.user && password === this.password;
    if (!ok) throw new ApiError(401, 'authentication failure');
    const stamp = Math.floor(Date.now() / 1000).toString(16).toUpperCase();
    const sig = createHmac('sha256', this.key).update(`${user}:${stamp}:${randomUUID()}`).digest('base64');
    const ticket = `PVE:${user}:${stamp}::${sig}`;
    const csrf = `${stamp}:${createHmac('sha256', this.key).update(ticket).digest('base64').replace(/=+$/, '')}`;
    this.tickets.set(ticket, { user, issued: Date.now(), csrf });
    return { username: user, ticket, CSRFPreventionToken: csrf, cap: CAP };
  }
}

/** Throws the real 403 unless `p` has the privileges on `path` (`any`: one of them suffices). */
export function checkPerm(p: Principal, path: string, privs: string[], any = false): void {
  if (p.privs === 'all') return;
  const have = p.privs;
  const ok = any ? privs.some((x) => have.has(x)) : privs.every((x) => have.has(x));
  if (ok) return;
  const shown = any ? privs.join('|') : privs.find((x) => !have.has(x));
  throw new ApiError(403, `Permission check failed (${path}, ${shown})`);
}

export function hasPriv(p: Principal, priv: string): boolean {
  return p.privs === 'all' || p.privs.has(priv);
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(/;\s*/)) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i) === name) {
      try {
        return decodeURIComponent(part.slice(i + 1));
      } catch {
        return part.slice(i + 1);
      }
    }
  }
  return undefined;
}

const all = (names: string[]) => Object.fromEntries(names.map((n) => [n, 1]));
const CAP = {
  vms: all(['VM.Allocate', 'VM.Audit', 'VM.Clone', 'VM.Config.CDROM', 'VM.Config.CPU', 'VM.Config.Cloudinit', 'VM.Config.Disk', 'VM.Config.HWType', 'VM.Config.Memory', 'VM.Config.Network', 'VM.Config.Options', 'VM.Console', 'VM.Migrate', 'VM.PowerMgmt', 'VM.Snapshot', 'VM.GuestAgent.Audit', 'VM.GuestAgent.Unrestricted', 'Permissions.Modify']),
  storage: all(['Datastore.Allocate', 'Datastore.AllocateSpace', 'Datastore.AllocateTemplate', 'Datastore.Audit', 'Permissions.Modify']),
  access: all(['Group.Allocate', 'Permissions.Modify', 'User.Modify']),
  nodes: all(['Sys.Audit', 'Sys.Console', 'Sys.Modify', 'Sys.PowerMgmt', 'Sys.Syslog', 'Permissions.Modify']),
  dc: all(['Sys.Audit', 'Sys.Modify', 'SDN.Allocate', 'SDN.Audit', 'SDN.Use']),
  sdn: all(['SDN.Allocate', 'SDN.Audit', 'SDN.Use', 'Permissions.Modify']),
  mapping: all(['Mapping.Audit', 'Mapping.Modify', 'Mapping.Use', 'Permissions.Modify']),
};
