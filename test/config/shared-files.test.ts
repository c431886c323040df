import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  findProfile,
  findServicesSection,
  loadSharedFiles,
  parseIni,
  sharedFilePaths,
} from '../../src/config/shared-files.js';
import { KmsConfigError } from '../../src/errors.js';
import { isolatedEnv, type TempHome, tempHome } from './helpers.js';

let home: TempHome;
beforeEach(async () => {
  home = await tempHome();
});
afterEach(async () => {
  await home.remove();
});

describe('shared files', () => {
  it('reads [profile x] from config and [x] from credentials, credentials winning key by key', async () => {
    await home.write(
      '.aws/config',
      [
        '[default]',
        'region = eu-west-1',
        '',
        '[profile dev]',
        'region = eu-central-1 # inline comment',
        'aws_access_key_id = AKIDFROMCONFIG',
        '; a comment line',
        '# another',
        '[dev]',
        'region = ignored-because-no-profile-prefix',
      ].join('\n'),
    );
    await home.write(
      '.aws/credentials',
      ['[dev]', 'aws_access_key_id = AKIDFROMCREDS', 'aws_secret_access_key = s#cret;x'].join(
        '\r\n',
      ),
    );
    const files = await loadSharedFiles(isolatedEnv(home.dir));
    expect(findProfile(files, 'default')?.settings).toEqual({ region: 'eu-west-1' });
    expect({ ...findProfile(files, 'dev')?.settings }).toEqual({
      region: 'eu-central-1',
      aws_access_key_id: 'AKIDFROMCREDS',
      // `#` and `;` start a comment only after white space.
      aws_secret_access_key: 's#cret;x',
    });
    expect(findProfile(files, 'nope')).toBeUndefined();
  });

  it('prefers [profile default] over [default] in the config file', async () => {
    await home.write(
      '.aws/config',
      '[default]\nregion = us-east-1\n[profile default]\nregion = us-west-2\n',
    );
    const files = await loadSharedFiles(isolatedEnv(home.dir));
    expect(findProfile(files, 'default')?.settings.region).toBe('us-west-2');
  });

  it('parses services sections with indented sub-settings', async () => {
    await home.write(
      '.aws/config',
      [
        '[profile local]',
        'services = local-kms',
        's3 =',
        '  addressing_style = path',
        'region = us-east-1',
        '[services local-kms]',
        'kms =',
        '  endpoint_url = http://127.0.0.1:4566',
        'sts =',
        '  endpoint_url = http://127.0.0.1:4567',
      ].join('\n'),
    );
    const files = await loadSharedFiles(isolatedEnv(home.dir));
    expect({ ...findProfile(files, 'local')?.settings }).toEqual({
      services: 'local-kms',
      's3.addressing_style': 'path',
      region: 'us-east-1',
    });
    expect({ ...findServicesSection(files, 'local-kms') }).toEqual({
      'kms.endpoint_url': 'http://127.0.0.1:4566',
      'sts.endpoint_url': 'http://127.0.0.1:4567',
    });
  });

  it('continues a value on an indented line, as botocore does', () => {
    const file = parseIni('[x]\nnote = first\n  second\nb = 2\n', 'f');
    expect({ ...file.get('x') }).toEqual({ note: 'first\nsecond', b: '2' });
  });

  it('treats missing files as empty and honours AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE', async () => {
    const env = isolatedEnv(home.dir, {
      AWS_CONFIG_FILE: '~/elsewhere/cfg',
      AWS_SHARED_CREDENTIALS_FILE: `${home.dir}/elsewhere/creds`,
    });
    expect(sharedFilePaths(env)).toEqual({
      configPath: `${home.dir}/elsewhere/cfg`,
      credentialsPath: `${home.dir}/elsewhere/creds`,
    });
    let files = await loadSharedFiles(env);
    expect(files.config.size + files.credentials.size).toBe(0);
    await home.write('elsewhere/cfg', '[profile a]\nregion = ap-south-1\n');
    await home.write('elsewhere/creds', '[a]\naws_access_key_id = AKID\n');
    files = await loadSharedFiles(env);
    expect({ ...findProfile(files, 'a')?.settings }).toEqual({
      region: 'ap-south-1',
      aws_access_key_id: 'AKID',
    });
  });

  const malformed: readonly [string, string, RegExp][] = [
    [
      'setting before any section',
      'aws_secret_access_key = TOPSECRET\n[x]\n',
      /line 1: setting outside/,
    ],
    [
      'unterminated header',
      '[x]\na = 1\n[profile broken\n',
      /line 3: section header has no closing/,
    ],
    ['line without =', '[x]\naws_secret_access_key TOPSECRET\n', /line 2: expected 'name = value'/],
    ['empty name', '[x]\n = TOPSECRET\n', /line 2: expected 'name = value' \(the name is empty\)/],
    ['empty section', '[]\n', /line 1: empty section name/],
    ['__proto__ profile', '[profile __proto__]\nregion = x\n', /line 1: invalid section name/],
  ];
  for (const [name, text, message] of malformed) {
    it(`rejects a malformed file (${name}) naming file and line, not the content`, async () => {
      const path = await home.write('.aws/credentials', text);
      const error = await loadSharedFiles(isolatedEnv(home.dir)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KmsConfigError);
      const text_ = (error as Error).message;
      expect(text_).toContain(path);
      expect(text_).toMatch(message);
      expect(text_).not.toContain('TOPSECRET');
    });
  }

  it('reports an unreadable file instead of treating it as empty', async () => {
    await home.write('.aws/config/not-a-file', 'x');
    const error = await loadSharedFiles(isolatedEnv(home.dir)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsConfigError);
    expect((error as Error).message).toMatch(/Cannot read shared AWS file .*\.aws\/config: EISDIR/);
  });

  it('refuses a FIFO as a shared file at once instead of blocking on it', async () => {
    const fifo = join(home.dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    const error = await loadSharedFiles(isolatedEnv(home.dir, { AWS_CONFIG_FILE: fifo })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KmsConfigError);
    expect((error as Error).message).toBe(
      `Cannot read shared AWS file ${fifo}: a FIFO, not a regular file`,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reads /dev/null as an empty file', async () => {
    const files = await loadSharedFiles(isolatedEnv(home.dir, { AWS_CONFIG_FILE: '/dev/null' }));
    expect(files.config.size).toBe(0);
  });
});
