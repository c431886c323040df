/**
 * The emulator bounds the time a request's body may take to arrive, as Node bounds its headers':
 * a client that sends headers and then trickles the body gets 408 and its connection closed,
 * instead of holding it open until Node's 300 s request limit.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type KmsEmulator, startKmsEmulator } from '../../src/emulator/index.js';

let emulator: KmsEmulator | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await emulator?.close();
  emulator = undefined;
});

/** Sends the headers and a first part of a 1,000-byte body, then a byte every 100 ms. */
function trickle(port: number): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let text = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(
    'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: TrentService.DescribeCustomKeyStores\r\nContent-Length: 1000\r\n\r\n{"Limit":',
  );
  const drip = setInterval(() => {
    if (!socket.destroyed && socket.writable) socket.write(' ');
  }, 100);
  closed.then(() => clearInterval(drip));
  return { socket, received: () => text, closed };
}

describe('emulator body time', () => {
  it('a body that trickles in past bodyTimeoutMs gets 408 RequestTimeoutException and the connection is closed', async () => {
    emulator = await startKmsEmulator({ bodyTimeoutMs: 300 });
    const slow = trickle(emulator.port);
    const closedInTime = await Promise.race([
      slow.closed.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 8_000)),
    ]);
    expect(closedInTime).toBe(true);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(slow.received()).toMatch(/connection: close/i);
    expect(slow.received()).toContain('RequestTimeoutException');
    expect(emulator.requests.at(-1)).toMatchObject({ status: 408 });
  });

  it('a request whose body arrives in time is answered as usual', async () => {
    emulator = await startKmsEmulator({ bodyTimeoutMs: 5_000 });
    const response = await fetch(emulator.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'TrentService.DescribeCustomKeyStores',
      },
      body: '{}',
    });
    // Unsigned: refused by the emulator's own rules, not by the body limit.
    expect(response.status).not.toBe(408);
    await response.text();
  });

  it('bodyTimeoutMs must be a positive whole number of ms', async () => {
    await expect(startKmsEmulator({ bodyTimeoutMs: 0 })).rejects.toThrow(TypeError);
    await expect(startKmsEmulator({ bodyTimeoutMs: 1.5 })).rejects.toThrow(TypeError);
  });
});
