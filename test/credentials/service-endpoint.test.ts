import { describe, expect, it } from 'vitest';
import { CredentialSourceError } from '../../src/credentials/credentials.js';
import { serviceEndpoint, stsDefaultEndpoint } from '../../src/credentials/service-call.js';

describe('credential service endpoints (no request is sent)', () => {
  it('STS is regional, .amazonaws.com.cn in China, sts-fips with FIPS', () => {
    expect(stsDefaultEndpoint('eu-west-1', false)).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(stsDefaultEndpoint('cn-north-1', false)).toBe('https://sts.cn-north-1.amazonaws.com.cn');
    expect(stsDefaultEndpoint('us-gov-west-1', true)).toBe(
      'https://sts-fips.us-gov-west-1.amazonaws.com',
    );
  });

  it('AWS_ENDPOINT_URL_<ID> wins over AWS_ENDPOINT_URL, which wins over the services section', () => {
    const services = {
      'sts.endpoint_url': 'https://from-services.example',
      'sso_oidc.endpoint_url': 'https://oidc.example',
    };
    const fallback = 'https://sts.eu-west-1.amazonaws.com';
    expect(serviceEndpoint('sts', {}, undefined, fallback).href).toBe(`${fallback}/`);
    expect(serviceEndpoint('sts', {}, services, fallback).href).toBe(
      'https://from-services.example/',
    );
    expect(
      serviceEndpoint('sts', { AWS_ENDPOINT_URL: 'https://global.example' }, services, fallback)
        .href,
    ).toBe('https://global.example/');
    expect(
      serviceEndpoint(
        'sts',
        { AWS_ENDPOINT_URL: 'https://global.example', AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' },
        services,
        fallback,
      ).href,
    ).toBe('http://127.0.0.1:9/');
    expect(serviceEndpoint('sso_oidc', {}, services, fallback).href).toBe('https://oidc.example/');
    expect(
      serviceEndpoint(
        'sso_oidc',
        {
          AWS_ENDPOINT_URL_SSO_OIDC: 'https://env-oidc.example',
          AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
        },
        services,
        fallback,
      ).href,
    ).toBe(`${fallback}/`);
  });

  it('refuses plain http to a host that is not loopback, and what is not a URL', () => {
    expect(() =>
      serviceEndpoint('sso', { AWS_ENDPOINT_URL_SSO: 'http://portal.example' }, undefined, 'x'),
    ).toThrow(CredentialSourceError);
    expect(() =>
      serviceEndpoint('sso', { AWS_ENDPOINT_URL_SSO: 'not a url' }, undefined, 'x'),
    ).toThrow(/^AWS_ENDPOINT_URL_SSO is not a URL$/);
  });
});
