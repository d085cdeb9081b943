/**
 * Real servers for tests, all on 127.0.0.1 with an ephemeral port (listen on 0). Each helper
 * returns `{ port, close(), … }`; `close()` destroys every open connection, so a test never
 * waits for a hung client or leaves a socket behind.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';

export const LOCALHOST = '127.0.0.1';

/** Connection counts of a server: how many ever, how many now, the most at once. */
export type ConnectionStats = {
  /** Connections accepted since the server started. */
  readonly total: number;
  /** Connections open now. */
  readonly open: number;
  /** The most connections open at the same time. */
  readonly peak: number;
};

/** A server running on an ephemeral port. */
export type RunningServer = {
  port: number;
  connections: ConnectionStats;
  /** Destroys every open connection and stops listening. */
  close(): Promise<void>;
};

/** An HTTP(S) server that also counts the requests it saw. */
export type RunningHttpServer = RunningServer & {
  /** "http://127.0.0.1:<port><path>" (https for startHttpsServer). */
  url(path?: string): string;
  /** Every request seen so far, in order. */
  requests: RecordedRequest[];
};

/** What the server saw of one request. */
export type RecordedRequest = {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The request body; only read for requests that declare one. */
  body: string;
};

export type HttpHandler = (req: http.IncomingMessage, res: http.ServerResponse, request: RecordedRequest) => void;

/** Tracks the sockets of a server so close() can destroy them and tests can count them. */
export function trackConnections(server: TcpServer): { stats: ConnectionStats; destroyAll(): void } {
  const sockets = new Set<Socket>();
  const stats = { total: 0, open: 0, peak: 0 };
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    stats.total += 1;
    stats.open = sockets.size;
    stats.peak = Math.max(stats.peak, sockets.size);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      sockets.delete(socket);
      stats.open = sockets.size;
    });
  });
  return {
    stats,
    destroyAll() {
      for (const socket of sockets) socket.destroy();
    },
  };
}

export function listen(server: TcpServer, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOCALHOST, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

function closer(server: TcpServer, destroyAll: () => void): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      destroyAll();
      server.close(() => resolve());
    });
}

async function startRecordingServer(
  server: http.Server | https.Server,
  handler: HttpHandler,
  scheme: 'http' | 'https',
): Promise<RunningHttpServer> {
  const requests: RecordedRequest[] = [];
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const request: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: '' };
    requests.push(request);
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) return handler(req, res, request);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      request.body = Buffer.concat(chunks).toString('utf8');
      handler(req, res, request);
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  const tracked = trackConnections(server);
  const port = await listen(server);
  return {
    port,
    connections: tracked.stats,
    requests,
    url: (path = '/') => `${scheme}://${LOCALHOST}:${port}${path}`,
    close: closer(server, tracked.destroyAll),
  };
}

/** Starts an HTTP server whose every request goes to `handler` (after its body was read). */
export function startHttpServer(handler: HttpHandler): Promise<RunningHttpServer> {
  return startRecordingServer(http.createServer(), handler, 'http');
}

/**
 * Starts an HTTPS server with a self-signed certificate for localhost and 127.0.0.1 (valid until
 * 2126), which a client that verifies certificates must refuse.
 */
export function startHttpsServer(handler: HttpHandler): Promise<RunningHttpServer> {
  return startRecordingServer(https.createServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT }), handler, 'https');
}

/** Replies `status` with `body` (a string, or an object sent as JSON) and optional headers. */
export function reply(status: number, body: string | object = '', headers: http.OutgoingHttpHeaders = {}): HttpHandler {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain' : 'application/json';
  return (_req, res) => {
    res.writeHead(status, { 'content-type': type, ...headers });
    res.end(text);
  };
}

/** A handler that sends headers and never answers further (no body, no end). */
export const neverEnd: HttpHandler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.flushHeaders();
};

/** A TCP server that runs `onConnection` for each accepted socket, on `port` (default: any free one). */
export async function startTcpServer(onConnection: (socket: Socket) => void = () => undefined, port = 0): Promise<RunningServer> {
  const server = createTcpServer(onConnection);
  const tracked = trackConnections(server);
  port = await listen(server, port);
  return { port, connections: tracked.stats, close: closer(server, tracked.destroyAll) };
}

/** A listener that accepts connections and never says a word: the classic hung service. */
export function startHangingListener(): Promise<RunningServer> {
  // Read and drop what clients send, so a client hanging up is seen (and counted as closed).
  return startTcpServer((socket) => socket.resume());
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Something a test started and must stop. */
export type Closable = { close(): Promise<void> };

/**
 * Collects what a test file starts so one hook closes it all:
 * `const servers = serverScope(); afterEach(() => servers.closeAll());`
 * then `const api = await servers.add(startHttpServer(reply(200, 'ok')));`.
 */
export function serverScope(): { add<T extends Closable>(server: T | Promise<T>): Promise<T>; closeAll(): Promise<void> } {
  let open: Closable[] = [];
  return {
    async add(server) {
      const running = await server;
      open.push(running);
      return running;
    },
    async closeAll() {
      const closing = open;
      open = [];
      await Promise.all(closing.map((server) => server.close()));
    },
  };
}

/** Generated once with openssl (EC P-256, CN=localhost, SAN localhost + 127.0.0.1, 100 years). */
export const SELF_SIGNED_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcr8xbbyNVG8QLrvW
JJGYcFI+ka1aghNHIrm7oi3FJ4ehRANCAASBr9Kt0K0Xtvpwvn3hSF+HwT2xbQA/
CYtNYQRaiZK7MUx18kxWI59Okb3LmRTyoheX9sU3/IZQPEkmEYnyZqfE
-----END PRIVATE KEY-----
`;

export const SELF_SIGNED_CERT = `-----BEGIN CERTIFICATE-----
MIIBnDCCAUGgAwIBAgIUIA+85fTLkYQT9KtaCzTen98KZyAwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMjEyMzIyNloYDzIxMjYxMDI5
MTIzMjI2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASBr9Kt0K0Xtvpwvn3hSF+HwT2xbQA/CYtNYQRaiZK7MUx18kxWI59O
kb3LmRTyoheX9sU3/IZQPEkmEYnyZqfEo28wbTAdBgNVHQ4EFgQUH8yEgfSmgwvi
zgqTRjMtdQpBz2kwHwYDVR0jBBgwFoAUH8yEgfSmgwvizgqTRjMtdQpBz2kwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSQAwRgIhAPsC7Q9FYyfoSRn1SGM48/nxMGRkXOZEB4axIlmRWAf0AiEA
yYbXfRIZaJEj/W/kP4wkcSIUiZkLZaSiJxp9yRC+Ho0=
-----END CERTIFICATE-----
`;
