// Pod port-forward over WebSocket (v4.channel.k8s.io), as kube-apiserver + kubelet serve it: for the
// i-th port of `?ports=`, channel 2i carries data and 2i+1 errors; the first frame the server sends
// on each channel is the port number (2 bytes, little endian). Each WebSocket is one connection to
// the pod's port. The "pod" is a local TCP server a test binds (`bindPort`), like logs and exec.
import { connect, type Socket } from 'node:net';
import type { WsSocket } from './ws';

export const PORTFORWARD_PROTOCOLS = ['v4.channel.k8s.io'];

/** Where connections to a pod's port go: a local TCP port, or undefined (nothing listens). */
export type PortResolver = (namespace: string, pod: string, port: number) => number | undefined;

export function runPortForward(ws: WsSocket, ctx: { namespace: string; pod: string; ports: number[]; header: boolean; resolve: PortResolver }): { close(): void } {
  const sockets: Socket[] = [];
  const portBytes = (p: number) => Buffer.from([p & 0xff, (p >> 8) & 0xff]);
  const send = (ch: number, data: Buffer) => { if (ws.readyState === 1) ws.send(Buffer.concat([Buffer.from([ch]), data])); };
  const fail = (i: number, message: string) => { send(2 * i + 1, Buffer.from(message)); ws.close(1000); };
  ctx.ports.forEach((port, i) => {
    if (ctx.header) {
      send(2 * i, portBytes(port));
      send(2 * i + 1, portBytes(port));
    }
    const local = ctx.resolve(ctx.namespace, ctx.pod, port);
    if (local === undefined) { fail(i, `error forwarding port ${port} to pod ${ctx.pod}: connection refused (nothing listens on ${port})`); return; }
    const s = connect(local, '127.0.0.1');
    sockets[i] = s;
    s.on('data', (d: Buffer) => send(2 * i, d));
    s.on('error', (e) => fail(i, `error forwarding port ${port} to pod ${ctx.pod}: ${e.message}`));
    s.on('close', () => { if (ws.readyState === 1) ws.close(1000); });
  });
  ws.on('message', (data) => {
    if (data.length === 0) return;
    const ch = data[0];
    if (ch % 2 === 0) sockets[ch / 2]?.write(data.subarray(1));
  });
  ws.on('close', () => { for (const s of sockets) s?.destroy(); });
  return { close: () => { for (const s of sockets) s?.destroy(); ws.terminate(); } };
}
