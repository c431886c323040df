/**
 * A hostile proxy between the client and KMS: one that never answers CONNECT, closes, answers
 * 200 and then garbage, silence or a closed tunnel. The endpoint is a made-up host, so traffic
 * only ever reaches the loopback proxy. Every call ends typed and within its limits, costs at
 * most maxAttempts connections, and close() leaves no socket open.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  KmsClient,
  type KmsClientConfig,
  KmsError,
  KmsNetworkError,
  KmsTimeoutError,
} from '../../src/index.js';
import { useProcessEnv } from '../config/helpers.js';
import {
  type HostileBehaviour,
  type HostileProxy,
  startHostileProxy,
} from '../config/proxy-server.js';

const credentials = { accessKeyId: 'AKIDPROXYFAULTS', secretAccessKey: 'proxy-faults-secret' };
let proxy: HostileProxy | undefined;
let restoreEnv: (() => void) | undefined;
const clients: KmsClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  restoreEnv?.();
  restoreEnv = undefined;
  await proxy?.close();
  proxy = undefined;
});

async function behindProxy(
  behaviour: HostileBehaviour,
  config: KmsClientConfig = {},
): Promise<{ client: KmsClient; proxy: HostileProxy }> {
  const started = await startHostileProxy(behaviour);
  proxy = started;
  restoreEnv = useProcessEnv({ HTTPS_PROXY: started.url, AWS_EC2_METADATA_DISABLED: 'true' });
  const client = new KmsClient({
    region: 'eu-west-1',
    endpoint: 'https://kms.example.invalid',
    credentials,
    ...config,
  });
  clients.push(client);
  return { client, proxy: started };
}

/** Runs `work`; returns what it threw and how long it took. */
async function timed(work: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await work().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  return { error, ms: performance.now() - started };
}

/** Polls until `condition` holds, for at most `ms`. */
async function eventually(condition: () => boolean, ms = 3_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!condition() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return condition();
}

describe('a proxy that accepts and never answers CONNECT', () => {
  it('the connect limit ends the attempt, with the configured value; close() is prompt and frees the socket', async () => {
    const { client, proxy } = await behindProxy('stall', {
      maxAttempts: 1,
      connectTimeoutMs: 500,
      requestTimeoutMs: 1000,
    });
    const call = await timed(() => client.disconnectCustomKeyStore('cks-1', { timeoutMs: 3000 }));
    expect(call.error).toBeInstanceOf(KmsTimeoutError);
    expect(call.error).toMatchObject({ phase: 'connect', timeoutMs: 500 });
    expect((call.error as KmsTimeoutError).$metadata.attempts).toBe(1);
    expect(call.ms).toBeLessThan(2_000);
    const closing = await timed(() => client.close());
    expect(closing.error).toBeUndefined();
    expect(closing.ms).toBeLessThan(2_000);
    expect(await eventually(() => proxy.open === 0)).toBe(true);
    expect(proxy.connections).toBe(1);
  });

  it("the call's timeoutMs ends it when it is the shortest limit: phase call", async () => {
    const { client } = await behindProxy('stall', {
      connectTimeoutMs: 60_000,
      requestTimeoutMs: 60_000,
    });
    const call = await timed(() => client.disconnectCustomKeyStore('cks-1', { timeoutMs: 300 }));
    expect(call.error).toBeInstanceOf(KmsTimeoutError);
    expect(call.error).toMatchObject({ phase: 'call', timeoutMs: 300 });
    expect(call.ms).toBeLessThan(3_000);
  });

  it("the caller's signal ends it at once, with the signal's reason", async () => {
    const { client } = await behindProxy('stall', {
      connectTimeoutMs: 60_000,
      requestTimeoutMs: 60_000,
    });
    const reason = new Error('operator pressed Ctrl-C');
    const call = await timed(() =>
      client.disconnectCustomKeyStore('cks-1', { signal: AbortSignal.timeout(200) }),
    );
    expect((call.error as Error).name).toBe('TimeoutError');
    expect(call.ms).toBeLessThan(3_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 200);
    await expect(client.connectCustomKeyStore('cks-1', { signal: controller.signal })).rejects.toBe(
      reason,
    );
  });

  it('requestTimeoutMs bounds an attempt that is still in the CONNECT exchange', async () => {
    const { client } = await behindProxy('stall', {
      maxAttempts: 1,
      connectTimeoutMs: 60_000,
      requestTimeoutMs: 400,
    });
    const call = await timed(() => client.disconnectCustomKeyStore('cks-1'));
    expect(call.error).toBeInstanceOf(KmsTimeoutError);
    expect(call.error).toMatchObject({ phase: 'request', timeoutMs: 400 });
    expect(call.ms).toBeLessThan(3_000);
  });

  it('close() during a stuck call waits only for that call’s deadline, then destroys the socket', async () => {
    const { client, proxy } = await behindProxy('stall', {
      connectTimeoutMs: 60_000,
      requestTimeoutMs: 60_000,
    });
    const call = client.disconnectCustomKeyStore('cks-1', { timeoutMs: 500 });
    call.catch(() => {});
    await eventually(() => proxy.connections === 1);
    const closing = await timed(() => client.close());
    expect(closing.error).toBeUndefined();
    expect(closing.ms).toBeLessThan(3_000);
    await expect(call).rejects.toMatchObject({ phase: 'call' });
    expect(await eventually(() => proxy.open === 0)).toBe(true);
    const after = await timed(() => client.disconnectCustomKeyStore('cks-1'));
    expect(after.error).toBeInstanceOf(KmsError);
    expect((after.error as Error).message).toMatch(/closed/);
    expect(proxy.connections).toBe(1);
  });
});

describe.each([
  ['close', 'closes the connection instead of answering'],
  ['garbage', 'answers CONNECT with garbage'],
  ['ok-then-garbage', 'answers 200, then garbage'],
  ['ok-then-close', 'answers 200, then closes the tunnel'],
  ['ok-then-silence', 'answers 200, then says nothing'],
] as const)('a proxy that %s (%s)', (behaviour, _description) => {
  it('costs at most maxAttempts connections and ends typed within its limits', async () => {
    const { client, proxy } = await behindProxy(behaviour, {
      maxAttempts: 3,
      connectTimeoutMs: 300,
      requestTimeoutMs: 1000,
    });
    const call = await timed(() => client.disconnectCustomKeyStore('cks-1', { timeoutMs: 10_000 }));
    expect(call.error).toBeInstanceOf(KmsError);
    expect(call.error instanceof KmsNetworkError || call.error instanceof KmsTimeoutError).toBe(
      true,
    );
    if (call.error instanceof KmsTimeoutError) {
      expect(call.error).toMatchObject({ phase: 'connect', timeoutMs: 300 });
    }
    expect(call.ms).toBeLessThan(8_000);
    // Nothing more once the call has ended.
    await new Promise((r) => setTimeout(r, 300));
    expect(proxy.connections).toBeGreaterThanOrEqual(1);
    expect(proxy.connections).toBeLessThanOrEqual(3);
    const closing = await timed(() => client.close());
    expect(closing.ms).toBeLessThan(2_000);
    expect(await eventually(() => proxy.open === 0)).toBe(true);
  });
});
