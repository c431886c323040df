/**
 * A loopback forward proxy for tests: CONNECT tunnels and absolute-URI forwarding for http targets,
 * to loopback targets only. Records what went through it.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';

/** A running test proxy. */
export interface TestProxy {
  /** `http://127.0.0.1:port` */
  url: string;
  /** `CONNECT host:port` targets, in order. */
  tunnels: string[];
  /** Absolute URIs forwarded without a tunnel, in order. */
  forwarded: string[];
  /** `Proxy-Authorization` headers received. */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

/** Starts the proxy on 127.0.0.1, port 0. */
export async function startTestProxy(): Promise<TestProxy> {
  const tunnels: string[] = [];
  const forwarded: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    authorizations.push(req.headers['proxy-authorization']);
    const target = new URL(req.url ?? '');
    forwarded.push(target.href);
    if (!isLoopback(target.hostname)) {
      res.writeHead(403);
      res.end('test proxy only forwards to loopback');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers,
      },
      (upstreamResponse) => {
        res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, clientSocket: Socket, head: Buffer) => {
    authorizations.push(req.headers['proxy-authorization']);
    const target = req.url ?? '';
    tunnels.push(target);
    const match = /^(.+):(\d+)$/.exec(target);
    const host = match?.[1]?.replace(/^\[(.*)\]$/, '$1') ?? '';
    if (!match || !isLoopback(host)) {
      clientSocket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    sockets.add(clientSocket);
    clientSocket.on('close', () => sockets.delete(clientSocket));
    const upstream = connect(Number(match[2]), host, () => {
      clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(clientSocket);
      clientSocket.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => clientSocket.destroy());
    clientSocket.on('error', () => upstream.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    forwarded,
    authorizations,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** How a hostile proxy behaves once a client has sent its `CONNECT`. */
export type HostileBehaviour =
  /** Reads and never writes. */
  | 'stall'
  /** Closes the connection without answering. */
  | 'close'
  /** Answers with garbage instead of an HTTP response. */
  | 'garbage'
  /** Answers 200, then answers whatever comes through the tunnel with garbage. */
  | 'ok-then-garbage'
  /** Answers 200, then never writes again. */
  | 'ok-then-silence'
  /** Answers 200, then closes the tunnel when the first bytes come through. */
  | 'ok-then-close';

/** A running hostile proxy: counts the connections it accepted. */
export interface HostileProxy {
  /** `http://127.0.0.1:port` */
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections still open. */
  readonly open: number;
  close(): Promise<void>;
}

/**
 * A proxy that accepts TCP and then misbehaves as told. It never connects anywhere: what a client
 * sends only reaches this loopback socket.
 */
export async function startHostileProxy(behaviour: HostileBehaviour): Promise<HostileProxy> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    let tunnelled = false;
    socket.on('data', (chunk: Buffer) => {
      if (tunnelled) {
        if (behaviour === 'ok-then-garbage') socket.write('\u0000garbage\r\n\r\nHTTP/9 ???\r\n');
        else if (behaviour === 'ok-then-close') socket.destroy();
        return;
      }
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n') || head.length > 64 * 1024) return;
      if (behaviour === 'stall') return;
      if (behaviour === 'close') {
        socket.destroy();
        return;
      }
      if (behaviour === 'garbage') {
        socket.write('\u0000\u0001 not HTTP at all \r\n\r\n');
        return;
      }
      tunnelled = true;
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get open() {
      return sockets.size;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
