// Typed Kubernetes errors with messages a user can act on. Built from kube-apiserver Status
// objects (HTTP errors and watch ERROR events), network failures and kubeconfig problems.
import { decodePercent } from '../percent';

export type KubeErrorKind =
  | 'unreachable' // network/TLS: cannot talk to the API server
  | 'unauthorized' // 401: credentials rejected (expired token, wrong cert)
  | 'forbidden' // 403: RBAC denied
  | 'notFound' // 404
  | 'alreadyExists' // 409 AlreadyExists
  | 'conflict' // 409 Conflict (resourceVersion mismatch, apply field conflict)
  | 'gone' // 410: resourceVersion too old (watches relist)
  | 'invalid' // 422, or rejected locally before sending
  | 'badRequest' // 400
  | 'server' // 5xx and anything else
  | 'config'; // kubeconfig/credential problem on this machine

export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

export interface RequestContext {
  method?: string;
  path?: string;
  server?: string;
  context?: string;
}

export class KubeError extends Error {
  override readonly name = 'KubeError';
  constructor(
    readonly kind: KubeErrorKind,
    message: string,
    readonly extra: { httpStatus?: number; reason?: string; namespace?: string; resource?: string; objectName?: string; causes?: { field?: string; message?: string }[]; cause?: unknown } = {},
  ) {
    super(message);
  }
  get httpStatus(): number | undefined { return this.extra.httpStatus; }
}

/** `/api/v1/namespaces/ns/pods/x` -> { namespace: 'ns', resource: 'pods', name: 'x' } */
export function describePath(path: string | undefined): { namespace?: string; resource?: string; name?: string } {
  if (!path) return {};
  const p = path.split('?')[0].split('/').filter(Boolean);
  const i = p.indexOf('namespaces');
  const rest = p.slice(p[0] === 'api' ? 2 : 3);
  if (i >= 0 && p.length > i + 2) return { namespace: decodePercent(p[i + 1]), resource: p[i + 2], name: p[i + 3] && decodePercent(p[i + 3]) };
  if (rest[0] === 'namespaces' && rest[1]) return { namespace: decodePercent(rest[1]), resource: 'namespaces', name: decodePercent(rest[1]) };
  return { resource: rest[0], name: rest[1] && decodePercent(rest[1]) };
}

function isStatus(v: unknown): v is KubeStatus {
  return typeof v === 'object' && v !== null && (v as KubeStatus).kind === 'Status';
}

export function fromStatus(httpStatus: number, body: unknown, ctx: RequestContext = {}): KubeError {
  const st: KubeStatus = isStatus(body) ? body : { message: typeof body === 'string' ? body.slice(0, 300) : undefined };
  const where = describePath(ctx.path);
  const ns = where.namespace;
  const name = st.details?.name || where.name;
  const resource = where.resource;
  const serverMsg = st.message ?? '';
  const base = { httpStatus, reason: st.reason, namespace: ns, resource, objectName: name, causes: st.details?.causes };
  const ctxName = ctx.context ? ` of context "${ctx.context}"` : '';
  switch (httpStatus) {
    case 401:
      return new KubeError('unauthorized', `The Kubernetes API server rejected the credentials${ctxName} (401 Unauthorized). The token or certificate has probably expired or been revoked: get a fresh kubeconfig (on K3s: /etc/rancher/k3s/k3s.yaml) and try again.`, base);
    case 403:
      return new KubeError('forbidden', ns
        ? `Access to namespace "${ns}" is forbidden (403): ${serverMsg || 'RBAC denied the request'}. Ask a cluster admin for a Role in "${ns}" or pick another namespace.`
        : `Forbidden (403): ${serverMsg || 'RBAC denied the request'}. Ask a cluster admin for access.`, base);
    case 404:
      return new KubeError('notFound', `${resource ?? 'Object'}${name ? ` "${name}"` : ''} was not found${ns ? ` in namespace "${ns}"` : ''}; it may have been deleted. Refresh the view.`, base);
    case 409:
      if (st.reason === 'AlreadyExists') return new KubeError('alreadyExists', `${resource ?? 'Object'} "${name ?? ''}" already exists${ns ? ` in namespace "${ns}"` : ''}. Choose another name or apply instead of create.`, base);
      return new KubeError('conflict', `${resource ?? 'Object'}${name ? ` "${name}"` : ''} was changed by someone else (409 Conflict): ${serverMsg} Reload it and try again.`, base);
    case 410:
      return new KubeError('gone', `The resource version is too old (410 Gone): ${serverMsg}`, base);
    case 422: {
      const causes = (st.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`).join('; ');
      return new KubeError('invalid', `The Kubernetes API server rejected the change as invalid (422): ${causes || serverMsg}`, base);
    }
    case 400:
      return new KubeError('badRequest', `Bad request (400): ${serverMsg || 'the API server did not accept the request'}`, base);
    default:
      return new KubeError('server', `The Kubernetes API server failed (${httpStatus}${st.reason ? ' ' + st.reason : ''}): ${serverMsg || 'no details'}. Try again; if it persists check the API server's logs.`, base);
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const TLS_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_SSL_WRONG_VERSION_NUMBER']);

export function fromNetworkError(err: unknown, ctx: RequestContext = {}): KubeError {
  if (err instanceof KubeError) return err;
  const code = String((err as { code?: string })?.code ?? '');
  const msg = (err as Error)?.message ?? String(err);
  const server = ctx.server ?? 'the API server';
  if (TLS_CODES.has(code)) {
    return new KubeError('unreachable', `The TLS certificate of ${server} could not be verified (${code}). The kubeconfig's certificate-authority does not match this server: refresh the kubeconfig.`, { cause: err });
  }
  if (NETWORK_CODES.has(code) || /socket hang up|ECONNREFUSED|timeout/i.test(msg)) {
    return new KubeError('unreachable', `Cannot reach the Kubernetes API server at ${server} (${code || msg}). Check that the cluster is running and that the server address in your kubeconfig is reachable from here.`, { cause: err });
  }
  return new KubeError('unreachable', `Request to ${server} failed: ${msg}`, { cause: err });
}

export function isKubeError(e: unknown, kind?: KubeErrorKind): e is KubeError {
  return e instanceof KubeError && (kind === undefined || e.kind === kind);
}
