/**
 * The README's OpenTelemetry example (test/tracing/opentelemetry-example.ts) against the emulator, with an
 * in-memory span exporter: one span per call, its attempts as span events. Also checks that the
 * README quotes the example as it is.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFile } from 'node:fs/promises';
import {
  type Context,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { CustomKeyStoreNotFoundException, KmsClient } from '../../src/index.js';
import { traceKmsCalls } from './opentelemetry-example.js';

let emu: KmsEmulator;
let client: KmsClient;
let exporter: InMemorySpanExporter;
let provider: BasicTracerProvider;
let stopTracing: () => void;

beforeEach(async () => {
  emu = await startKmsEmulator({ transitionMs: 10_000 });
  client = new KmsClient({
    endpoint: emu.url,
    region: emu.region,
    credentials: emulatorCredentials,
  });
  exporter = new InMemorySpanExporter();
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  stopTracing = traceKmsCalls(provider.getTracer('kms-test'));
});

afterEach(async () => {
  stopTracing();
  await provider.shutdown();
  await client.close();
  await emu.close();
});

const id = defaultKeyStoreIds.externalPublic;
const attemptEvents = (span: ReadableSpan) => span.events.filter((e) => e.name === 'kms.attempt');

describe('the OpenTelemetry example', () => {
  it('one span per call, each attempt an event, errors recorded', async () => {
    emu.injectFaults({ kind: 'throttle', count: 2, operation: 'DisconnectCustomKeyStore' });
    const result = await client.disconnectCustomKeyStore(id);
    const notFound = await client
      .disconnectCustomKeyStore('cks-00000000000000000')
      .catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(CustomKeyStoreNotFoundException);

    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual([
      'KMS.DisconnectCustomKeyStore',
      'KMS.DisconnectCustomKeyStore',
    ]);
    const [retried, failed] = spans as [ReadableSpan, ReadableSpan];

    expect(retried.kind).toBe(SpanKind.CLIENT);
    expect(retried.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(retried.attributes).toEqual({
      'rpc.system': 'aws-api',
      'rpc.service': 'KMS',
      'rpc.method': 'DisconnectCustomKeyStore',
      'cloud.region': emu.region,
      'server.address': new URL(emu.url).origin,
      'aws.kms.custom_key_store_id': id,
      'aws.request_id': result.$metadata.requestId,
      'http.response.status_code': 200,
      'aws.kms.attempts': 3,
    });
    const events = attemptEvents(retried);
    expect(events.map((e) => e.attributes)).toEqual([
      {
        'kms.attempt': 1,
        'http.response.status_code': 400,
        'error.type': 'ThrottlingException',
        'aws.request_id': emu.requests[0]!.requestId,
        'kms.duration_ms': expect.any(Number),
        'kms.retry_delay_ms': expect.any(Number),
      },
      {
        'kms.attempt': 2,
        'http.response.status_code': 400,
        'error.type': 'ThrottlingException',
        'aws.request_id': emu.requests[1]!.requestId,
        'kms.duration_ms': expect.any(Number),
        'kms.retry_delay_ms': expect.any(Number),
      },
      {
        'kms.attempt': 3,
        'http.response.status_code': 200,
        'aws.request_id': emu.requests[2]!.requestId,
        'kms.duration_ms': expect.any(Number),
      },
    ]);

    expect(failed.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: (notFound as Error).message,
    });
    expect(failed.attributes).toMatchObject({
      'aws.kms.custom_key_store_id': 'cks-00000000000000000',
      'http.response.status_code': 400,
      'aws.request_id': emu.requests[3]!.requestId,
      'aws.kms.attempts': 1,
    });
    expect(failed.events.find((e) => e.name === 'exception')?.attributes).toMatchObject({
      'exception.type': 'CustomKeyStoreNotFoundException',
    });
    expect(attemptEvents(failed)).toHaveLength(1);
  });

  it('concurrent calls: each attempt lands on the span of its own call', async () => {
    const ids = [defaultKeyStoreIds.externalPublic, defaultKeyStoreIds.externalVpc];
    emu.injectFaults({ kind: 'throttle', operation: 'DisconnectCustomKeyStore' });
    await Promise.all([
      ...ids.map((storeId) => client.disconnectCustomKeyStore(storeId)),
      client.describeCustomKeyStores(),
    ]);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(3);
    const attemptsOfAll = spans.flatMap(attemptEvents);
    expect(attemptsOfAll).toHaveLength(emu.requests.length);
    for (const span of spans) {
      const events = attemptEvents(span);
      expect(events.at(-1)?.attributes?.['http.response.status_code']).toBe(200);
      expect(events).toHaveLength(span.attributes['aws.kms.attempts'] as number);
      // Every attempt event's request ID is that of a request for this span's operation and store.
      for (const event of events) {
        const request = emu.requests.find(
          (r) => r.requestId === event.attributes?.['aws.request_id'],
        );
        expect(request?.operation).toBe(span.attributes['rpc.method']);
        // From the raw body: the emulator does not parse the input of a request it throttles.
        expect(JSON.parse(request!.body).CustomKeyStoreId).toBe(
          span.attributes['aws.kms.custom_key_store_id'],
        );
      }
    }
  });

  it("a call's span is a child of the span active when the call was made", async () => {
    // What an OpenTelemetry Node SDK registers: the active context in an AsyncLocalStorage.
    const storage = new AsyncLocalStorage<Context>();
    const manager: ContextManager = {
      active: () => storage.getStore() ?? ROOT_CONTEXT,
      with: (active, fn, thisArg, ...args) => storage.run(active, () => fn.apply(thisArg, args)),
      bind: (_active, target) => target,
      enable() {
        return this;
      },
      disable() {
        storage.disable();
        return this;
      },
    };
    context.setGlobalContextManager(manager);
    try {
      const tracer = provider.getTracer('app');
      const parent = tracer.startSpan('handle request');
      await context.with(trace.setSpan(ROOT_CONTEXT, parent), async () => {
        await client.describeCustomKeyStores();
        await client.disconnectCustomKeyStore(id);
      });
      parent.end();
      const [describeSpan, disconnectSpan] = exporter.getFinishedSpans();
      expect(describeSpan?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(disconnectSpan?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(disconnectSpan?.spanContext().traceId).toBe(parent.spanContext().traceId);
    } finally {
      context.disable();
    }
  });

  it('a paginated listing is one span per page; stopping ends the spans', async () => {
    const stores = [];
    for await (const store of client.paginateCustomKeyStores({ limit: 2 })) stores.push(store);
    expect(stores).toHaveLength(4);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([
      'KMS.DescribeCustomKeyStores',
      'KMS.DescribeCustomKeyStores',
    ]);

    stopTracing();
    await client.describeCustomKeyStores();
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });

  it('the README quotes the example as it is', async () => {
    const [readme, example] = await Promise.all([
      readFile(new URL('../../README.md', import.meta.url), 'utf8'),
      readFile(new URL('./opentelemetry-example.ts', import.meta.url), 'utf8'),
    ]);
    const quoted = example.replace("from '../../src/index.js'", "from 'kms-custom-key-store'");
    expect(quoted).not.toBe(example);
    expect(readme).toContain(`\`\`\`ts\n${quoted}\`\`\``);
  });
});
