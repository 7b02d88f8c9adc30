// One connection to a pod's port over the API (the pods/portforward subresource, WebSocket,
// v4.channel.k8s.io): no kubectl. Each local TCP connection gets its own WebSocket, as kubectl's
// and client-node's port-forwards do. Frames carry a channel byte: 0 data, 1 error (one port per
// stream). The server first sends each channel's port number (a frame of 2 bytes, little endian),
// not data; a first frame that is anything else is data (no server-side header is relied upon).
import type { KubeClient } from './client';
import { KubeError } from './errors';
import { openKubeSocket } from './websocket';
import { objectPath } from './resources';

export const PORTFORWARD_PROTOCOL = 'v4.channel.k8s.io';

export interface PortForwardStream {
  write(data: Buffer): void;
  close(): void;
  /** Resolves when the stream ended; with the error the server reported, if any. */
  closed: Promise<{ error?: string }>;
}


/** Checks a port number (a remote one: 1-65535; a local one may be 0, "any free port"). */
export function parsePort(input: string | number, allowZero = false): number {
  const n = typeof input === 'number' ? input : /^\s*\d{1,5}\s*$/.test(input) ? Number(input) : NaN;
  if (!Number.isInteger(n) || n > 65535 || n < (allowZero ? 0 : 1)) throw new KubeError('invalid', allowZero ? 'A port is a whole number from 0 (any free port) to 65535.' : 'A port is a whole number from 1 to 65535.');
  return n;
}

/**
 * Opens one stream to `port` of a pod. Resolves once the WebSocket is open; a refused upgrade
 * (pod gone, not running, forbidden) rejects with the server's Status as a KubeError.
 */
export async function openPortForward(client: KubeClient, namespace: string, pod: string, port: number, onData: (data: Buffer) => void): Promise<PortForwardStream> {
  parsePort(port);
  const path = objectPath('pods', namespace, pod, 'portforward');
  // A first frame of a channel that is exactly the port number (2 bytes) is the server's header.
  const header = Buffer.from([port & 0xff, (port >> 8) & 0xff]);
  const seen = new Set<number>();
  let error = '';
  let ended: (r: { error?: string }) => void = () => undefined;
  const closed = new Promise<{ error?: string }>((resolve) => { ended = resolve; });
  // Handlers go on before the socket opens: frames that come with the upgrade response (the header,
  // a container's greeting, an error) are emitted before an awaiting caller could attach its own.
  const sock = await openKubeSocket(client, `${path}?ports=${port}`, [PORTFORWARD_PROTOCOL], (s) => {
    s.on('close', () => ended(error ? { error } : {}));
    s.on('error', (e) => { error ||= e.message; });
    s.on('message', (data) => {
      if (data.length === 0) return;
      const ch = data[0];
      const payload = data.subarray(1);
      if (!seen.has(ch)) { seen.add(ch); if (payload.equals(header)) return; }
      if (!payload.length) return;
      if (ch === 0) onData(payload);
      else if (ch === 1) error += payload.toString('utf8');
    });
  });
  return {
    write: (d) => { if (sock.readyState === 1) sock.send(Buffer.concat([Buffer.from([0]), d])); },
    close: () => { if (sock.readyState <= 1) sock.close(1000); },
    closed,
  };
}
