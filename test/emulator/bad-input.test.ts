/**
 * Whatever a client sends, the emulator answers with KMS's error and keeps serving: malformed
 * JSON, wrong types, wrong content type, missing or unknown targets, oversized bodies, garbage on
 * the socket. Also the request log, keep-alive and option checks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { send, signedHeaders } from './helpers.js';

let emu: KmsEmulator;
beforeAll(async () => {
  emu = await startKmsEmulator({ transitionMs: 10_000 });
});
afterAll(() => emu.close());
afterEach(() => emu.clearRequests());

const disconnect = (body: string) => send(emu, { operation: 'DisconnectCustomKeyStore', body });

describe('bodies the service framework cannot read', () => {
  it.each([
    ['malformed JSON', '{"CustomKeyStoreId":', 'Malformed JSON request body'],
    ['a JSON array', '[]', 'Start of list found where not expected.'],
    ['a JSON string', '"cks-1"', 'STRING_VALUE at top level'],
    [
      'a number for a string member',
      '{"CustomKeyStoreId":5}',
      'NUMBER_VALUE can not be converted to a String',
    ],
    [
      'an object for a string member',
      '{"CustomKeyStoreId":{}}',
      'Start of structure or map found where not expected.',
    ],
  ])('%s → SerializationException', async (_label, body, message) => {
    const response = await disconnect(body);
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      __type: 'com.amazon.coral.service#SerializationException',
      message: expect.stringContaining(message),
    });
    expect(emu.requests.at(-1)).toMatchObject({
      errorType: 'SerializationException',
      body,
      status: 400,
    });
  });

  it('a fractional or string Limit → SerializationException', async () => {
    for (const limit of [1.5, '10']) {
      const response = await send(emu, { body: JSON.stringify({ Limit: limit }) });
      expect(response.json?.__type).toBe('com.amazon.coral.service#SerializationException');
      expect(response.json?.message).toMatch(/can not be converted to an Integer$/);
    }
  });

  it('an empty body reads as {} and unknown members are ignored', async () => {
    expect((await send(emu, { body: '' })).status).toBe(200);
    expect((await send(emu, { body: '{"SomethingNew":true}' })).status).toBe(200);
  });
});

describe('ValidationException as KMS words it', () => {
  it.each([
    [
      '{"CustomKeyStoreId":""}',
      "1 validation error detected: Value '' at 'customKeyStoreId' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ],
    [
      '{}',
      "1 validation error detected: Value null at 'customKeyStoreId' failed to satisfy constraint: Member must not be null",
    ],
    [
      '{"CustomKeyStoreId":null}',
      "1 validation error detected: Value null at 'customKeyStoreId' failed to satisfy constraint: Member must not be null",
    ],
    [
      JSON.stringify({ CustomKeyStoreId: 'c'.repeat(65) }),
      `1 validation error detected: Value '${'c'.repeat(65)}' at 'customKeyStoreId' failed to satisfy constraint: Member must have length less than or equal to 64`,
    ],
  ])('%s', async (body, message) => {
    const response = await disconnect(body);
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      __type: 'com.amazon.coral.validate#ValidationException',
      message,
    });
  });

  it('lists every violation', async () => {
    const response = await send(emu, {
      body: JSON.stringify({ CustomKeyStoreName: '', Limit: 0 }),
    });
    expect(response.json?.message).toMatch(
      /^2 validation errors detected: Value '' at 'customKeyStoreName'.*; Value '0' at 'limit'/,
    );
  });
});

describe('requests that name no operation the emulator serves', () => {
  it.each([
    ['an unknown target', { operation: 'Encrypt' }, 'Unknown operation POST TrentService.Encrypt'],
    [
      'another service prefix',
      { headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables' }, operation: null },
      'Unknown operation',
    ],
    ['no target', { operation: null }, 'Missing X-Amz-Target header'],
    [
      'a wrong content type',
      { contentType: 'text/plain' },
      "Content-Type 'text/plain' is not supported",
    ],
    ['no content type', { contentType: null }, 'Content-Type (none) is not supported'],
    ['a GET', { method: 'GET', body: '' }, 'Unknown operation GET'],
  ])('%s → UnknownOperationException 400', async (_label, options, message) => {
    const response = await send(emu, options as never);
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      __type: 'com.amazon.coral.service#UnknownOperationException',
      message: expect.stringContaining(message),
    });
  });

  it('accepts application/x-amz-json-1.1 with parameters and application/x-amz-json-1.0', async () => {
    expect(
      (await send(emu, { contentType: 'application/x-amz-json-1.1; charset=utf-8' })).status,
    ).toBe(200);
    expect((await send(emu, { contentType: 'application/x-amz-json-1.0' })).status).toBe(200);
  });
});

describe('abuse', () => {
  it('answers a 10 MiB body with 413 and keeps serving', async () => {
    const body = Buffer.alloc(10 * 1024 * 1024, 'a');
    const response = await send(emu, { body, unsigned: true });
    expect(response.status).toBe(413);
    expect(response.json?.__type).toBe('RequestEntityTooLargeException');
    expect(response.json?.message).toContain(`${body.length} bytes`);
    expect(emu.requests.at(-1)).toMatchObject({ bodyBytes: body.length, body: '', status: 413 });
    expect((await send(emu)).status).toBe(200);
  });

  it('survives garbage on the socket and keeps serving', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(emu.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await send(emu)).status).toBe(200);
  });

  it('survives a client that goes away mid-body', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(emu.port, '127.0.0.1', () => {
        socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"Custom');
        socket.destroy();
        resolve();
      });
    });
    expect((await send(emu)).status).toBe(200);
  });
});

describe('HTTP behaviour', () => {
  it('keeps connections alive between requests, like KMS', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ports: number[] = [];
      for (let index = 0; index < 3; index++) {
        const headers = await signedHeaders(emu, '{}');
        const { port, connection } = await new Promise<{ port: number; connection?: string }>(
          (resolve, reject) => {
            const request = httpRequest(emu.url, { method: 'POST', headers, agent }, (response) => {
              response.resume();
              response.on('end', () =>
                resolve({
                  port: request.socket!.localPort!,
                  connection: response.headers.connection,
                }),
              );
            });
            request.on('error', reject);
            request.end('{}');
          },
        );
        expect(connection).toBe('keep-alive');
        ports.push(port);
      }
      expect(new Set(ports).size).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('sends a unique x-amzn-requestid and a Date on every response', async () => {
    emu.injectFaults([{ kind: 'html503' }, { kind: 'throttle' }]);
    const responses = [
      await send(emu),
      await send(emu),
      await send(emu),
      await send(emu, { unsigned: true }),
      await disconnect('{"CustomKeyStoreId":""}'),
      await disconnect(JSON.stringify({ CustomKeyStoreId: 'cks-none' })),
    ];
    const ids = responses.map((response) => response.headers['x-amzn-requestid']);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(responses.every((response) => response.headers.date !== undefined)).toBe(true);
    expect(emu.requests.map((entry) => entry.requestId)).toEqual(ids);
  });
});

describe('the request log', () => {
  it('records operation, target, lower-case headers, raw body, parsed input, status and time', async () => {
    const body = JSON.stringify({ CustomKeyStoreId: 'cks-none' });
    await disconnect(body);
    const [entry] = emu.requests;
    expect(entry).toMatchObject({
      method: 'POST',
      path: '/',
      operation: 'DisconnectCustomKeyStore',
      target: 'TrentService.DisconnectCustomKeyStore',
      body,
      bodyBytes: body.length,
      input: { CustomKeyStoreId: 'cks-none' },
      status: 400,
      errorType: 'CustomKeyStoreNotFoundException',
    });
    expect(entry?.at).toBeInstanceOf(Date);
    expect(Object.keys(entry!.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(entry?.headers['x-amz-target']).toBe('TrentService.DisconnectCustomKeyStore');
    expect(entry?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
  });

  it('keeps only the latest maxRecordedRequests', async () => {
    const small = await startKmsEmulator({ maxRecordedRequests: 3 });
    try {
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) {
        ids.push((await send(small)).headers['x-amzn-requestid']!);
      }
      expect(small.requests.map((entry) => entry.requestId)).toEqual(ids.slice(2));
    } finally {
      await small.close();
    }
  });

  it('keeps at most 1 KiB of the body of a request that failed authentication', async () => {
    const big = JSON.stringify({ CustomKeyStoreId: 'cks-none', Pad: 'x'.repeat(512 * 1024) });
    for (let index = 0; index < 40; index++) {
      const unsigned = await send(emu, { body: big, unsigned: true });
      expect(unsigned.status).toBe(400);
      const wrongSecret = await send(emu, {
        body: big,
        credentials: { accessKeyId: emulatorCredentials.accessKeyId, secretAccessKey: 'nope' },
      });
      expect(wrongSecret.status).toBe(400);
    }
    expect(emu.requests).toHaveLength(80);
    for (const entry of emu.requests) {
      expect(entry.accessKeyId).toBeUndefined();
      expect(entry.bodyBytes).toBe(big.length);
      expect(entry.body).toBe(big.slice(0, 1024));
    }
    const logged = emu.requests.reduce((sum, entry) => sum + entry.body.length, 0);
    expect(logged).toBeLessThanOrEqual(80 * 1024);
  });

  it('bounds the log by maxRecordedBytes, dropping the oldest entries first', async () => {
    const bounded = await startKmsEmulator({ maxRecordedBytes: 2 * 1024 * 1024 });
    try {
      const ids: string[] = [];
      for (let index = 0; index < 10; index++) {
        const body = JSON.stringify({
          CustomKeyStoreId: 'cks-none',
          Pad: `${index}`.repeat(600_000),
        });
        const response = await send(bounded, { operation: 'DisconnectCustomKeyStore', body });
        ids.push(response.headers['x-amzn-requestid']!);
      }
      const logged = bounded.requests.reduce((sum, entry) => sum + entry.body.length, 0);
      expect(logged).toBeLessThanOrEqual(2 * 1024 * 1024);
      // The latest three fit (3 × 600 KB); they are whole and authenticated.
      expect(bounded.requests.map((entry) => entry.requestId)).toEqual(ids.slice(7));
      expect(bounded.requests.every((entry) => entry.body.length === entry.bodyBytes)).toBe(true);
    } finally {
      await bounded.close();
    }
  });

  it('keeps a single entry larger than maxRecordedBytes with its body cut to the bound', async () => {
    const tiny = await startKmsEmulator({ maxRecordedBytes: 4096 });
    try {
      const body = JSON.stringify({ CustomKeyStoreId: 'cks-none', Pad: 'y'.repeat(20_000) });
      await send(tiny, { operation: 'DisconnectCustomKeyStore', body });
      expect(tiny.requests).toHaveLength(1);
      expect(tiny.requests[0]!.bodyBytes).toBe(body.length);
      expect(tiny.requests[0]!.body.length).toBeLessThanOrEqual(4096);
      expect(body.startsWith(tiny.requests[0]!.body)).toBe(true);
    } finally {
      await tiny.close();
    }
  });

  it('records nothing with recordRequests: false', async () => {
    const quiet = await startKmsEmulator({ recordRequests: false });
    try {
      expect((await send(quiet)).status).toBe(200);
      expect(quiet.requests).toHaveLength(0);
    } finally {
      await quiet.close();
    }
  });
});

describe('options', () => {
  it.each([
    [{ port: -1 }, /port/],
    [{ port: 70_000 }, /port/],
    [{ transitionMs: 1.5 }, /transitionMs/],
    [{ credentials: [] }, /credentials/],
    [{ region: 'US East' }, /region/],
    [{ clockOffsetMs: Number.NaN }, /clockOffsetMs/],
  ])('rejects %j with a TypeError', async (options, message) => {
    await expect(startKmsEmulator(options)).rejects.toThrow(message);
  });

  it('rejects a port in use', async () => {
    await expect(startKmsEmulator({ port: emu.port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('listens on 127.0.0.1 and a free port by default', () => {
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.port).toBeGreaterThan(0);
    expect(emu.keyStores.get(defaultKeyStoreIds.cloudHsm)?.type).toBe('AWS_CLOUDHSM');
  });
});

describe('independence from the client', () => {
  it('imports nothing but its own modules and node built-ins', () => {
    const dir = fileURLToPath(new URL('../../src/emulator/', import.meta.url));
    let checked = 0;
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
      const source = readFileSync(`${dir}${file}`, 'utf8');
      const specifiers = [...source.matchAll(/^(?:import|export)\b[^;]*?from '([^']+)'/gm)].map(
        (match) => match[1]!,
      );
      checked += specifiers.length;
      for (const specifier of specifiers) {
        expect(specifier, `${file} imports ${specifier}`).toMatch(/^(node:|\.\/)/);
      }
    }
    // The pattern did find the imports (index.ts and server.ts alone have a dozen).
    expect(checked).toBeGreaterThan(10);
  });
});
