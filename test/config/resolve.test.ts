import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KmsClient } from '../../src/client.js';
import type { KmsClientConfig } from '../../src/config/options.js';
import { loadConfig } from '../../src/config/resolve.js';
import { KmsConfigError } from '../../src/errors.js';
import { isolatedEnv, type TempHome, tempHome } from './helpers.js';

let home: TempHome;
beforeEach(async () => {
  home = await tempHome();
  await home.write(
    '.aws/config',
    [
      '[default]',
      'region = ap-southeast-2',
      '',
      '[profile fips]',
      'region = us-gov-west-1',
      'use_fips_endpoint = true',
      'use_dualstack_endpoint = TRUE',
      'max_attempts = 7',
      '',
      '[profile local]',
      'region = us-east-1',
      'services = local',
      'endpoint_url = http://127.0.0.1:4000',
      '',
      '[profile global-endpoint]',
      'region = us-east-1',
      'endpoint_url = http://127.0.0.1:4000',
      '',
      '[profile ignoring]',
      'region = us-east-1',
      'endpoint_url = http://127.0.0.1:4000',
      'ignore_configured_endpoint_urls = true',
      '',
      '[profile bad-flag]',
      'region = us-east-1',
      'use_fips_endpoint = yes',
      '',
      '[profile exponent]',
      'region = us-east-1',
      'max_attempts = 1e2',
      '',
      '[profile hex]',
      'region = us-east-1',
      'max_attempts = 0x10',
      '',
      '[services local]',
      'kms =',
      '  endpoint_url = http://127.0.0.1:4566',
      's3 =',
      '  endpoint_url = http://127.0.0.1:9999',
    ].join('\n'),
  );
});
afterEach(async () => {
  await home.remove();
});

const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret' };

async function resolved(config: KmsClientConfig, env: NodeJS.ProcessEnv = {}) {
  const result = await loadConfig({ credentials, ...config }, isolatedEnv(home.dir, env));
  return {
    region: result.region,
    endpoint: result.endpoint.href,
    endpointSource: result.endpointSource,
    profile: result.profile,
    maxAttempts: result.maxAttempts,
  };
}

async function refused(config: KmsClientConfig, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const error = await loadConfig({ credentials, ...config }, isolatedEnv(home.dir, env)).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KmsConfigError);
  return (error as Error).message;
}

describe('region and endpoint resolution', () => {
  const cases: readonly [string, KmsClientConfig, NodeJS.ProcessEnv, Record<string, unknown>][] = [
    [
      'region from the default profile, partition endpoint',
      {},
      {},
      {
        region: 'ap-southeast-2',
        endpoint: 'https://kms.ap-southeast-2.amazonaws.com/',
        endpointSource: 'partition',
        profile: 'default',
        maxAttempts: 3,
      },
    ],
    [
      'AWS_DEFAULT_REGION over the profile',
      {},
      { AWS_DEFAULT_REGION: 'eu-north-1' },
      { region: 'eu-north-1' },
    ],
    [
      'AWS_REGION over AWS_DEFAULT_REGION',
      {},
      { AWS_REGION: 'eu-west-3', AWS_DEFAULT_REGION: 'eu-north-1' },
      { region: 'eu-west-3' },
    ],
    [
      'config.region over AWS_REGION',
      { region: 'sa-east-1' },
      { AWS_REGION: 'eu-west-3' },
      { region: 'sa-east-1', endpoint: 'https://kms.sa-east-1.amazonaws.com/' },
    ],
    [
      'FIPS, dual-stack and max_attempts from a profile chosen by AWS_PROFILE',
      {},
      { AWS_PROFILE: 'fips' },
      {
        region: 'us-gov-west-1',
        endpoint: 'https://kms-fips.us-gov-west-1.api.aws/',
        profile: 'fips',
        maxAttempts: 7,
      },
    ],
    [
      'env flags over the profile, AWS_MAX_ATTEMPTS over max_attempts',
      {},
      {
        AWS_PROFILE: 'fips',
        AWS_USE_FIPS_ENDPOINT: 'false',
        AWS_USE_DUALSTACK_ENDPOINT: 'false',
        AWS_MAX_ATTEMPTS: '2',
      },
      { endpoint: 'https://kms.us-gov-west-1.amazonaws.com/', maxAttempts: 2 },
    ],
    [
      'config flags over env flags',
      { useFipsEndpoint: true, useDualstackEndpoint: false, maxAttempts: 5 },
      { AWS_USE_FIPS_ENDPOINT: 'false', AWS_USE_DUALSTACK_ENDPOINT: 'true', AWS_MAX_ATTEMPTS: '2' },
      { endpoint: 'https://kms-fips.ap-southeast-2.amazonaws.com/', maxAttempts: 5 },
    ],
    [
      'config.profile over AWS_PROFILE: the services section wins over endpoint_url',
      { profile: 'local' },
      { AWS_PROFILE: 'fips' },
      {
        profile: 'local',
        endpoint: 'http://127.0.0.1:4566/',
        endpointSource: 'kms endpoint_url of the services section of profile local',
      },
    ],
    [
      "the profile's endpoint_url",
      { profile: 'global-endpoint' },
      {},
      {
        endpoint: 'http://127.0.0.1:4000/',
        endpointSource: 'endpoint_url of profile global-endpoint',
      },
    ],
    [
      'AWS_ENDPOINT_URL over the profile',
      { profile: 'local' },
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' },
      { endpoint: 'http://127.0.0.1:5000/', endpointSource: 'AWS_ENDPOINT_URL' },
    ],
    [
      'AWS_ENDPOINT_URL_KMS over AWS_ENDPOINT_URL',
      {},
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:5001' },
      { endpoint: 'http://127.0.0.1:5001/', endpointSource: 'AWS_ENDPOINT_URL_KMS' },
    ],
    [
      'config.endpoint over everything, even AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
      { endpoint: 'http://127.0.0.1:6000' },
      {
        AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:5001',
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      },
      { endpoint: 'http://127.0.0.1:6000/', endpointSource: 'config.endpoint' },
    ],
    [
      'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ignores env and profile endpoints',
      { profile: 'local' },
      {
        AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:5001',
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      },
      { endpoint: 'https://kms.us-east-1.amazonaws.com/', endpointSource: 'partition' },
    ],
    [
      "the profile's ignore_configured_endpoint_urls",
      { profile: 'ignoring' },
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' },
      { endpoint: 'https://kms.us-east-1.amazonaws.com/' },
    ],
    [
      'a FIPS pseudo-region',
      { region: 'us-east-1-fips' },
      {},
      { region: 'us-east-1-fips', endpoint: 'https://kms-fips.us-east-1.amazonaws.com/' },
    ],
  ];
  for (const [name, config, env, expected] of cases) {
    it(name, async () => {
      expect(await resolved(config, env)).toMatchObject(expected);
    });
  }

  it('signs a FIPS pseudo-region as the real region', async () => {
    const result = await loadConfig(
      { credentials, region: 'us-east-1-fips' },
      isolatedEnv(home.dir),
    );
    expect(result.signingRegion).toBe('us-east-1');
  });

  it('needs a region from somewhere', async () => {
    await home.write('.aws/config', '[default]\noutput = json\n');
    expect(await refused({})).toBe(
      'No region: pass { region } to KmsClient, set AWS_REGION (or AWS_DEFAULT_REGION), or set region in profile default of the shared config file',
    );
  });

  it('names the source of an invalid region', async () => {
    expect(await refused({}, { AWS_REGION: 'evil.com/' })).toMatch(/^AWS_REGION: Invalid region/);
    await home.write('.aws/config', '[default]\nregion = a b\n');
    expect(await refused({})).toMatch(/^region of profile default: Invalid region/);
  });

  it('refuses a custom endpoint combined with FIPS or dual-stack, naming both sources', async () => {
    expect(
      await refused({ useFipsEndpoint: true }, { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' }),
    ).toBe(
      'config.useFipsEndpoint is true, but a custom endpoint is set by AWS_ENDPOINT_URL: FIPS and dual-stack choose an AWS endpoint, so they cannot be combined with a custom one; drop one of the two',
    );
    expect(
      await refused({ endpoint: 'http://127.0.0.1:1' }, { AWS_USE_DUALSTACK_ENDPOINT: 'true' }),
    ).toMatch(
      /^AWS_USE_DUALSTACK_ENDPOINT is true, but a custom endpoint is set by config\.endpoint/,
    );
    expect(await refused({ profile: 'local' }, { AWS_USE_FIPS_ENDPOINT: 'true' })).toMatch(
      /^AWS_USE_FIPS_ENDPOINT is true, but a custom endpoint is set by kms endpoint_url of the services section of profile local/,
    );
  });

  it('refuses flags and limits that are not what they should be', async () => {
    expect(await refused({}, { AWS_USE_FIPS_ENDPOINT: 'yes' })).toBe(
      'AWS_USE_FIPS_ENDPOINT must be "true" or "false", got "yes"',
    );
    expect(await refused({ profile: 'bad-flag' })).toBe(
      'use_fips_endpoint of profile bad-flag must be "true" or "false", got "yes"',
    );
    expect(await refused({}, { AWS_MAX_ATTEMPTS: '0' })).toBe(
      'AWS_MAX_ATTEMPTS must be an integer from 1 to 100, got "0"',
    );
  });

  it('takes max_attempts and AWS_MAX_ATTEMPTS as decimal integers only', async () => {
    expect(await refused({ profile: 'exponent' })).toBe(
      'max_attempts of profile exponent must be an integer from 1 to 100, got "1e2"',
    );
    expect(await refused({ profile: 'hex' })).toBe(
      'max_attempts of profile hex must be an integer from 1 to 100, got "0x10"',
    );
    for (const value of ['1e1', '0x5', '0b11', '0o7', '5.0', '+5', '1_0']) {
      expect(await refused({}, { AWS_MAX_ATTEMPTS: value })).toBe(
        `AWS_MAX_ATTEMPTS must be an integer from 1 to 100, got ${JSON.stringify(value)}`,
      );
    }
    // Leading zeros and surrounding blanks are still a decimal integer.
    expect(
      (
        await loadConfig(
          { credentials, region: 'eu-west-1' },
          isolatedEnv(home.dir, { AWS_MAX_ATTEMPTS: ' 05 ' }),
        )
      ).maxAttempts,
    ).toBe(5);
  });

  it('refuses an insecure endpoint from the environment, naming the variable', async () => {
    expect(await refused({}, { AWS_ENDPOINT_URL_KMS: 'http://kms.example.com' })).toMatch(
      /^Endpoint from AWS_ENDPOINT_URL_KMS: Refusing plain http endpoint http:\/\/kms\.example\.com/,
    );
  });

  it('refuses a named profile that does not exist, even with everything else given', async () => {
    expect(await refused({ region: 'eu-west-1', profile: 'nope' })).toBe(
      `Profile "nope" (chosen by config.profile) is not in ${home.dir}/.aws/config or ${home.dir}/.aws/credentials`,
    );
  });

  it('a stale AWS_PROFILE does not break a client given explicit credentials', async () => {
    const result = await resolved(
      { region: 'eu-west-1', endpoint: 'http://127.0.0.1:1' },
      { AWS_PROFILE: 'gone' },
    );
    expect(result).toMatchObject({ region: 'eu-west-1', profile: 'gone' });
  });

  it('a missing AWS_PROFILE is refused when credentials come from the chain', async () => {
    const error = await loadConfig(
      { region: 'eu-west-1' },
      isolatedEnv(home.dir, { AWS_PROFILE: 'gone' }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsConfigError);
    expect((error as Error).message).toMatch(/Profile "gone" \(chosen by AWS_PROFILE\) is not in/);
  });

  it('does not read the shared files when nothing needs them', async () => {
    await home.write('.aws/config', '[broken\n');
    const result = await resolved({
      region: 'eu-west-1',
      useFipsEndpoint: false,
      useDualstackEndpoint: false,
      endpoint: 'http://127.0.0.1:1',
      maxAttempts: 2,
    });
    expect(result.endpoint).toBe('http://127.0.0.1:1/');
    // But a malformed file is reported when a setting has to come from it.
    expect(await refused({ region: 'eu-west-1' })).toMatch(
      /^Malformed shared AWS file .*config, line 1/,
    );
  });

  it('checks the new options when the client is built', () => {
    expect(() => new KmsClient({ profile: '' })).toThrow(
      new KmsConfigError('profile must be a non-empty string'),
    );
    expect(() => new KmsClient({ credentialProcessTimeoutMs: 0 })).toThrow(
      new KmsConfigError('credentialProcessTimeoutMs must be a positive number of milliseconds'),
    );
  });
});
