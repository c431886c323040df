/**
 * Opens the connections the client's own Agent sends on: TCP (to the proxy when one applies),
 * the proxy's `CONNECT` tunnel, then TLS for https: origins.
 *
 * Ours rather than undici's proxy agent, for three reasons: undici's `connect.timeout` does not
 * cover the `CONNECT` exchange (a proxy that never answers held a call for 5 minutes); a
 * tunnel that fails with a socket error made undici reconnect at once, forever (it retries
 * socket errors while no request runs); and one Agent per client now serves every per-call
 * connect limit (the attempt's own timer enforces it), so the sockets stay bounded.
 * Sending no `Proxy-Connection` or other extra headers: `Host` and, from the proxy URL,
 * `Proxy-Authorization: Basic`.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { type ProxySettings, proxyCredentials, proxyFor } from '../config/proxy.js';

/** What undici passes to a connector (the fields used here). */
export interface ConnectTarget {
  /** Host name or IP address, IPv6 without brackets. */
  hostname: string;
  /** `http:` or `https:`. */
  protocol: string;
  /** The port, empty for the protocol's default. */
  port: string;
  /** TLS server name, when undici has one. */
  servername?: string | null;
}

/** undici's connector callback. */
export type ConnectCallback = (...args: [null, Socket | TLSSocket] | [Error, null]) => void;

/**
 * Extra TLS and addressing settings of a connector (the XKS client's): trusted CAs, a client
 * certificate, and a `--connect-to` style map. Certificates are still checked against the host
 * name of the URL, which is also the SNI name, wherever the connection is sent.
 */
export interface ConnectorTlsOptions {
  /** PEM CA certificate(s) to trust, in addition to Node's list (`tls.rootCertificates`). */
  ca?: string | readonly string[] | undefined;
  /** PEM client certificate chain (mTLS), with its `key`. */
  cert?: string | undefined;
  /** PEM private key of `cert`. */
  key?: string | undefined;
  /** Passphrase of `key`, when it is encrypted. */
  passphrase?: string | undefined;
  /**
   * Where to open the TCP connection for `host` and `port` instead of resolving the host:
   * `{ host, port }`, or undefined to connect as usual.
   */
  connectTo?:
    | ((host: string, port: number) => { host: string; port: number } | undefined)
    | undefined;
}

/** A connector for undici's `connect` option, and a way to end what it has under way. */
export interface Connector {
  connect(target: ConnectTarget, callback: ConnectCallback): void;
  /** Destroys every connection still being opened; each fails with `reason`. */
  destroyPending(reason: Error): void;
}

/**
 * node:tls, loaded by the first TLS connection: a plain-http endpoint (the emulator, a loopback
 * test server) never needs it, and loading it is milliseconds of a short CLI run on Node 20.
 */
function tlsConnect(options: ConnectionOptions): TLSSocket {
  return process.getBuiltinModule('node:tls').connect(options);
}

/** Longest CONNECT response head read from a proxy. */
const maxProxyHeadBytes = 16 * 1024;
const defaultPorts: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/**
 * @param proxy - from `proxySettingsFromEnv`; undefined to connect directly.
 * @param limitMs - read at each connect: the longest it may take, whatever the attempt's own
 *   limit (at least the longest connect limit in use, so no attempt is cut short).
 */
export function createConnector(
  proxy: ProxySettings | undefined,
  limitMs: () => number,
  tls?: ConnectorTlsOptions,
): Connector {
  const pending = new Set<(reason: Error) => void>();
  return {
    connect(target, callback) {
      const attempt = openConnection(target, proxy, limitMs(), tls, (error, socket) => {
        pending.delete(attempt);
        if (error) callback(error, null);
        else if (socket) callback(null, socket);
      });
      pending.add(attempt);
    },
    destroyPending(reason) {
      for (const fail of [...pending]) fail(reason);
    },
  };
}

/** An error undici and the request path recognise as a connect timeout. */
function connectTimeout(limitMs: number): Error {
  return Object.assign(new Error(`Connection not established within ${limitMs} ms`), {
    code: 'UND_ERR_CONNECT_TIMEOUT',
    timeout: limitMs,
  });
}

function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Starts one connection; returns the function that ends it early. */
function openConnection(
  target: ConnectTarget,
  proxySettings: ProxySettings | undefined,
  limitMs: number,
  tlsOptions: ConnectorTlsOptions | undefined,
  done: (error: Error | null, socket?: Socket) => void,
): (reason: Error) => void {
  const port = Number(target.port) || defaultPorts[target.protocol] || 0;
  const host = isIP(target.hostname) === 6 ? `[${target.hostname}]` : target.hostname;
  const servername = target.servername || (isIP(target.hostname) ? undefined : target.hostname);
  const proxy = proxyFor(new URL(`${target.protocol}//${host}:${port}`), proxySettings);
  const sockets: Socket[] = [];
  let finished = false;

  const onError = (error: Error) => finish(error);
  const finish = (error: Error | null, socket?: Socket) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    for (const each of sockets) each.removeListener('error', onError);
    if (error) {
      // A late error from a destroyed socket must not be unhandled.
      for (const each of sockets) each.on('error', () => {}).destroy();
      done(error);
    } else {
      done(null, socket);
    }
  };
  const track = <S extends Socket>(socket: S): S => {
    sockets.push(socket);
    socket.on('error', onError);
    return socket;
  };
  const timer = setTimeout(() => finish(connectTimeout(limitMs)), limitMs);

  // Where the TCP connection goes: the URL's host, or where `connectTo` sends it.
  const dial = tlsOptions?.connectTo?.(target.hostname, port) ?? { host: target.hostname, port };
  const secure = (socket: Socket | undefined, then: (tlsSocket: TLSSocket) => void) => {
    // `host` with the tunnel's socket too: without it Node checks the certificate against the
    // name the socket was opened to, i.e. the proxy's, whenever there is no SNI (an IP endpoint).
    const tlsSocket = track(
      tlsConnect({
        ...(socket ? { socket, host: target.hostname } : { host: dial.host, port: dial.port }),
        servername,
        ALPNProtocols: ['http/1.1'],
        ...(tlsOptions && extraTls(tlsOptions, target.hostname)),
      }),
    );
    tlsSocket.once('secureConnect', () => then(tlsSocket));
  };
  const tcp = (hostname: string, tcpPort: number, then: (socket: Socket) => void) => {
    const socket = track(netConnect({ host: hostname, port: tcpPort }));
    socket.setNoDelay(true);
    socket.once('connect', () => then(socket));
  };
  const ready = (socket: Socket) => {
    socket.setKeepAlive(true, 60_000);
    finish(null, socket);
  };

  try {
    if (!proxy) {
      if (target.protocol === 'https:') secure(undefined, ready);
      else tcp(dial.host, dial.port, ready);
    } else {
      const proxyUrl = new URL(proxy);
      const proxyHost = proxyUrl.hostname.replace(/^\[(.*)\]$/, '$1');
      const proxyPort = Number(proxyUrl.port) || defaultPorts[proxyUrl.protocol] || 0;
      const throughTunnel = (proxySocket: Socket) =>
        openTunnel(proxySocket, `${host}:${port}`, proxyUrl, (error) => {
          if (error) finish(error);
          else if (target.protocol === 'https:') secure(proxySocket, ready);
          else ready(proxySocket);
        });
      if (proxyUrl.protocol === 'https:') {
        const tlsSocket = track(
          tlsConnect({
            host: proxyHost,
            port: proxyPort,
            servername: isIP(proxyHost) ? undefined : proxyHost,
            ALPNProtocols: ['http/1.1'],
          }),
        );
        tlsSocket.once('secureConnect', () => throughTunnel(tlsSocket));
      } else {
        tcp(proxyHost, proxyPort, throughTunnel);
      }
    }
  } catch (error) {
    finish(error as Error);
  }
  return (reason) => finish(reason);
}

/** The TLS options of {@link ConnectorTlsOptions}; the identity is always the URL's host. */
function extraTls(options: ConnectorTlsOptions, hostname: string): ConnectionOptions {
  const tls = process.getBuiltinModule('node:tls');
  const extra: ConnectionOptions = {
    checkServerIdentity: (_host, certificate) => tls.checkServerIdentity(hostname, certificate),
  };
  if (options.ca !== undefined) {
    const added = typeof options.ca === 'string' ? [options.ca] : [...options.ca];
    extra.ca = [...tls.rootCertificates, ...added];
  }
  if (options.cert !== undefined) extra.cert = options.cert;
  if (options.key !== undefined) extra.key = options.key;
  if (options.passphrase !== undefined) extra.passphrase = options.passphrase;
  return extra;
}

/**
 * Sends `CONNECT authority` on a connected proxy socket and reads the answer's head. A proxy
 * that closes, answers garbage or anything but 200 fails with a code undici does not retry on
 * its own (so each attempt of a call costs one connection).
 */
function openTunnel(
  socket: Socket,
  authority: string,
  proxyUrl: URL,
  then: (error: Error | null) => void,
): void {
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  // Checked when the variable was read (a bad % escape is a KmsConfigError there).
  const user = proxyCredentials(proxyUrl);
  if (user) lines.push(`Proxy-Authorization: Basic ${Buffer.from(user).toString('base64')}`);
  let head = Buffer.alloc(0);
  const cleanUp = () => {
    socket.removeListener('data', onData);
    socket.removeListener('end', onClose);
    socket.removeListener('close', onClose);
  };
  const onClose = () => {
    cleanUp();
    then(codedError('Proxy closed the connection before answering CONNECT', 'ECONNRESET'));
  };
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end === -1) {
      if (head.length > maxProxyHeadBytes) {
        cleanUp();
        then(codedError('Proxy answered CONNECT with an oversized response', 'EPROTO'));
      }
      return;
    }
    cleanUp();
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1];
    if (status === undefined) {
      then(codedError('Proxy answered CONNECT with something other than HTTP', 'EPROTO'));
      return;
    }
    if (status !== '200') {
      then(codedError(`Proxy answered CONNECT with HTTP ${status}`, 'ERR_PROXY_CONNECT'));
      return;
    }
    // Through the tunnel the client speaks first (TLS hello, or the request): a proxy that
    // already sent more is not a tunnel to trust.
    if (head.length > end + 4) {
      then(codedError('Proxy sent data before the tunnel was used', 'EPROTO'));
      return;
    }
    then(null);
  };
  socket.on('data', onData);
  socket.once('end', onClose);
  socket.once('close', onClose);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
}
