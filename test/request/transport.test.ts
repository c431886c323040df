/**
 * One exchange over a real loopback server: what comes back, which connections are reused or
 * closed, and how a timer or the caller's signal ends it.
 */
import { Agent, type Dispatcher, MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ExchangeOptions, exchange } from '../../src/request/transport.js';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';

class TestTimeout extends Error {}

let server: LoopbackServer;
let agent: Agent;

beforeEach(async () => {
  server = await startLoopbackServer();
  agent = new Agent({ connections: 1, keepAliveTimeout: 10_000 });
});

afterEach(async () => {
  await agent.close();
  await server.close();
});

const options = (extra: Partial<ExchangeOptions> = {}): ExchangeOptions => ({
  timeoutMs: 10_000,
  timeoutError: () => new TestTimeout(),
  maxBodyBytes: 1024,
  ...extra,
});
const send = (extra?: Partial<ExchangeOptions>) =>
  exchange(
    agent,
    { origin: server.url, path: '/', headers: { 'x-test': '1' }, body: '{"a":1}' },
    options(extra),
  );

describe('exchange', () => {
  it('sends the request as given and returns status, lower-case headers and body', async () => {
    server.handle((_req, res) => {
      res.setHeader('X-Amzn-RequestId', 'req-1');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.writeHead(201, { 'content-type': 'application/x-amz-json-1.1' });
      res.end('{"ok":"✓"}');
    });
    const response = await send();
    expect(response).toMatchObject({ status: 201, body: '{"ok":"✓"}', bodyTruncated: false });
    expect(response.headers['x-amzn-requestid']).toBe('req-1');
    expect(response.headers['set-cookie']).toBe('a=1, b=2');
    expect(server.requests[0]).toMatchObject({ method: 'POST', url: '/', body: '{"a":1}' });
    expect(server.requests[0]!.headers['x-test']).toBe('1');
  });

  it('keeps a connection whose body was read to its end', async () => {
    await send();
    await send();
    await send();
    expect(server.connections).toBe(1);
  });

  it('cuts off a body over the limit and closes that connection', async () => {
    server.handle((_req, res) => {
      res.writeHead(200);
      res.end('x'.repeat(100_000));
    });
    const response = await send();
    expect(response.bodyTruncated).toBe(true);
    expect(response.body).toBe('x'.repeat(1024));
    server.handle((_req, res) => {
      res.end('{}');
    });
    expect((await send()).body).toBe('{}');
    expect(server.connections).toBe(2);
  });

  it('ends an unanswered exchange with the timeout error, and closes the connection', async () => {
    server.handle(() => {});
    await expect(send({ timeoutMs: 100 })).rejects.toBeInstanceOf(TestTimeout);
    server.handle((_req, res) => {
      res.end('{}');
    });
    expect((await send()).status).toBe(200);
    expect(server.connections).toBe(2);
  });

  it("ends with the caller's reason when the signal aborts, before or during the exchange", async () => {
    const reason = new Error('caller gave up');
    await expect(send({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(server.requests).toHaveLength(0);

    server.handle((_req, res) => {
      res.writeHead(200);
      res.write('{"partial":');
      // The rest never comes: the caller aborts mid-body.
    });
    const controller = new AbortController();
    const pending = send({ signal: controller.signal });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (server.requests.length === 1) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('works through any Dispatcher, e.g. a MockAgent', async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    mock
      .get('https://kms.example.test')
      .intercept({ path: '/', method: 'POST' })
      .reply(200, '{"mocked":true}', { headers: { 'x-amzn-requestid': 'req-mock' } });
    const response = await exchange(
      mock,
      { origin: 'https://kms.example.test', path: '/', headers: {}, body: '{}' },
      options(),
    );
    expect(response).toMatchObject({ status: 200, body: '{"mocked":true}' });
    expect(response.headers['x-amzn-requestid']).toBe('req-mock');
    await mock.close();
  });

  it("completes through a dispatcher that calls only the current handler API, as undici 8's do", async () => {
    // undici 8 calls onRequestStart … onResponseEnd and never the legacy onConnect … onComplete.
    const calls: string[] = [];
    const currentApiOnly = {
      dispatch(_options: unknown, handler: Dispatcher.DispatchHandler) {
        const controller: Dispatcher.DispatchController = {
          aborted: false,
          paused: false,
          reason: null,
          abort: () => calls.push('abort'),
          pause: () => {},
          resume: () => {},
        };
        queueMicrotask(() => {
          handler.onRequestStart?.(controller, {});
          handler.onResponseStart?.(controller, 100, {}, 'Continue');
          handler.onResponseStart?.(
            controller,
            200,
            { 'x-amzn-requestid': 'req-8', 'set-cookie': ['a=1', 'b=2'] },
            'OK',
          );
          handler.onResponseData?.(controller, Buffer.from('{"via":'));
          handler.onResponseData?.(controller, Buffer.from('"undici 8"}'));
          handler.onResponseEnd?.(controller, {});
        });
        return true;
      },
    } as unknown as Dispatcher;
    const response = await exchange(
      currentApiOnly,
      { origin: 'https://kms.example.test', path: '/', headers: {}, body: '{}' },
      options(),
    );
    expect(response).toMatchObject({
      status: 200,
      body: '{"via":"undici 8"}',
      bodyTruncated: false,
    });
    expect(response.headers).toEqual({ 'x-amzn-requestid': 'req-8', 'set-cookie': 'a=1, b=2' });
    expect(calls).toEqual([]);
  });

  it('ends with the connect timeout error when no connection comes, at once', async () => {
    class ConnectTimeout extends Error {}
    // A dispatcher that never hands the request a connection.
    const neverConnects = { dispatch: () => true } as unknown as Dispatcher;
    const started = Date.now();
    await expect(
      exchange(
        neverConnects,
        { origin: 'https://kms.example.test', path: '/', headers: {}, body: '{}' },
        options({ connectTimeoutMs: 100, connectTimeoutError: () => new ConnectTimeout() }),
      ),
    ).rejects.toBeInstanceOf(ConnectTimeout);
    expect(Date.now() - started).toBeLessThan(5_000);
    const reason = new Error('caller gave up');
    const controller = new AbortController();
    const pending = exchange(
      neverConnects,
      { origin: 'https://kms.example.test', path: '/', headers: {}, body: '{}' },
      options({ signal: controller.signal }),
    );
    setTimeout(() => controller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
  });
});
