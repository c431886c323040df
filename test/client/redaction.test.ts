/**
 * Secrets a server echoes back (the canonical request of a signature mismatch carries
 * `x-amz-security-token:<token>`) never reach an error's message, name, excerpt or request ID,
 * util.inspect, JSON.stringify, or what the CLI prints.
 */
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKmsEmulator } from '../../src/emulator/index.js';
import { KmsClient, KmsError, KmsResponseError, KmsServiceException } from '../../src/index.js';
import { runCli } from '../cli/run.js';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';

const session = {
  accessKeyId: 'ASIAREDACTIONTEST001',
  secretAccessKey: 'redaction-secret/Key+Value=0123456789',
  sessionToken: 'FwoGZXIvYXdzEBoaDredaction/token+value==',
};

/** Everything a user can see of an error. */
function visible(error: unknown): string {
  const fields = error as KmsError & { bodyExcerpt?: string };
  return [
    fields.name,
    fields.message,
    fields.stack,
    fields.bodyExcerpt,
    JSON.stringify(fields),
    JSON.stringify(fields.$metadata),
    inspect(error, { depth: 5 }),
  ].join('\n');
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(session.sessionToken);
  expect(text).not.toContain(session.secretAccessKey);
  expect(text).not.toContain(encodeURIComponent(session.sessionToken));
  expect(text).not.toMatch(/Signature=[0-9a-f]{16}/);
  expect(text).not.toContain('FwoGZXIvYXdzEBoaD');
  expect(text).not.toContain(`Credential=${session.accessKeyId}`);
}

describe('against the emulator', () => {
  it('a signature mismatch echoes the canonical request: the token is redacted, the rest kept', async () => {
    const emulator = await startKmsEmulator({ credentials: [session] });
    const client = new KmsClient({
      endpoint: emulator.url,
      region: emulator.region,
      credentials: { ...session, secretAccessKey: 'wrong-secret-of-the-right-token' },
    });
    try {
      const error = await client.describeCustomKeyStores().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KmsServiceException);
      expect((error as Error).name).toBe('InvalidSignatureException');
      // The message is still useful: the canonical request, with the token's place marked.
      expect((error as Error).message).toContain('x-amz-security-token:[redacted]');
      expect((error as Error).message).toContain(
        'x-amz-target:TrentService.DescribeCustomKeyStores',
      );
      expectNoSecret(visible(error));
    } finally {
      await client.close();
      await emulator.close();
    }
  });
});

describe('against a server that echoes secrets everywhere', () => {
  let server: LoopbackServer;
  let client: KmsClient;

  beforeEach(async () => {
    server = await startLoopbackServer();
    client = new KmsClient({
      region: 'eu-west-1',
      endpoint: server.url,
      credentials: session,
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  /** What the server saw, as a hostile server would echo it. */
  const echo = (headers: Record<string, string | string[] | undefined>) =>
    `canonical request:\nx-amz-security-token:${String(headers['x-amz-security-token'])}\n` +
    `Authorization=${String(headers.authorization)}\n` +
    `token again: ${String(headers['x-amz-security-token'])} secret: ${session.secretAccessKey} ` +
    `encoded: ${encodeURIComponent(session.sessionToken)}`;

  const cases: Array<
    [
      string,
      (headers: Record<string, string | string[] | undefined>) => {
        status: number;
        headers: Record<string, string>;
        body: string;
      },
    ]
  > = [
    [
      'a JSON error message',
      (headers) => ({
        status: 403,
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({ __type: 'InvalidSignatureException', message: echo(headers) }),
      }),
    ],
    [
      'a non-JSON error body (excerpt and description)',
      (headers) => ({
        status: 400,
        headers: { 'content-type': 'text/plain' },
        body: echo(headers),
      }),
    ],
    [
      'the error type header and the request ID',
      (headers) => ({
        status: 400,
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-errortype': `Bad${String(headers['x-amz-security-token'])}`,
          'x-amzn-requestid': `req-${String(headers['x-amz-security-token'])}`,
        },
        body: '',
      }),
    ],
    [
      'a 200 body that is not JSON',
      (headers) => ({
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body: echo(headers),
      }),
    ],
    [
      'a 200 JSON body that does not match the model',
      (headers) => ({
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({ CustomKeyStores: echo(headers) }),
      }),
    ],
  ];

  for (const [label, respond] of cases) {
    it(`${label}: nothing secret in the error`, async () => {
      server.handle((request, response) => {
        const { status, headers, body } = respond(request.headers);
        response.writeHead(status, headers);
        response.end(body);
      });
      const error = await client.describeCustomKeyStores().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KmsError);
      if (label.startsWith('a 200')) expect(error).toBeInstanceOf(KmsResponseError);
      // The request did carry the token: the test would see it if it leaked.
      expect(server.requests[0]?.headers['x-amz-security-token']).toBe(session.sessionToken);
      expect(visible(error)).toContain('[redacted]');
      expectNoSecret(visible(error));
    });
  }

  it('kms-cks prints the error without the token or the secret', async () => {
    server.handle((request, response) => {
      response.writeHead(403, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({ __type: 'InvalidSignatureException', message: echo(request.headers) }),
      );
    });
    const run = await runCli(
      undefined,
      ['describe', '--region', 'eu-west-1', '--endpoint', server.url],
      { clientConfig: { credentials: session, maxAttempts: 1 } },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^InvalidSignatureException: /);
    expect(run.stderr).toContain('[redacted]');
    expectNoSecret(run.stdout + run.stderr);
  });
});
