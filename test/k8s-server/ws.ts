// Minimal typing of the `ws` package (present as a dependency of @kubernetes/client-node; no @types/ws).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export interface WsSocket {
  readonly protocol: string;
  readonly readyState: number;
  send(data: Buffer | string, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(ev: 'message', cb: (data: Buffer, isBinary: boolean) => void): this;
  on(ev: 'close', cb: (code: number, reason: Buffer) => void): this;
  on(ev: 'error', cb: (err: Error) => void): this;
}
export interface WsServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WsSocket) => void): void;
  close(): void;
}
interface WsModule {
  WebSocketServer: new (opts: { noServer: true; handleProtocols?: (protocols: Set<string>) => string | false }) => WsServer;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const ws: WsModule = require('ws');
