/**
 * The lifecycle operations agree with the KMS model (`../shared/reference/`): every modeled error
 * of the six operations has a class of its own (the cross-build `instanceof` of each is in
 * test/package/package.test.ts), every length, pattern and enum of Create and
 * Update is the model's, and the fields the model marks sensitive are the ones we redact.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import * as errors from '../../src/errors.js';
import {
  createServiceException,
  KmsServiceException,
  modeledErrorCodes,
} from '../../src/errors.js';
import {
  customKeyStoreTypes,
  fieldLengths,
  modelPatterns,
  xksProxyConnectivityTypes,
} from '../../src/operations/limits.js';
import {
  createCustomKeyStore,
  type UpdateCustomKeyStoreInput,
  updateCustomKeyStore,
} from '../../src/operations/operations.js';
import type { updateInput } from '../../src/operations/schemas.js';

interface Shape {
  type: string;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  sensitive?: boolean;
  members?: Record<string, { shape: string }>;
  exception?: boolean;
}
const model = JSON.parse(
  readFileSync(
    new URL(
      '../../../shared/reference/kms-custom-key-store-lifecycle.botocore.json',
      import.meta.url,
    ),
    'utf8',
  ),
) as {
  operations: Record<string, { input: { shape: string }; errors?: { shape: string }[] }>;
  shapes: Record<string, Shape>;
};

const camel = (name: string) => name[0]!.toLowerCase() + name.slice(1);

describe('the KMS model', () => {
  it('every error of the six operations is a typed class, and nothing else is', () => {
    const modeled = new Set(
      Object.values(model.operations).flatMap((operation) =>
        (operation.errors ?? []).map((error) => error.shape),
      ),
    );
    expect(modeled.size).toBe(22);
    expect([...modeledErrorCodes].sort()).toEqual([...modeled].sort());
    for (const code of modeled) {
      const errorClass = (errors as Record<string, unknown>)[code] as typeof KmsServiceException;
      expect(errorClass, code).toBeTypeOf('function');
      const error = createServiceException({
        name: code,
        message: 'm',
        $fault: 'client',
        $metadata: { attempts: 1, totalRetryDelay: 0 },
      });
      expect(error).toBeInstanceOf(errorClass);
      expect(error).toBeInstanceOf(KmsServiceException);
      expect(error.name).toBe(code);
    }
  });

  it('Create lists 17 errors and Update 17, Delete CustomKeyStoreHasCMKsException', () => {
    const list = (operation: string) =>
      (model.operations[operation]!.errors ?? []).map((error) => error.shape);
    expect(list('CreateCustomKeyStore')).toHaveLength(17);
    expect(list('UpdateCustomKeyStore')).toHaveLength(17);
    expect(list('DeleteCustomKeyStore')).toContain('CustomKeyStoreHasCMKsException');
  });

  it('lengths, patterns and enums of Create and Update are the model ones', () => {
    const request = (name: string) => model.shapes[name]!;
    const members = {
      ...request('CreateCustomKeyStoreRequest').members,
      ...request('UpdateCustomKeyStoreRequest').members,
    };
    const shapeOf = (member: string) => model.shapes[members[member]!.shape]!;
    const ours: [string, keyof typeof fieldLengths, keyof typeof modelPatterns | undefined][] = [
      ['CustomKeyStoreName', 'customKeyStoreName', undefined],
      ['NewCustomKeyStoreName', 'customKeyStoreName', undefined],
      ['CloudHsmClusterId', 'cloudHsmClusterId', 'cloudHsmClusterId'],
      ['TrustAnchorCertificate', 'trustAnchorCertificate', undefined],
      ['KeyStorePassword', 'keyStorePassword', undefined],
      ['XksProxyUriEndpoint', 'xksProxyUriEndpoint', 'xksProxyUriEndpoint'],
      ['XksProxyUriPath', 'xksProxyUriPath', 'xksProxyUriPath'],
      [
        'XksProxyVpcEndpointServiceName',
        'xksProxyVpcEndpointServiceName',
        'xksProxyVpcEndpointServiceName',
      ],
      ['XksProxyVpcEndpointServiceOwner', 'accountId', 'accountId'],
    ];
    for (const [member, length, pattern] of ours) {
      const shape = shapeOf(member);
      expect({ min: shape.min, max: shape.max }, member).toEqual(fieldLengths[length]);
      expect(shape.pattern, member).toBe(
        pattern === undefined ? undefined : modelPatterns[pattern],
      );
    }
    const credential = model.shapes.XksProxyAuthenticationCredentialType!.members!;
    const accessKeyId = model.shapes[credential.AccessKeyId!.shape]!;
    const secret = model.shapes[credential.RawSecretAccessKey!.shape]!;
    expect({ min: accessKeyId.min, max: accessKeyId.max }).toEqual(
      fieldLengths.xksProxyAccessKeyId,
    );
    expect(accessKeyId.pattern).toBe(modelPatterns.xksProxyAccessKeyId);
    expect({ min: secret.min, max: secret.max }).toEqual(fieldLengths.xksProxyRawSecretAccessKey);
    expect(secret.pattern).toBe(modelPatterns.xksProxyRawSecretAccessKey);
    expect(shapeOf('CustomKeyStoreType').enum).toEqual([...customKeyStoreTypes]);
    expect(shapeOf('XksProxyConnectivity').enum).toEqual([...xksProxyConnectivityTypes]);
  });

  it('every field of Create and Update is an input field, camelCase of the model', () => {
    const fields = (name: string) => Object.keys(model.shapes[name]!.members!).map(camel).sort();
    expect(fields('UpdateCustomKeyStoreRequest')).toEqual(
      Object.keys(
        updateCustomKeyStore.toRequestBody({
          customKeyStoreId: 'c',
          newCustomKeyStoreName: 'n',
          keyStorePassword: 'p',
          cloudHsmClusterId: 'c',
          xksProxyUriEndpoint: 'e',
          xksProxyUriPath: 'p',
          xksProxyVpcEndpointServiceName: 's',
          xksProxyVpcEndpointServiceOwner: 'o',
          xksProxyAuthenticationCredential: { accessKeyId: 'a', rawSecretAccessKey: 's' },
          xksProxyConnectivity: 'PUBLIC_ENDPOINT',
        }),
      )
        .map(camel)
        .sort(),
    );
    const everything = {
      customKeyStoreName: 'n',
      customKeyStoreType: 'EXTERNAL_KEY_STORE',
      cloudHsmClusterId: 'c',
      trustAnchorCertificate: 't',
      keyStorePassword: 'p',
      xksProxyUriEndpoint: 'e',
      xksProxyUriPath: 'p',
      xksProxyVpcEndpointServiceName: 's',
      xksProxyVpcEndpointServiceOwner: 'o',
      xksProxyAuthenticationCredential: { accessKeyId: 'a', rawSecretAccessKey: 's' },
      xksProxyConnectivity: 'PUBLIC_ENDPOINT',
    } as never;
    expect(fields('CreateCustomKeyStoreRequest')).toEqual(
      Object.keys(createCustomKeyStore.toRequestBody(everything)).map(camel).sort(),
    );
  });

  it('the sensitive members of the model are the values we redact', () => {
    const sensitive = Object.entries(model.shapes)
      .filter(([, shape]) => shape.sensitive)
      .map(([name]) => name)
      .sort();
    expect(sensitive).toEqual([
      'KeyStorePasswordType',
      'XksProxyAuthenticationAccessKeyIdType',
      'XksProxyAuthenticationRawSecretAccessKeyType',
    ]);
    expect(
      updateCustomKeyStore.sensitiveValues?.({
        customKeyStoreId: 'c',
        keyStorePassword: 'pw',
        xksProxyAuthenticationCredential: { accessKeyId: 'ak', rawSecretAccessKey: 'sk' },
      }),
    ).toEqual(['pw', 'ak', 'sk']);
  });

  it('the update schema gives the update interface', () => {
    expectTypeOf<keyof z.infer<typeof updateInput>>().toEqualTypeOf<
      keyof UpdateCustomKeyStoreInput
    >();
  });
});
