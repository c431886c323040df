import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Credentials,
  KmsClient,
  KmsConfigError,
  KmsError,
  KmsServiceException,
  KmsValidationError,
} from '../../src/index.js';
import { kmsError, type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';

const secret = 'SuperSecretKeyValue/ABC+123';
const token = 'SessionTokenValue//FQoGZXIvYXdzE';
const credentials: Credentials = {
  accessKeyId: 'AKIDVALIDATION',
  secretAccessKey: secret,
  sessionToken: token,
};

let server: LoopbackServer;
let client: KmsClient;
const savedEnv = { ...process.env };

beforeEach(async () => {
  server = await startLoopbackServer();
  client = new KmsClient({ region: 'eu-west-1', endpoint: server.url, credentials });
});

afterEach(async () => {
  process.env = { ...savedEnv };
  await client.close();
  await server.close();
});

describe('bad input is rejected before anything is sent', () => {
  const cases: Array<[string, unknown]> = [
    ['a number', 42],
    ['an empty string', ''],
    ['65 characters', 'c'.repeat(65)],
    ['null', null],
    ['undefined', undefined],
    ['an object without the id', {}],
    ['an object with a non-string id', { customKeyStoreId: 7 }],
    ['an object with an unknown field', { customKeyStoreId: 'cks-1', extra: true }],
  ];
  for (const [label, input] of cases) {
    it(`rejects ${label}`, async () => {
      const error = await client.disconnectCustomKeyStore(input as string).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KmsValidationError);
      expect(error).toBeInstanceOf(KmsError);
      const validation = error as KmsValidationError;
      expect(validation.issues.length).toBeGreaterThan(0);
      expect(validation.message).toMatch(/^Invalid input for DisconnectCustomKeyStore: /);
      expect(validation.$metadata.attempts).toBe(0);
      expect(server.requests).toHaveLength(0);
    });
  }

  const throwingGetter = () =>
    Object.defineProperty({}, 'customKeyStoreId', {
      enumerable: true,
      get() {
        throw new Error('getter exploded');
      },
    });
  const hostileProxy = () =>
    new Proxy(
      { customKeyStoreId: 'cks-1' },
      {
        get() {
          throw new Error('proxy get trap');
        },
        ownKeys() {
          throw new Error('proxy ownKeys trap');
        },
        getPrototypeOf() {
          throw new Error('proxy getPrototypeOf trap');
        },
      },
    );
  const unreadable: Array<[string, () => unknown]> = [
    ['an object with a throwing getter', throwingGetter],
    ['a Proxy whose traps throw', hostileProxy],
  ];
  for (const [label, make] of unreadable) {
    it(`rejects ${label} with KmsValidationError, for every operation and the paginator`, async () => {
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['DisconnectCustomKeyStore', () => client.disconnectCustomKeyStore(make() as string)],
        ['ConnectCustomKeyStore', () => client.connectCustomKeyStore(make() as string)],
        ['DescribeCustomKeyStores', () => client.describeCustomKeyStores(make() as {})],
        [
          'DescribeCustomKeyStores',
          async () => {
            for await (const _entry of client.paginateCustomKeyStores(make() as {})) {
              // nothing: the first page must not be requested
            }
          },
        ],
      ];
      for (const [operation, call] of calls) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(KmsValidationError);
        expect((error as Error).message).toMatch(
          new RegExp(`^Invalid input for ${operation}: input: cannot be read \\(`),
        );
        expect((error as KmsValidationError).$metadata.attempts).toBe(0);
      }
      expect(server.requests).toHaveLength(0);
    });
  }

  it('accepts exactly 64 characters', async () => {
    await client.disconnectCustomKeyStore('c'.repeat(64));
    expect(server.requests).toHaveLength(1);
  });

  it('names the field in the issues', async () => {
    const error = (await client
      .disconnectCustomKeyStore('')
      .catch((e: unknown) => e)) as KmsValidationError;
    expect(error.issues[0]!.path).toEqual(['customKeyStoreId']);
  });
});

describe('unsafe configuration is refused', () => {
  for (const region of ['eu-west-1.evil.com', 'eu-west-1/', 'EU-WEST-1', 'eu west', 'a@b', '']) {
    it(`rejects region ${JSON.stringify(region)}`, () => {
      expect(() => new KmsClient({ region, credentials })).toThrow(KmsConfigError);
    });
  }

  const nonStrings: Array<[unknown, string]> = [
    [123, 'a number'],
    [null, 'null'],
    [['us-east-1'], 'an array'],
    [{}, 'an object'],
    [true, 'a boolean'],
  ];
  for (const [region, described] of nonStrings) {
    it(`rejects region ${JSON.stringify(region)} (not a string) in the constructor`, () => {
      expect(() => new KmsClient({ region: region as string, credentials })).toThrow(
        new KmsConfigError(`region must be a string, got ${described}`, {
          code: 'InvalidRegion',
          setting: 'config.region',
        }),
      );
    });
  }

  it('rejects a region from the environment that is not [a-z0-9-]+, before sending', async () => {
    process.env.AWS_REGION = 'us-east-1.attacker.example';
    const fromEnv = new KmsClient({ endpoint: server.url, credentials });
    await expect(fromEnv.disconnectCustomKeyStore('cks-1')).rejects.toBeInstanceOf(KmsConfigError);
    await fromEnv.close();
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a plain http endpoint that is not loopback', () => {
    expect(
      () => new KmsClient({ region: 'eu-west-1', endpoint: 'http://kms.example.com', credentials }),
    ).toThrow(/Refusing plain http endpoint/);
  });

  it('allows it with allowInsecureEndpoint: true', async () => {
    const insecure = new KmsClient({
      region: 'eu-west-1',
      endpoint: 'http://kms.example.com',
      allowInsecureEndpoint: true,
      credentials,
    });
    // Resolving sends nothing; the client would call this very endpoint.
    expect((await insecure.resolveConfig()).endpoint).toBe('http://kms.example.com/');
    await insecure.close();
  });

  it('allows http on loopback (127.0.0.0/8, localhost, [::1])', async () => {
    for (const endpoint of [
      'http://127.0.0.1:1',
      'http://127.1.2.3',
      'http://localhost:8080',
      'http://[::1]:9',
    ]) {
      const loopback = new KmsClient({ region: 'eu-west-1', endpoint, credentials });
      expect((await loopback.resolveConfig()).endpoint).toBe(new URL(endpoint).href);
      await loopback.close();
    }
  });

  it('refuses endpoints with user info, other protocols or junk', () => {
    for (const endpoint of [
      'https://user:pw@kms.example.com',
      'ftp://kms.example.com',
      'not a url',
      'https://kms.example.com/?a=1',
    ]) {
      expect(() => new KmsClient({ region: 'eu-west-1', endpoint, credentials })).toThrow(
        KmsConfigError,
      );
    }
  });

  it('refuses out-of-range limits', () => {
    expect(() => new KmsClient({ maxAttempts: 0 })).toThrow(KmsConfigError);
    expect(() => new KmsClient({ maxAttempts: 1.5 })).toThrow(KmsConfigError);
    expect(() => new KmsClient({ requestTimeoutMs: -1 })).toThrow(KmsConfigError);
  });

  it('refuses credentials without the required strings', () => {
    expect(() => new KmsClient({ credentials: { accessKeyId: 'A', secretAccessKey: '' } })).toThrow(
      KmsConfigError,
    );
  });
});

describe('missing configuration is a KmsConfigError at call time, before sending', () => {
  it('no region', async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    const noRegion = new KmsClient({ endpoint: server.url, credentials });
    const error = await noRegion.disconnectCustomKeyStore('cks-1').catch((e: unknown) => e);
    await noRegion.close();
    expect(error).toBeInstanceOf(KmsConfigError);
    expect((error as Error).message).toMatch(/region/i);
    expect(server.requests).toHaveLength(0);
  });

  it('no credentials', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_PROFILE;
    process.env.AWS_CONFIG_FILE = '/nonexistent/kms-cks-test/config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/kms-cks-test/credentials';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    delete process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
    delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
    const noCredentials = new KmsClient({ region: 'eu-west-1', endpoint: server.url });
    const error = await noCredentials.disconnectCustomKeyStore('cks-1').catch((e: unknown) => e);
    await noCredentials.close();
    expect(error).toBeInstanceOf(KmsConfigError);
    expect((error as Error).message).toMatch(/credentials/i);
    expect(server.requests).toHaveLength(0);
  });

  it('a credential provider returning junk', async () => {
    const junk = new KmsClient({
      region: 'eu-west-1',
      endpoint: server.url,
      credentials: async () => ({ accessKeyId: 'A' }) as unknown as Credentials,
    });
    await expect(junk.disconnectCustomKeyStore('cks-1')).rejects.toBeInstanceOf(KmsConfigError);
    await junk.close();
    expect(server.requests).toHaveLength(0);
  });
});

describe('secrets never leak', () => {
  function assertClean(text: string) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(token);
  }

  it('not in util.inspect or JSON.stringify of the client', async () => {
    await client.disconnectCustomKeyStore('cks-1');
    assertClean(inspect(client, { depth: 10, showHidden: true }));
    assertClean(JSON.stringify(client));
    assertClean(String(client));
    const viaProvider = new KmsClient({
      region: 'eu-west-1',
      credentials: async () => credentials,
    });
    assertClean(inspect(viaProvider, { depth: 10, showHidden: true }));
    assertClean(JSON.stringify(viaProvider));
  });

  it('not in errors, their inspect output or their JSON', async () => {
    server.handle((_req, res) =>
      kmsError(res, 400, { __type: 'AccessDeniedException', message: 'denied' }),
    );
    const error = (await client
      .disconnectCustomKeyStore('cks-1')
      .catch((e: unknown) => e)) as KmsServiceException;
    expect(error).toBeInstanceOf(KmsServiceException);
    assertClean(inspect(error, { depth: 10, showHidden: true }));
    assertClean(JSON.stringify(error));
    assertClean(error.stack ?? '');
    const validation = await client.disconnectCustomKeyStore('').catch((e: unknown) => e);
    assertClean(inspect(validation, { depth: 10, showHidden: true }));
  });

  it('not in log lines', async () => {
    const lines: string[] = [];
    const record = (message: string, details?: Record<string, unknown>) =>
      lines.push(`${message} ${JSON.stringify(details ?? {})}`);
    let calls = 0;
    server.handle((_req, res) => {
      calls++;
      if (calls === 1) kmsError(res, 500, { __type: 'KMSInternalException' });
      else kmsError(res, 200, {});
    });
    const logged = new KmsClient({
      region: 'eu-west-1',
      endpoint: server.url,
      credentials,
      logger: { debug: record, warn: record },
    });
    await logged.disconnectCustomKeyStore('cks-1');
    await logged.close();
    expect(lines.some((line) => line.includes('KMSInternalException'))).toBe(true);
    for (const line of lines) assertClean(line);
  });
});
