/**
 * Tracing: the `kms-custom-key-store:call` TracingChannel and the `kms-custom-key-store:attempt`
 * channel, subscribed to as an APM tool would, with the client calling the emulator over loopback.
 */
import { channel, tracingChannel } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import {
  attemptChannelName,
  CustomKeyStoreNotFoundException,
  callChannelName,
  type KmsAttemptTraceMessage,
  type KmsCallTraceContext,
  KmsClient,
  type KmsClientConfig,
  KmsConfigError,
  KmsError,
  type KmsServiceException,
  KmsTimeoutError,
  KmsValidationError,
} from '../../src/index.js';
import { isolatedEnv, tempHome, useProcessEnv } from '../config/helpers.js';

type CallEvent = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';

/** One event of the call channel: which, the context object, and a copy of it at that moment. */
interface RecordedCallEvent {
  event: CallEvent;
  context: KmsCallTraceContext;
  snapshot: KmsCallTraceContext;
}

const callEvents: RecordedCallEvent[] = [];
const attempts: KmsAttemptTraceMessage[] = [];
const callChannel = tracingChannel<unknown, KmsCallTraceContext>(callChannelName);
const attemptChannel = channel(attemptChannelName);

const record = (event: CallEvent) => (message: unknown) => {
  const context = message as KmsCallTraceContext;
  callEvents.push({ event, context, snapshot: { ...context } });
};
const callSubscribers = {
  start: record('start'),
  end: record('end'),
  asyncStart: record('asyncStart'),
  asyncEnd: record('asyncEnd'),
  error: record('error'),
};
const onAttempt = (message: unknown) => attempts.push(message as KmsAttemptTraceMessage);

let emu: KmsEmulator;
const clients: KmsClient[] = [];
const cleanups: Array<() => void | Promise<void>> = [];

function clientFor(config: KmsClientConfig = {}): KmsClient {
  const client = new KmsClient({
    endpoint: emu.url,
    region: emu.region,
    credentials: emulatorCredentials,
    ...config,
  });
  clients.push(client);
  return client;
}

beforeEach(async () => {
  emu = await startKmsEmulator({ transitionMs: 10_000 });
  callChannel.subscribe(callSubscribers);
  attemptChannel.subscribe(onAttempt);
});

afterEach(async () => {
  callChannel.unsubscribe(callSubscribers);
  attemptChannel.unsubscribe(onAttempt);
  callEvents.length = 0;
  attempts.length = 0;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await emu.close();
});

const id = defaultKeyStoreIds.externalPublic;
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to reject');
    },
    (error: unknown) => error,
  );

describe('a successful call', () => {
  it('start, end, asyncStart, asyncEnd on one context; one attempt with status and request ID', async () => {
    const result = await clientFor().disconnectCustomKeyStore(id);

    expect(callEvents.map((e) => e.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    const context = callEvents[0]!.context;
    for (const e of callEvents) expect(e.context).toBe(context);
    // At start: where the call goes, and nothing of its outcome yet.
    expect(callEvents[0]!.snapshot).toEqual({
      operation: 'DisconnectCustomKeyStore',
      region: emu.region,
      endpoint: new URL(emu.url).origin,
      customKeyStoreId: id,
    });
    expect(context.result).toBe(result);
    expect(context.result?.$metadata).toEqual({
      httpStatusCode: 200,
      requestId: emu.requests[0]!.requestId,
      attempts: 1,
      totalRetryDelay: 0,
    });
    expect(context).not.toHaveProperty('error');

    expect(attempts).toHaveLength(1);
    const [attempt] = attempts;
    expect(attempt).toEqual({
      operation: 'DisconnectCustomKeyStore',
      attempt: 1,
      httpStatusCode: 200,
      requestId: emu.requests[0]!.requestId,
      durationMs: expect.any(Number),
    });
    expect(attempt!.durationMs).toBeGreaterThanOrEqual(0);
    expect(attempt!.durationMs).toBeLessThan(10_000);
  });

  it('the endpoint is its origin, without the path', async () => {
    const { port } = new URL(emu.url);
    const endpoint = `http://127.0.0.1:${port}/some/path/`;
    await clientFor({ endpoint })
      .describeCustomKeyStores()
      .catch(() => undefined);
    expect(emu.requests[0]!.path).toBe('/some/path/');
    expect(callEvents[0]!.snapshot.endpoint).toBe(`http://127.0.0.1:${port}`);
  });

  it('customKeyStoreId only when the input has one; paginate is one call per page', async () => {
    const client = clientFor();
    await client.describeCustomKeyStores();
    expect(callEvents[0]!.snapshot).not.toHaveProperty('customKeyStoreId');
    callEvents.length = 0;

    await client.describeCustomKeyStores({ customKeyStoreId: id });
    expect(callEvents[0]!.snapshot.customKeyStoreId).toBe(id);
    callEvents.length = 0;
    attempts.length = 0;

    const stores = [];
    for await (const store of client.paginateCustomKeyStores({ limit: 1 })) stores.push(store);
    expect(stores).toHaveLength(4);
    const starts = callEvents.filter((e) => e.event === 'start');
    expect(starts).toHaveLength(4);
    expect(new Set(starts.map((e) => e.context)).size).toBe(4);
    for (const e of starts) expect(e.snapshot.operation).toBe('DescribeCustomKeyStores');
    expect(attempts.map((a) => a.requestId)).toEqual(
      emu.requests.slice(-4).map((r) => r.requestId),
    );
  });

  it('connect is traced too', async () => {
    await clientFor().connectCustomKeyStore(defaultKeyStoreIds.failingExternal);
    expect(callEvents[0]!.snapshot).toMatchObject({
      operation: 'ConnectCustomKeyStore',
      customKeyStoreId: defaultKeyStoreIds.failingExternal,
    });
    expect(attempts).toMatchObject([{ operation: 'ConnectCustomKeyStore', httpStatusCode: 200 }]);
  });
});

describe('a failed call', () => {
  it('a typed service error: error event with the thrown error and its $metadata', async () => {
    const unknownId = 'cks-00000000000000000';
    const thrown = await rejection(clientFor().disconnectCustomKeyStore(unknownId));
    expect(thrown).toBeInstanceOf(CustomKeyStoreNotFoundException);

    expect(callEvents.map((e) => e.event)).toEqual([
      'start',
      'end',
      'error',
      'asyncStart',
      'asyncEnd',
    ]);
    const context = callEvents[0]!.context;
    expect(context.customKeyStoreId).toBe(unknownId);
    expect(context.error).toBe(thrown);
    expect((context.error as KmsServiceException).$metadata).toEqual({
      httpStatusCode: 400,
      requestId: emu.requests[0]!.requestId,
      attempts: 1,
      totalRetryDelay: 0,
    });
    expect(context).not.toHaveProperty('result');
    expect(attempts).toEqual([
      {
        operation: 'DisconnectCustomKeyStore',
        attempt: 1,
        httpStatusCode: 400,
        errorName: 'CustomKeyStoreNotFoundException',
        requestId: emu.requests[0]!.requestId,
        durationMs: expect.any(Number),
      },
    ]);
  });

  it('throttled twice, then a success: three attempts, the first two with their retry delay', async () => {
    emu.injectFaults({ kind: 'throttle', count: 2, operation: 'DisconnectCustomKeyStore' });
    const result = await clientFor().disconnectCustomKeyStore(id);

    expect(attempts.map((a) => [a.attempt, a.httpStatusCode, a.errorName])).toEqual([
      [1, 400, 'ThrottlingException'],
      [2, 400, 'ThrottlingException'],
      [3, 200, undefined],
    ]);
    expect(attempts.map((a) => a.requestId)).toEqual(emu.requests.map((r) => r.requestId));
    expect(attempts[0]!.retryDelayMs).toEqual(expect.any(Number));
    expect(attempts[1]!.retryDelayMs).toEqual(expect.any(Number));
    expect(attempts[2]).not.toHaveProperty('retryDelayMs');
    // The delays published are the ones the call waited.
    expect(result.$metadata.totalRetryDelay).toBe(
      attempts[0]!.retryDelayMs! + attempts[1]!.retryDelayMs!,
    );

    expect(callEvents.map((e) => e.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(callEvents[0]!.context.result?.$metadata).toMatchObject({
      httpStatusCode: 200,
      attempts: 3,
    });
  });

  it('throttled until attempts run out: the last attempt has no retry delay', async () => {
    emu.injectFaults({ kind: 'throttle', count: 5 });
    const thrown = await rejection(clientFor({ maxAttempts: 2 }).disconnectCustomKeyStore(id));
    expect((thrown as KmsServiceException).name).toBe('ThrottlingException');
    expect(attempts).toHaveLength(2);
    expect(attempts[0]!.retryDelayMs).toEqual(expect.any(Number));
    expect(attempts[1]).not.toHaveProperty('retryDelayMs');
    expect(callEvents[0]!.context.error).toBe(thrown);
    expect((thrown as KmsServiceException).$metadata.attempts).toBe(2);
  });

  it('attempts that time out: TimeoutError, no status, then the call fails with KmsTimeoutError', async () => {
    emu.injectFaults({ kind: 'delay', delayMs: 120_000, count: 2 });
    const thrown = await rejection(
      clientFor({ requestTimeoutMs: 200, maxAttempts: 2 }).disconnectCustomKeyStore(id),
    );
    expect(thrown).toBeInstanceOf(KmsTimeoutError);
    expect((thrown as KmsTimeoutError).phase).toBe('request');

    expect(attempts).toHaveLength(2);
    for (const [index, attempt] of attempts.entries()) {
      expect(attempt).toMatchObject({
        operation: 'DisconnectCustomKeyStore',
        attempt: index + 1,
        errorName: 'TimeoutError',
      });
      expect(attempt).not.toHaveProperty('httpStatusCode');
      expect(attempt).not.toHaveProperty('requestId');
      // The attempt lasted its time limit (timers never fire early; generous upper bound).
      expect(attempt.durationMs).toBeGreaterThanOrEqual(150);
      expect(attempt.durationMs).toBeLessThan(10_000);
    }
    expect(attempts[0]!.retryDelayMs).toEqual(expect.any(Number));
    expect(attempts[1]).not.toHaveProperty('retryDelayMs');
    expect(callEvents.map((e) => e.event)).toContain('error');
    expect(callEvents[0]!.context.error).toBe(thrown);
  });

  it('the call deadline: the attempt cut short is published, the call fails with phase "call"', async () => {
    emu.injectFaults({ kind: 'delay', delayMs: 120_000 });
    const thrown = await rejection(
      clientFor({ requestTimeoutMs: 60_000 }).disconnectCustomKeyStore(id, { timeoutMs: 200 }),
    );
    expect(thrown).toBeInstanceOf(KmsTimeoutError);
    expect((thrown as KmsTimeoutError).phase).toBe('call');
    expect(attempts).toEqual([
      {
        operation: 'DisconnectCustomKeyStore',
        attempt: 1,
        errorName: 'TimeoutError',
        durationMs: expect.any(Number),
      },
    ]);
    expect(callEvents[0]!.context.error).toBe(thrown);
  });

  it('bad input: the call is traced with the KmsValidationError, and no attempt is published', async () => {
    const thrown = await rejection(clientFor().disconnectCustomKeyStore(''));
    expect(thrown).toBeInstanceOf(KmsValidationError);
    expect(callEvents[0]!.context.error).toBe(thrown);
    expect(callEvents[0]!.snapshot.customKeyStoreId).toBe('');
    expect(attempts).toEqual([]);
    expect(emu.requests).toHaveLength(0);
  });

  it('a configuration that cannot be resolved: region and endpoint undefined, the KmsConfigError', async () => {
    const home = await tempHome();
    cleanups.push(() => home.remove());
    cleanups.push(useProcessEnv(isolatedEnv(home.dir)));
    const client = new KmsClient({ endpoint: emu.url, credentials: emulatorCredentials });
    clients.push(client);

    const thrown = await rejection(client.disconnectCustomKeyStore(id));
    expect(thrown).toBeInstanceOf(KmsConfigError);
    expect(callEvents.map((e) => e.event)).toEqual([
      'start',
      'end',
      'error',
      'asyncStart',
      'asyncEnd',
    ]);
    expect(callEvents[0]!.snapshot).toEqual({
      operation: 'DisconnectCustomKeyStore',
      region: undefined,
      endpoint: undefined,
      customKeyStoreId: id,
    });
    expect(callEvents[0]!.context.error).toBe(thrown);
    expect(emu.requests).toHaveLength(0);
  });

  it('a closed client: the call is traced with its KmsError', async () => {
    const client = clientFor();
    await client.close();
    const thrown = await rejection(client.describeCustomKeyStores());
    expect(thrown).toBeInstanceOf(KmsError);
    expect((thrown as Error).message).toBe('KmsClient is closed');
    expect(callEvents[0]!.snapshot.region).toBe(emu.region);
    expect(callEvents[0]!.context.error).toBe(thrown);
  });
});

describe('subscribers', () => {
  it('a subscriber to the error event alone gets it', async () => {
    callChannel.unsubscribe(callSubscribers);
    const errors: KmsCallTraceContext[] = [];
    const onError = (message: unknown) => errors.push(message as KmsCallTraceContext);
    callChannel.error.subscribe(onError);
    cleanups.push(() => {
      callChannel.error.unsubscribe(onError);
    });
    const thrown = await rejection(clientFor().disconnectCustomKeyStore('cks-00000000000000000'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error).toBe(thrown);
  });

  it('a subscriber to the attempt channel alone gets the attempts, and no call is traced', async () => {
    callChannel.unsubscribe(callSubscribers);
    await clientFor().disconnectCustomKeyStore(id);
    expect(callEvents).toEqual([]);
    expect(attempts).toHaveLength(1);
  });

  it('after unsubscribing, nothing is published', async () => {
    callChannel.unsubscribe(callSubscribers);
    attemptChannel.unsubscribe(onAttempt);
    emu.injectFaults({ kind: 'throttle' });
    await clientFor().disconnectCustomKeyStore(id);
    expect(callEvents).toEqual([]);
    expect(attempts).toEqual([]);
  });
});

describe('nothing secret in any message', () => {
  it('no secret key, session token, signature or Authorization header, in JSON or inspect', async () => {
    const session = {
      accessKeyId: 'ASIATRACINGEXAMPLE01',
      secretAccessKey: 'tracing-secret-key-do-not-publish',
      sessionToken: 'tracing-session-token-do-not-publish',
    };
    await emu.close();
    emu = await startKmsEmulator({ transitionMs: 10_000, credentials: [session] });
    const client = clientFor({ credentials: session, requestTimeoutMs: 200, maxAttempts: 3 });

    emu.injectFaults([
      { kind: 'throttle', operation: 'DisconnectCustomKeyStore' },
      { kind: 'delay', delayMs: 120_000, count: 3, operation: 'ConnectCustomKeyStore' },
    ]);
    await client.disconnectCustomKeyStore(id);
    await rejection(client.disconnectCustomKeyStore('cks-00000000000000000'));
    await rejection(client.connectCustomKeyStore(defaultKeyStoreIds.failingExternal));
    await client.describeCustomKeyStores();

    expect(attempts.length).toBeGreaterThanOrEqual(7);
    const signatures = emu.requests.map(
      (r) => /Signature=([0-9a-f]{64})/.exec(r.headers.authorization ?? '')?.[1],
    );
    expect(signatures.length).toBeGreaterThanOrEqual(4);
    for (const signature of signatures) expect(signature).toMatch(/^[0-9a-f]{64}$/);

    const published = [...callEvents.map((e) => e.context), ...attempts];
    const texts = [
      JSON.stringify(published),
      inspect(published, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    ];
    for (const text of texts) {
      expect(text).toContain('DisconnectCustomKeyStore');
      for (const secret of [
        session.secretAccessKey,
        session.sessionToken,
        'AWS4-HMAC-SHA256',
        'Signature=',
        ...(signatures as string[]),
      ]) {
        expect(text).not.toContain(secret);
      }
      expect(text.toLowerCase()).not.toContain('authorization');
    }
  });
});
