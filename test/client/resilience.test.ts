import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  KMSInternalException,
  KmsClient,
  type KmsClientConfig,
  KmsError,
  KmsNetworkError,
  KmsServiceException,
  KmsTimeoutError,
} from '../../src/index.js';
import { writeHungCredentialProcess } from '../config/helpers.js';
import {
  kmsError,
  type LoopbackServer,
  okHandler,
  startLoopbackServer,
} from '../helpers/loopback.js';
import { parseAuthorization } from '../helpers/sigv4.js';

const credentials = { accessKeyId: 'AKIDRESILIENCE', secretAccessKey: 'resilience-secret' };

let server: LoopbackServer;
const clients: KmsClient[] = [];

function newClient(config: KmsClientConfig = {}): KmsClient {
  const client = new KmsClient({
    region: 'eu-west-1',
    endpoint: server.url,
    credentials,
    ...config,
  });
  clients.push(client);
  return client;
}

beforeEach(async () => {
  server = await startLoopbackServer();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await server.close();
});

/**
 * A client whose endpoint refuses connections: the port of a server just closed. A fresh server
 * takes its place for afterEach.
 */
async function deadEndpointClient(): Promise<KmsClient> {
  const dead = server;
  // Start the replacement first, so that it cannot be given the port being closed.
  server = await startLoopbackServer();
  await dead.close();
  return newClient({ endpoint: `http://127.0.0.1:${dead.port}` });
}

/** Parses x-amz-date (YYYYMMDDTHHMMSSZ) to epoch ms. */
function amzDateMs(value: unknown): number {
  const s = String(value);
  return Date.UTC(
    +s.slice(0, 4),
    +s.slice(4, 6) - 1,
    +s.slice(6, 8),
    +s.slice(9, 11),
    +s.slice(11, 13),
    +s.slice(13, 15),
  );
}

describe('retries', () => {
  it('throttling, then success: attempts and totalRetryDelay are exact', async () => {
    const arrivals: number[] = [];
    server.handle((_req, res, index) => {
      arrivals.push(Date.now());
      if (index < 2)
        kmsError(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
      else okHandler(_req, res, index);
    });
    const result = await newClient().disconnectCustomKeyStore('cks-1');
    expect(result.$metadata.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
    // The recorded delay is what the client slept: the gaps between arrivals are at least that.
    const gaps = arrivals[2]! - arrivals[0]!;
    expect(gaps).toBeGreaterThanOrEqual(result.$metadata.totalRetryDelay - 5);
    // Throttling backs off from 500 ms: at most 500 + 1000 ms of jitter in total.
    expect(result.$metadata.totalRetryDelay).toBeLessThanOrEqual(1500);
  });

  it('any 429 is throttling and retried', async () => {
    server.handle((_req, res, index) => {
      if (index === 0) {
        res.writeHead(429);
        res.end();
      } else okHandler(_req, res, index);
    });
    const result = await newClient().disconnectCustomKeyStore('cks-1');
    expect(result.$metadata.attempts).toBe(2);
  });

  it('500s until maxAttempts, then the last error', async () => {
    server.handle((_req, res) =>
      kmsError(res, 500, { __type: 'KMSInternalException', message: 'boom' }),
    );
    const error = await newClient({ maxAttempts: 4 })
      .disconnectCustomKeyStore('cks-1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KMSInternalException);
    expect((error as KMSInternalException).$metadata.attempts).toBe(4);
    expect(server.requests).toHaveLength(4);
  });

  it('AWS_MAX_ATTEMPTS sets the attempts when the config does not', async () => {
    const saved = process.env.AWS_MAX_ATTEMPTS;
    process.env.AWS_MAX_ATTEMPTS = '2';
    try {
      server.handle((_req, res) => kmsError(res, 503, ''));
      const error = await newClient()
        .disconnectCustomKeyStore('cks-1')
        .catch((e: unknown) => e);
      expect((error as KmsServiceException).$metadata.attempts).toBe(2);
      expect(server.requests).toHaveLength(2);
    } finally {
      if (saved === undefined) delete process.env.AWS_MAX_ATTEMPTS;
      else process.env.AWS_MAX_ATTEMPTS = saved;
    }
  });

  it("a profile's max_attempts sets the attempts when config and environment do not", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-cks-attempts-'));
    const saved = { ...process.env };
    try {
      writeFileSync(join(dir, 'config'), '[profile ops]\nmax_attempts = 4\n');
      process.env.AWS_CONFIG_FILE = join(dir, 'config');
      process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
      delete process.env.AWS_MAX_ATTEMPTS;
      server.handle((_req, res) => kmsError(res, 500, { __type: 'KMSInternalException' }));
      const error = (await newClient({ profile: 'ops' })
        .disconnectCustomKeyStore('cks-1')
        .catch((e: unknown) => e)) as KmsServiceException;
      expect(error.$metadata.attempts).toBe(4);
      expect(server.requests).toHaveLength(4);
    } finally {
      process.env = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a 503 HTML page is retried and surfaces with status and excerpt', async () => {
    server.handle((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><title>503 Service Temporarily Unavailable</title></html>');
    });
    const error = (await newClient()
      .disconnectCustomKeyStore('cks-1')
      .catch((e: unknown) => e)) as KmsServiceException;
    expect(error).toBeInstanceOf(KmsServiceException);
    expect(error.name).toBe('ServiceUnavailable');
    expect(error.$fault).toBe('server');
    expect(error.$metadata.httpStatusCode).toBe(503);
    expect(error.$metadata.attempts).toBe(3);
    expect(error.bodyExcerpt).toContain('503 Service Temporarily Unavailable');
  });

  it('honours Retry-After', async () => {
    server.handle((_req, res, index) => {
      if (index === 0) kmsError(res, 503, { __type: 'ServiceUnavailable' }, { 'retry-after': '1' });
      else okHandler(_req, res, index);
    });
    const result = await newClient().disconnectCustomKeyStore('cks-1');
    expect(result.$metadata.attempts).toBe(2);
    expect(result.$metadata.totalRetryDelay).toBeGreaterThanOrEqual(1000);
  });

  it('never retries a client fault', async () => {
    for (const code of [
      'AccessDeniedException',
      'CustomKeyStoreNotFoundException',
      'ValidationException',
    ]) {
      const before = server.requests.length;
      server.handle((_req, res) => kmsError(res, 400, { __type: code }));
      const error = (await newClient()
        .disconnectCustomKeyStore('cks-1')
        .catch((e: unknown) => e)) as KmsServiceException;
      expect(error.name).toBe(code);
      expect(error.$metadata.attempts).toBe(1);
      expect(server.requests.length - before).toBe(1);
    }
  });
});

describe('network faults', () => {
  it('a reset connection is retried, then succeeds', async () => {
    server.handle((req, res, index) => {
      if (index === 0) res.socket?.destroy();
      else okHandler(req, res, index);
    });
    const result = await newClient().disconnectCustomKeyStore('cks-1');
    expect(result.$metadata.attempts).toBe(2);
  });

  it('resets on every attempt end in a KmsNetworkError with the cause', async () => {
    server.handle((_req, res) => {
      res.socket?.destroy();
    });
    const error = (await newClient()
      .disconnectCustomKeyStore('cks-1')
      .catch((e: unknown) => e)) as KmsNetworkError;
    expect(error).toBeInstanceOf(KmsNetworkError);
    expect(error.code).toMatch(/^(ECONNRESET|UND_ERR_SOCKET|EPIPE)$/);
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.$metadata.attempts).toBe(3);
  });

  it('a body that stops half way is a network error, retried', async () => {
    server.handle((_req, res, index) => {
      if (index === 0) {
        res.writeHead(200, {
          'content-length': '100',
          'content-type': 'application/x-amz-json-1.1',
        });
        res.write('{"Custom');
        setTimeout(() => res.socket?.destroy(), 10);
      } else okHandler(_req, res, index);
    });
    const result = await newClient().disconnectCustomKeyStore('cks-1');
    expect(result.$metadata.attempts).toBe(2);
  });

  it('connection refused: retried, then KmsNetworkError ECONNREFUSED', async () => {
    const client = await deadEndpointClient();
    const error = (await client
      .disconnectCustomKeyStore('cks-1')
      .catch((e: unknown) => e)) as KmsNetworkError;
    expect(error).toBeInstanceOf(KmsNetworkError);
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.$metadata.attempts).toBe(3);
    expect(error.$metadata.httpStatusCode).toBeUndefined();
  });

  it('the token bucket drains under a dead endpoint, so later calls fail fast', async () => {
    const client = await deadEndpointClient();
    // 500 tokens, 10 per retry of a connection error, 2 retries per call: 25 calls drain it.
    const errors = (await Promise.all(
      Array.from({ length: 40 }, () =>
        client.disconnectCustomKeyStore('cks-1').catch((e: unknown) => e),
      ),
    )) as KmsNetworkError[];
    const attempts = errors.map((error) => error.$metadata.attempts);
    expect(errors.every((error) => error instanceof KmsNetworkError)).toBe(true);
    const retriedAttempts = attempts.reduce((sum, n) => sum + (n - 1), 0);
    // Without the bucket 40 calls would make 80 retries; it allows exactly 500 / 10 of them.
    expect(retriedAttempts).toBe(50);
    // Once drained, a further call makes one attempt only.
    const late = (await client
      .disconnectCustomKeyStore('cks-1')
      .catch((e: unknown) => e)) as KmsNetworkError;
    expect(late.$metadata.attempts).toBe(1);
  });
});

describe('timeouts', () => {
  it('a server that accepts and never answers: KmsTimeoutError after every attempt timed out', async () => {
    server.handle(() => {
      /* never answer */
    });
    const client = newClient({ requestTimeoutMs: 150, maxAttempts: 2 });
    const error = (await client
      .disconnectCustomKeyStore('cks-1')
      .catch((e: unknown) => e)) as KmsTimeoutError;
    expect(error).toBeInstanceOf(KmsTimeoutError);
    expect(error.name).toBe('TimeoutError');
    expect(error.phase).toBe('request');
    expect(error.timeoutMs).toBe(150);
    expect(error.$metadata.attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
  });

  it('a per-call requestTimeoutMs overrides the client default', async () => {
    server.handle(() => {});
    const client = newClient({ requestTimeoutMs: 60_000, maxAttempts: 1 });
    const error = (await client
      .disconnectCustomKeyStore('cks-1', { requestTimeoutMs: 100 })
      .catch((e: unknown) => e)) as KmsTimeoutError;
    expect(error).toBeInstanceOf(KmsTimeoutError);
    expect(error.timeoutMs).toBe(100);
  });

  it('a call deadline (timeoutMs) ends the call across attempts and backoff, unretried', async () => {
    server.handle((_req, res) => kmsError(res, 503, '', { 'retry-after': '10' }));
    const client = newClient({ maxAttempts: 5 });
    const started = Date.now();
    const error = (await client
      .disconnectCustomKeyStore('cks-1', { timeoutMs: 300 })
      .catch((e: unknown) => e)) as KmsTimeoutError;
    expect(error).toBeInstanceOf(KmsTimeoutError);
    expect(error.phase).toBe('call');
    expect(error.$metadata.attempts).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.requests).toHaveLength(1);
  });

  describe('connect timeout', () => {
    let silent: TcpServer;
    const sockets = new Set<Socket>();
    beforeEach(async () => {
      // Accepts TCP but never speaks TLS: the handshake, part of connecting, never completes.
      silent = createTcpServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => {});
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });
    afterEach(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('throws KmsTimeoutError phase connect, per-call override included', async () => {
      const { port } = silent.address() as { port: number };
      const client = new KmsClient({
        region: 'eu-west-1',
        endpoint: `https://127.0.0.1:${port}`,
        credentials,
        maxAttempts: 2,
        connectTimeoutMs: 60_000,
      });
      clients.push(client);
      const error = (await client
        .disconnectCustomKeyStore('cks-1', { connectTimeoutMs: 150 })
        .catch((e: unknown) => e)) as KmsTimeoutError;
      expect(error).toBeInstanceOf(KmsTimeoutError);
      expect(error.phase).toBe('connect');
      expect(error.$metadata.attempts).toBe(2);
    });
  });
});

describe('cancellation', () => {
  it('aborting during the request rejects at once with the signal reason, and nothing is retried', async () => {
    const controller = new AbortController();
    server.handle(() => controller.abort());
    const error = await newClient()
      .disconnectCustomKeyStore('cks-1', { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('AbortError');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.requests).toHaveLength(1);
  });

  it('aborting during backoff rejects at once with a custom reason', async () => {
    const controller = new AbortController();
    const reason = new Error('operator cancelled');
    server.handle((_req, res) => {
      kmsError(res, 503, '', { 'retry-after': '15' });
      setTimeout(() => controller.abort(reason), 50);
    });
    const started = Date.now();
    const error = await newClient()
      .disconnectCustomKeyStore('cks-1', { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.requests).toHaveLength(1);
  });

  it('an already aborted signal sends nothing', async () => {
    const error = await newClient()
      .disconnectCustomKeyStore('cks-1', { signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect((error as DOMException).name).toBe('AbortError');
    expect(server.requests).toHaveLength(0);
  });
});

describe('slow credential sources', () => {
  it('a slow credentials provider: timeoutMs and the signal end the call at once', async () => {
    let calls = 0;
    const slowProvider = () => {
      calls++;
      return new Promise<typeof credentials>((resolve) =>
        setTimeout(() => resolve(credentials), 4_000),
      );
    };
    const client = newClient({ credentials: slowProvider });
    const started = Date.now();
    const error = await client
      .disconnectCustomKeyStore('cks-1', { timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsTimeoutError);
    expect(error).toMatchObject({ phase: 'call', timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(2_500);
    const reason = new Error('operator cancelled');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 100);
    await expect(
      client.disconnectCustomKeyStore('cks-1', { signal: controller.signal }),
    ).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(3_500);
    expect(server.requests).toHaveLength(0);
    expect(calls).toBeGreaterThanOrEqual(1);
  });

  it('a hung credential_process: timeoutMs ends the call at once, close() kills the process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-cks-hung-'));
    const saved = { ...process.env };
    try {
      const { configFile, pidFile } = writeHungCredentialProcess(dir);
      process.env.AWS_CONFIG_FILE = configFile;
      process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE']) {
        delete process.env[name];
      }
      const client = new KmsClient({
        region: 'eu-west-1',
        endpoint: server.url,
        profile: 'hung',
        credentialProcessTimeoutMs: 60_000,
      });
      const started = Date.now();
      const error = await client
        .disconnectCustomKeyStore('cks-1', { timeoutMs: 1_500 })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'TimeoutError', phase: 'call', timeoutMs: 1_500 });
      expect(Date.now() - started).toBeLessThan(5_000);
      await expect.poll(() => existsSync(pidFile), { timeout: 10_000 }).toBe(true);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      const closing = Date.now();
      await client.close();
      expect(Date.now() - closing).toBeLessThan(3_000);
      await expect
        .poll(
          () => {
            try {
              process.kill(pid, 0);
              return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
            } catch {
              return false;
            }
          },
          { timeout: 5_000 },
        )
        .toBe(false);
      expect(server.requests).toHaveLength(0);
    } finally {
      process.env = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('clock skew', () => {
  it('corrects the clock from the server Date on a signature error and retries at once', async () => {
    const serverSkewMs = 60 * 60 * 1000; // the server is an hour ahead
    server.handle((req, res) => {
      const serverNow = Date.now() + serverSkewMs;
      const signedAt = amzDateMs(req.headers['x-amz-date']);
      if (Math.abs(serverNow - signedAt) > 15 * 60 * 1000) {
        kmsError(
          res,
          400,
          { __type: 'InvalidSignatureException', message: 'Signature expired' },
          { date: new Date(serverNow).toUTCString() },
        );
      } else okHandler(req, res, 0);
    });
    const client = newClient();
    const first = await client.disconnectCustomKeyStore('cks-1');
    expect(first.$metadata.attempts).toBe(2);
    expect(first.$metadata.totalRetryDelay).toBe(0);
    const corrected = amzDateMs(server.requests[1]!.headers['x-amz-date']);
    expect(Math.abs(corrected - (Date.now() + serverSkewMs))).toBeLessThan(60_000);
    // The credential scope date follows the corrected clock too.
    expect(parseAuthorization(server.requests[1]!.headers.authorization).date).toBe(
      String(server.requests[1]!.headers['x-amz-date']).slice(0, 8),
    );
    // Later calls sign with the corrected clock from the start.
    const second = await client.disconnectCustomKeyStore('cks-1');
    expect(second.$metadata.attempts).toBe(1);
  });

  it('a signature error without skew is not retried', async () => {
    server.handle((_req, res) =>
      kmsError(
        res,
        400,
        { __type: 'InvalidSignatureException', message: 'mismatch' },
        { date: new Date().toUTCString() },
      ),
    );
    const error = (await newClient()
      .disconnectCustomKeyStore('cks-1')
      .catch((e: unknown) => e)) as KmsServiceException;
    expect(error.name).toBe('InvalidSignatureException');
    expect(error.$metadata.attempts).toBe(1);
  });
});

describe('transport', () => {
  it('the pool bounds the sockets under concurrency', async () => {
    // Each answer is held a little, so that 64 concurrent calls would want 64 sockets.
    server.handle((req, res, index) => {
      setTimeout(() => okHandler(req, res, index), 5);
    });
    const client = newClient({ maxSockets: 4 });
    await Promise.all(
      Array.from({ length: 64 }, (_, i) => client.disconnectCustomKeyStore(`cks-${i}`)),
    );
    expect(server.requests).toHaveLength(64);
    // Sockets ever accepted: the pool opened at most 4 and reused them.
    expect(server.connections).toBeLessThanOrEqual(4);
  });

  it('per-call connectTimeoutMs values share the pool: sockets stay bounded', async () => {
    const client = newClient({ maxSockets: 8 });
    // 300 calls, each with its own connect limit, 10 at a time.
    for (let batch = 0; batch < 30; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          client.disconnectCustomKeyStore(`cks-${i}`, {
            connectTimeoutMs: 1_000 + batch * 10 + i,
          }),
        ),
      );
    }
    expect(server.requests).toHaveLength(300);
    expect(server.connections).toBeLessThanOrEqual(8);
  });

  it('calls after close() are rejected, and close() is idempotent', async () => {
    const client = newClient();
    await client.disconnectCustomKeyStore('cks-1');
    await client.close();
    await client.close();
    const error = await client.disconnectCustomKeyStore('cks-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsError);
    expect((error as Error).message).toMatch(/closed/);
    expect(server.requests).toHaveLength(1);
  });

  it('await using closes the client', async () => {
    let leaked: KmsClient | undefined;
    {
      await using scoped = new KmsClient({
        region: 'eu-west-1',
        endpoint: server.url,
        credentials,
      });
      await scoped.disconnectCustomKeyStore('cks-1');
      leaked = scoped;
    }
    await expect(leaked.disconnectCustomKeyStore('cks-1')).rejects.toThrow(/closed/);
  });
});
