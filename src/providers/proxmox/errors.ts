// Typed errors for everything the Proxmox client can meet. The UI branches on `kind`
// and shows `message`, which names what is wrong and what to do; secrets never appear in it.

export type ProxmoxErrorKind =
  | 'auth' // 401
  | 'permission' // 403
  | 'parameter' // 400 (and other 4xx that are about the request)
  | 'server' // 5xx
  | 'not-implemented' // 501
  | 'node-offline' // 595/596: the node that should answer is unreachable from the cluster
  | 'timeout'
  | 'network'
  | 'tls-untrusted' // fingerprint mismatch or certificate not signed by the configured CA
  | 'not-proxmox' // HTML, non-JSON, wrong envelope, wrong protocol
  | 'too-large'; // a response past the size limit (read no further)

export interface ProxmoxErrorInit {
  kind: ProxmoxErrorKind;
  message: string;
  method?: string;
  path?: string;
  status?: number;
  reason?: string;
  pveMessage?: string;
  errors?: Record<string, string>;
  expectedFingerprint?: string;
  actualFingerprint?: string;
  cause?: unknown;
}

export class ProxmoxError extends Error {
  override readonly name = 'ProxmoxError';
  readonly kind: ProxmoxErrorKind;
  /** HTTP status, 0 when no answer came (timeout, network, TLS). */
  readonly status: number;
  /** HTTP reason phrase: where PVE puts its error message. */
  readonly reason: string;
  /** Per-parameter messages of a 400 `Parameter verification failed.` */
  readonly errors?: Record<string, string>;
  /** `message` of the JSON body (PVE 2025+), trimmed. */
  readonly pveMessage?: string;
  readonly method: string;
  /** API path relative to /api2/json, without the query string. */
  readonly path: string;
  readonly expectedFingerprint?: string;
  readonly actualFingerprint?: string;

  constructor(init: ProxmoxErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.status = init.status ?? 0;
    this.reason = init.reason ?? '';
    this.errors = init.errors;
    this.pveMessage = init.pveMessage;
    this.method = init.method ?? '';
    this.path = init.path ?? '';
    this.expectedFingerprint = init.expectedFingerprint;
    this.actualFingerprint = init.actualFingerprint;
  }
}

export function isProxmoxError(e: unknown, kind?: ProxmoxErrorKind): e is ProxmoxError {
  return e instanceof ProxmoxError && (kind === undefined || e.kind === kind);
}

/** Thrown synchronously for bad user input (URL, token id, fingerprint...); `field` names the input. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/** Maps an HTTP status to the kind the UI cares about. */
export function kindForStatus(status: number): ProxmoxErrorKind {
  if (status === 400) return 'parameter';
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 501) return 'not-implemented';
  if (status === 595 || status === 596) return 'node-offline';
  // PVE never redirects API calls nor answers 404 for an API path: something else is listening.
  if (status === 404 || (status >= 300 && status < 400)) return 'not-proxmox';
  if (status >= 400 && status < 500) return 'parameter';
  return 'server';
}

/** Replaces every occurrence of the given secrets, so no error text can leak them. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}
