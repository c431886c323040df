import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultCredentialChain } from '../../src/credentials/chain.js';
import { CredentialSourceError } from '../../src/credentials/credentials.js';
import { imdsEndpoint } from '../../src/credentials/imds.js';
import { KmsConfigError } from '../../src/errors.js';
import { credentialsDocument, isolatedEnv, type TempHome, tempHome } from '../config/helpers.js';
import {
  type LoopbackServer,
  type RecordedRequest,
  startLoopbackServer,
} from '../helpers/loopback.js';

let home: TempHome;
let imds: LoopbackServer;
const token = 'IMDS-TOKEN-MUST-NOT-LEAK';

/** What each step of the fake IMDS answers; a step may be replaced per test. */
type Step = (request: RecordedRequest, response: ServerResponse) => void;
let steps: { token: Step; role: Step; credentials: Step };

beforeEach(async () => {
  home = await tempHome();
  steps = {
    token: (_request, response) => response.end(token),
    role: (_request, response) => response.end('kms-operator\n'),
    credentials: (_request, response) => response.end(credentialsDocument('AKIDINSTANCE')),
  };
  imds = await startLoopbackServer((request, response) => {
    if (request.method === 'PUT' && request.url === '/latest/api/token') {
      steps.token(request, response);
    } else if (request.headers['x-aws-ec2-metadata-token'] !== token) {
      response.writeHead(401);
      response.end();
    } else if (request.url === '/latest/meta-data/iam/security-credentials/') {
      steps.role(request, response);
    } else if (request.url === '/latest/meta-data/iam/security-credentials/kms-operator') {
      steps.credentials(request, response);
    } else {
      response.writeHead(404);
      response.end();
    }
  });
});
afterEach(async () => {
  await imds.close();
  await home.remove();
});

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return isolatedEnv(home.dir, {
    AWS_EC2_METADATA_DISABLED: 'false',
    AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
    ...extra,
  });
}

async function chainError(timeoutMs = 2_000): Promise<KmsConfigError> {
  const error = await defaultCredentialChain({ env: env(), metadataTimeoutMs: timeoutMs })().catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KmsConfigError);
  const configError = error as KmsConfigError;
  expect(configError.message).not.toContain(token);
  expect(configError.message).toMatch(/^No credentials found: env: .*; imds: /);
  return configError;
}

describe('instance metadata (IMDSv2)', () => {
  it('gets a token, then the role, then its credentials', async () => {
    const won = await defaultCredentialChain({ env: env() })();
    expect(won.source).toBe('imds');
    expect(won.credentials.accessKeyId).toBe('AKIDINSTANCE');
    expect(won.credentials.sessionToken).toBe('session-token-of-the-test');
    expect(won.credentials.expiration).toBeInstanceOf(Date);
    expect(imds.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'PUT /latest/api/token',
      'GET /latest/meta-data/iam/security-credentials/',
      'GET /latest/meta-data/iam/security-credentials/kms-operator',
    ]);
    expect(imds.requests[0]?.headers['x-aws-ec2-metadata-token-ttl-seconds']).toBe('21600');
    expect(imds.requests[1]?.headers['x-aws-ec2-metadata-token']).toBe(token);
  });

  it('is never called when AWS_EC2_METADATA_DISABLED=true', async () => {
    const error = await defaultCredentialChain({
      env: env({ AWS_EC2_METADATA_DISABLED: 'TRUE' }),
    })().catch((e: unknown) => e);
    expect((error as KmsConfigError).sources.at(-1)).toEqual({
      source: 'imds',
      reason: 'disabled by AWS_EC2_METADATA_DISABLED',
    });
    expect(imds.requests).toHaveLength(0);
  });

  it('AWS_EC2_METADATA_DISABLED=yes is a config error naming the variable, as every boolean variable (and the AWS SDK)', async () => {
    const error = await defaultCredentialChain({
      env: env({ AWS_EC2_METADATA_DISABLED: 'yes' }),
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsConfigError);
    expect((error as KmsConfigError).sources.at(-1)).toEqual({
      source: 'imds',
      reason: 'AWS_EC2_METADATA_DISABLED must be "true" or "false", got "yes"',
    });
    expect(imds.requests).toHaveLength(0);
  });

  it('reports a token request answered with 500', async () => {
    steps.token = (_request, response) => {
      response.writeHead(500);
      response.end('oops');
    };
    const error = await chainError();
    expect(error.sources.at(-1)).toEqual({
      source: 'imds',
      reason: `token request to ${imds.url} answered HTTP 500`,
    });
  });

  it('reports an instance without a role', async () => {
    steps.role = (_request, response) => {
      response.writeHead(404);
      response.end();
    };
    const error = await chainError();
    expect(error.sources.at(-1)?.reason).toBe(
      'no IAM role is attached to this instance (role request answered HTTP 404)',
    );
  });

  it('reports garbage credentials without echoing them', async () => {
    steps.credentials = (_request, response) => response.end('AKIDLEAK:secret garbage');
    const error = await chainError();
    expect(error.sources.at(-1)?.reason).toBe(
      'credentials request answered something that is not JSON',
    );
    expect(error.message).not.toContain('AKIDLEAK');
  });

  it('reports a credentials document whose Code is not Success', async () => {
    steps.credentials = (_request, response) =>
      response.end('{"Code":"AssumeRoleUnauthorizedAccess","Message":"m"}');
    const error = await chainError();
    expect(error.sources.at(-1)?.reason).toBe(
      'credentials request answered Code AssumeRoleUnauthorizedAccess',
    );
  });

  it('reports a role name that is not one', async () => {
    steps.role = (_request, response) => response.end('../../etc/passwd');
    const error = await chainError();
    expect(error.sources.at(-1)?.reason).toBe(
      'role request answered something that is not a role name',
    );
  });

  it('times out a silent metadata service', async () => {
    steps.token = () => {
      // Never answers.
    };
    const error = await chainError(300);
    expect(error.sources.at(-1)?.reason).toBe(
      `token request to ${imds.url}: no response within 300 ms`,
    );
  });

  it('takes the endpoint from the variable, the profile, or the endpoint mode', () => {
    expect(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9/x' }).href).toBe(
      'http://127.0.0.1:9/',
    );
    expect(imdsEndpoint({}, { ec2_metadata_service_endpoint: 'http://127.0.0.2:8' }).href).toBe(
      'http://127.0.0.2:8/',
    );
    expect(imdsEndpoint({}).href).toBe('http://169.254.169.254/');
    expect(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' }).href).toBe(
      'http://[fd00:ec2::254]/',
    );
    expect(() => imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'ipx' })).toThrow(
      CredentialSourceError,
    );
    expect(() => imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'not a url' })).toThrow(
      'the metadata service endpoint is not a valid URL',
    );
  });
});
