import { describe, expect, it } from 'vitest';
import { KmsConfigError, resolveEndpoint } from '../../src/index.js';

describe('resolveEndpoint', () => {
  const cases: Array<[string, boolean, boolean, string]> = [
    ['eu-west-1', false, false, 'https://kms.eu-west-1.amazonaws.com'],
    ['us-east-1', true, false, 'https://kms-fips.us-east-1.amazonaws.com'],
    ['us-east-1', false, true, 'https://kms.us-east-1.api.aws'],
    ['us-east-1', true, true, 'https://kms-fips.us-east-1.api.aws'],
    ['il-central-1', false, false, 'https://kms.il-central-1.amazonaws.com'],
    ['mx-central-1', false, false, 'https://kms.mx-central-1.amazonaws.com'],
    ['cn-north-1', false, false, 'https://kms.cn-north-1.amazonaws.com.cn'],
    ['cn-northwest-1', false, true, 'https://kms.cn-northwest-1.api.amazonwebservices.com.cn'],
    ['us-gov-west-1', false, false, 'https://kms.us-gov-west-1.amazonaws.com'],
    ['us-gov-west-1', true, false, 'https://kms-fips.us-gov-west-1.amazonaws.com'],
    ['us-gov-east-1', false, true, 'https://kms.us-gov-east-1.api.aws'],
    ['us-iso-east-1', false, false, 'https://kms.us-iso-east-1.c2s.ic.gov'],
    ['us-iso-east-1', true, false, 'https://kms-fips.us-iso-east-1.c2s.ic.gov'],
    ['us-isob-east-1', false, false, 'https://kms.us-isob-east-1.sc2s.sgov.gov'],
    ['us-east-1-fips', false, false, 'https://kms-fips.us-east-1.amazonaws.com'],
    // Unknown region names fall back to the aws partition, as the SDK does.
    ['xx-future-9', false, false, 'https://kms.xx-future-9.amazonaws.com'],
  ];
  for (const [region, fips, dualstack, url] of cases) {
    it(`${region}${fips ? ' fips' : ''}${dualstack ? ' dualstack' : ''} → ${url}`, () => {
      expect(
        resolveEndpoint({ region, useFipsEndpoint: fips, useDualstackEndpoint: dualstack }),
      ).toBe(url);
    });
  }

  it('refuses dual-stack in partitions without it', () => {
    expect(() => resolveEndpoint({ region: 'us-iso-east-1', useDualstackEndpoint: true })).toThrow(
      KmsConfigError,
    );
    expect(() => resolveEndpoint({ region: 'us-isob-east-1', useDualstackEndpoint: true })).toThrow(
      /Dual-stack/,
    );
  });

  it('refuses regions that could inject a host', () => {
    for (const region of [
      'evil.com/',
      'us-east-1.evil.com',
      'us-east-1:443',
      'US-EAST-1',
      '-x',
      '',
    ]) {
      expect(() => resolveEndpoint({ region })).toThrow(KmsConfigError);
    }
  });
});
