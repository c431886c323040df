import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultCredentialChain } from '../../src/credentials/chain.js';
import { containerCredentialsUrl } from '../../src/credentials/container.js';
import { CredentialSourceError } from '../../src/credentials/credentials.js';
import { KmsConfigError } from '../../src/errors.js';
import { credentialsDocument, isolatedEnv, type TempHome, tempHome } from '../config/helpers.js';
import { type Handler, type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';

let home: TempHome;
let server: LoopbackServer | undefined;
beforeEach(async () => {
  home = await tempHome();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await home.remove();
});

async function serve(handler: Handler): Promise<LoopbackServer> {
  server = await startLoopbackServer(handler);
  return server;
}

function chain(extra: NodeJS.ProcessEnv) {
  return defaultCredentialChain({
    env: isolatedEnv(home.dir, extra),
    metadataTimeoutMs: 2_000,
    containerRetries: 2,
  })();
}

async function chainError(extra: NodeJS.ProcessEnv): Promise<KmsConfigError> {
  const error = await chain(extra).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KmsConfigError);
  return error as KmsConfigError;
}

describe('container credentials', () => {
  it('fetches from AWS_CONTAINER_CREDENTIALS_FULL_URI with the authorization token', async () => {
    const expiration = new Date(Date.now() + 3600_000);
    const endpoint = await serve((_request, response) => {
      response.end(credentialsDocument('AKIDPOD', { expiration, token: 'pod-session' }));
    });
    const won = await chain({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/v1/credentials?x=1`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'static-auth-token',
    });
    expect(won).toEqual({
      source: 'container',
      credentials: {
        accessKeyId: 'AKIDPOD',
        secretAccessKey: 'secret-of-the-test-key',
        sessionToken: 'pod-session',
        expiration,
      },
    });
    expect(endpoint.requests).toHaveLength(1);
    expect(endpoint.requests[0]?.method).toBe('GET');
    expect(endpoint.requests[0]?.url).toBe('/v1/credentials?x=1');
    expect(endpoint.requests[0]?.headers.authorization).toBe('static-auth-token');
  });

  it('reads the token file on each fetch, and prefers it to the token variable (EKS Pod Identity)', async () => {
    const endpoint = await serve((_request, response) => {
      response.end(credentialsDocument('AKIDPOD'));
    });
    const tokenFile = await home.write('eks-pod-identity-token', 'token-one\n');
    const env = {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/v1/credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'ignored-token',
    };
    await chain(env);
    await home.write('eks-pod-identity-token', 'token-two');
    await chain(env);
    expect(endpoint.requests.map((r) => r.headers.authorization)).toEqual([
      'token-one',
      'token-two',
    ]);
  });

  it('builds the ECS URL from AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (not fetched here: not loopback)', () => {
    expect(
      containerCredentialsUrl({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc' })
        .href,
    ).toBe('http://169.254.170.2/v2/credentials/abc');
  });

  const hosts: readonly [string, boolean][] = [
    ['http://127.0.0.1:8080/creds', true],
    ['http://127.1.2.3/creds', true],
    ['http://localhost/creds', true],
    ['http://[::1]:8080/creds', true],
    ['http://169.254.170.2/creds', true],
    ['http://169.254.170.23/v1/credentials', true],
    ['http://[fd00:ec2::23]/v1/credentials', true],
    ['https://credentials.example.com/creds', true],
    ['http://credentials.example.com/creds', false],
    ['http://10.0.0.5/creds', false],
    ['http://169.254.169.254/creds', false],
    ['http://127.0.0.1.example.com/creds', false],
    ['ftp://127.0.0.1/creds', false],
  ];
  for (const [url, allowed] of hosts) {
    it(`${allowed ? 'allows' : 'refuses'} ${url}`, () => {
      const check = () => containerCredentialsUrl({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url });
      if (allowed) expect(check().href).toBe(new URL(url).href);
      else expect(check).toThrow(CredentialSourceError);
    });
  }

  it('refuses a non-allowed host before sending anything, and the chain stops there', async () => {
    const error = await chainError({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://credentials.example.com/creds',
    });
    expect(error.message).toMatch(
      /^Cannot get credentials from container: AWS_CONTAINER_CREDENTIALS_FULL_URI host credentials\.example\.com is not allowed over plain http/,
    );
  });

  it('retries a 500 and then reports it, without the token', async () => {
    const endpoint = await serve((_request, response) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end('{"Code":"InternalError","Message":"secret-ish details"}');
    });
    const error = await chainError({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/creds`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'TOKEN-MUST-NOT-LEAK',
    });
    expect(endpoint.requests).toHaveLength(3);
    expect(error.sources.at(-1)).toEqual({
      source: 'container',
      reason: `${endpoint.url}/creds answered HTTP 500 (InternalError) (after 3 attempts)`,
    });
    expect(error.message).not.toContain('TOKEN-MUST-NOT-LEAK');
    expect(error.message).not.toContain('secret-ish');
  });

  it('does not retry a 403', async () => {
    const endpoint = await serve((_request, response) => {
      response.writeHead(403);
      response.end('{"Code":"AccessDenied"}');
    });
    const error = await chainError({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/creds` });
    expect(endpoint.requests).toHaveLength(1);
    expect(error.sources.at(-1)?.reason).toBe(
      `${endpoint.url}/creds answered HTTP 403 (AccessDenied)`,
    );
  });

  const garbage: readonly [string, string, string][] = [
    ['not JSON', '<html>AKIDLEAK secret</html>', 'answered something that is not JSON'],
    [
      'JSON without keys',
      '{"AccessKeyId":"AKIDLEAK"}',
      'answered JSON without the credential fields',
    ],
    [
      'a bad Expiration',
      credentialsDocument('AKIDLEAK').replace(/"Expiration":"[^"]+"/, '"Expiration":"later"'),
      'answered an Expiration that is not a date',
    ],
  ];
  for (const [name, body, reason] of garbage) {
    it(`reports a response with ${name} without echoing it`, async () => {
      const endpoint = await serve((_request, response) => {
        response.end(body);
      });
      const error = await chainError({
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/creds`,
      });
      expect(error.sources.at(-1)?.reason).toContain(`${endpoint.url}/creds ${reason}`);
      expect(error.message).not.toContain('AKIDLEAK');
    });
  }

  it('times out an endpoint that never answers', async () => {
    const endpoint = await serve(() => {
      // Never answers.
    });
    const error = await defaultCredentialChain({
      env: isolatedEnv(home.dir, { AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/creds` }),
      metadataTimeoutMs: 300,
      containerRetries: 0,
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsConfigError);
    expect((error as KmsConfigError).sources.at(-1)?.reason).toBe(
      `${endpoint.url}/creds: no response within 300 ms`,
    );
  });

  it('refuses a token with a line break (header injection)', async () => {
    const endpoint = await serve((_request, response) => {
      response.end(credentialsDocument('A'));
    });
    const error = await chainError({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/creds`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'abc\r\nX-Injected: 1',
    });
    expect(error.sources.at(-1)?.reason).toBe(
      'the authorization token contains a control character or a character outside Latin-1',
    );
    expect(endpoint.requests).toHaveLength(0);
  });

  it.each([
    ['a NUL in the variable', { AWS_CONTAINER_AUTHORIZATION_TOKEN: 'abc\u0000def' }],
    ['an escape in the variable', { AWS_CONTAINER_AUTHORIZATION_TOKEN: 'abc\u001b[2Jdef' }],
    ['a DEL in the variable', { AWS_CONTAINER_AUTHORIZATION_TOKEN: 'abc\u007fdef' }],
    ['a C1 control in the variable', { AWS_CONTAINER_AUTHORIZATION_TOKEN: 'abc\u0085def' }],
    ['non-Latin-1 in the variable', { AWS_CONTAINER_AUTHORIZATION_TOKEN: 'tök€n' }],
    ['non-Latin-1 in the token file', { file: 'jeton-日本' }],
    ['a control character in the token file', { file: 'tok\u0007en' }],
  ])('refuses a token with %s: KmsConfigError, no request, no TypeError', async (_label, given) => {
    const endpoint = await serve((_request, response) => {
      response.end(credentialsDocument('A'));
    });
    const env: NodeJS.ProcessEnv = { AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/creds` };
    if ('file' in given) {
      env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE = await home.write('token', given.file);
    } else {
      Object.assign(env, given);
    }
    const error = await chainError(env);
    expect(error.sources.at(-1)).toEqual({
      source: 'container',
      reason: 'the authorization token contains a control character or a character outside Latin-1',
    });
    expect(endpoint.requests).toHaveLength(0);
  });

  it('accepts a token with Latin-1 letters and spaces', async () => {
    const endpoint = await serve((_request, response) => {
      response.end(credentialsDocument('A'));
    });
    await chain({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/creds`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'Bearer tök~en',
    });
    expect(endpoint.requests[0]?.headers.authorization).toBe('Bearer tök~en');
  });
});
