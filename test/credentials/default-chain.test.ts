/**
 * The client's provider over the default chain takes the environment's keys itself and runs the
 * whole chain (loaded on first use) for everything else: for every environment below it must
 * answer exactly as the chain does, result or error, warnings included.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CredentialChainOptions,
  defaultCredentialChain,
} from '../../src/credentials/chain.js';
import { defaultCredentialProvider } from '../../src/credentials/default-chain.js';
import { isolatedEnv, type TempHome, tempHome } from '../config/helpers.js';

let home: TempHome;
beforeEach(async () => {
  home = await tempHome();
  await home.write(
    '.aws/credentials',
    '[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = p-secret\n[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = d-secret\n',
  );
});
afterEach(async () => {
  await home.remove();
});

const now = () => Date.parse('2026-12-03T12:00:00Z');

/** What a provider gives: the credentials and source, or the error's name, code, message, sources. */
async function outcome(provider: () => Promise<unknown>) {
  try {
    return { ok: await provider() };
  } catch (error) {
    const e = error as { name: string; code?: string; message: string; sources?: unknown };
    return { error: [e.name, e.code, e.message, e.sources] };
  }
}

const cases: [string, Record<string, string>, string | undefined][] = [
  ['both keys', { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'e' }, undefined],
  [
    'keys, token and a future expiry',
    {
      AWS_ACCESS_KEY_ID: 'AKIDENV',
      AWS_SECRET_ACCESS_KEY: 'e',
      AWS_SESSION_TOKEN: 't',
      AWS_CREDENTIAL_EXPIRATION: '2026-12-03T13:00:00Z',
    },
    undefined,
  ],
  [
    'keys that expired',
    {
      AWS_ACCESS_KEY_ID: 'AKIDENV',
      AWS_SECRET_ACCESS_KEY: 'e',
      AWS_CREDENTIAL_EXPIRATION: '2026-12-03T11:00:00Z',
    },
    undefined,
  ],
  [
    'an unreadable expiry',
    { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'e', AWS_CREDENTIAL_EXPIRATION: 'x' },
    undefined,
  ],
  ['the key ID alone', { AWS_ACCESS_KEY_ID: 'AKIDENV' }, undefined],
  ['no keys', {}, undefined],
  [
    'keys and AWS_PROFILE',
    { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'e', AWS_PROFILE: 'dev' },
    undefined,
  ],
  ['keys and config.profile', { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'e' }, 'dev'],
  [
    'keys and a missing AWS_PROFILE',
    { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'e', AWS_PROFILE: 'nope' },
    undefined,
  ],
];

describe('the client provider over the default chain', () => {
  it.each(cases)('answers as the chain: %s', async (_label, vars, profile) => {
    const warnings: [string, string[]][] = [
      ['provider', []],
      ['chain', []],
    ];
    const options = (into: string[]): CredentialChainOptions => ({
      profile,
      now,
      metadataTimeoutMs: 200,
      containerRetries: 0,
      // isolatedEnv turns instance metadata off: no request leaves loopback.
      env: isolatedEnv(home.dir, vars),
      warn: (message) => into.push(message),
    });
    const fromProvider = await outcome(defaultCredentialProvider(options(warnings[0]![1])));
    const fromChain = await outcome(defaultCredentialChain(options(warnings[1]![1])));
    expect(fromProvider).toEqual(fromChain);
    expect(warnings[0]![1]).toEqual(warnings[1]![1]);
  });

  it('takes the environment keys itself, the chain for the rest', async () => {
    const env = isolatedEnv(home.dir, { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'e' });
    expect(await defaultCredentialProvider({ env, now })()).toEqual({
      credentials: { accessKeyId: 'AKIDENV', secretAccessKey: 'e' },
      source: 'env',
    });
    const profileEnv = isolatedEnv(home.dir, {});
    expect(await defaultCredentialProvider({ env: profileEnv, now })()).toMatchObject({
      credentials: { accessKeyId: 'AKIDPROFILE' },
      source: 'profile:default',
    });
  });
});
