/**
 * `npm run demo` as a user runs it: a child process that must show the store going
 * CONNECTED → DISCONNECTING → DISCONNECTED, both typed errors and the fleet kill switch across two
 * regions (dry run, then real), the proxy credential rotation and the proxy move, print no stack
 * trace and no secret, and exit 0; then the XKS story live against the software proxy: create,
 * connect, rotate with the maintenance run (each a GetHealthStatus the proxy answered, signed with
 * the right credential), a wrong secret refused, and the kill switch.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { xksProxyCredentials } from '../../src/emulator/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run demo', () => {
  it('shows the disconnect states and the typed errors, then exits 0', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/demo.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      // The demo must not need AWS settings; stray ones must not change what it does.
      env: {
        ...process.env,
        AWS_REGION: 'eu-west-3',
        AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9',
        AWS_ACCESS_KEY_ID: 'AKIAOTHERKEY00000000',
        AWS_SECRET_ACCESS_KEY: 'other-secret',
      },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    const states = lines
      .map((line) => /^ {3}\+ *\d+ ms {2}([A-Z]+)$/.exec(line)?.[1])
      .filter((state) => state !== undefined);
    expect(states).toEqual(['CONNECTED', 'DISCONNECTING', 'DISCONNECTED']);
    expect(result.stdout).toContain('threw CustomKeyStoreNotFoundException: ');
    expect(result.stdout).toContain('threw CustomKeyStoreInvalidStateException: ');
    expect(result.stdout).toMatch(/orders-xks +EXTERNAL_KEY_STORE +DISCONNECTED/);
    // The fleet kill switch across two regions: a dry run, then the real run.
    expect(result.stdout).toMatch(
      /Dry run: 3 stores would be disconnected \(3 EXTERNAL_KEY_STORE\) in 2 regions, 3 already disconnected; nothing sent\./,
    );
    expect(result.stdout).toMatch(
      /3 disconnected, 3 already, 0 failed \(6 stores in 2 regions\)\./,
    );
    expect(result.stdout).toMatch(/eu-west-1 +cks-\w+ +orders-xks +DISCONNECTED +disconnected/);
    // Maintenance: the credential rotated in place, then the proxy moved through DISCONNECTED.
    expect(result.stdout).toContain(
      'CONNECTED → describe → update → describe → CONNECTED: the credential is changed in place, no disconnect',
    );
    expect(result.stdout).toContain(
      'Describe shows the new access key ID: yes; printed, it is [redacted]',
    );
    expect(result.stdout).toMatch(
      /xksProxyUriEndpoint: disconnected, updated, connected again; CONNECTED -> CONNECTED/,
    );
    // Live XKS against the software proxy, nothing external.
    expect(result.stdout).toMatch(
      /8\. Live XKS, nothing external: the software XKS proxy serves https:\/\/xks\.example\.com\/example\/kms\/xks\/v1 on 127\.0\.0\.1:\d+/,
    );
    expect(result.stdout).toMatch(
      /CreateCustomKeyStore → cks-[0-9a-f]{17}: the proxy answered GetHealthStatus \(kmsOperation CreateCustomKeyStore\) signed with its first credential: 200/,
    );
    expect(result.stdout).toContain(
      'ConnectCustomKeyStore → CONNECTING → CONNECTED: the proxy answered GetHealthStatus (kmsOperation ConnectCustomKeyStore) signed with its first credential: 200',
    );
    expect(result.stdout).toContain(
      'CONNECTED → describe → update → describe → CONNECTED: the proxy answered GetHealthStatus (kmsOperation UpdateCustomKeyStore) signed with its second credential: 200',
    );
    expect(result.stdout).toContain('threw XksProxyIncorrectAuthenticationCredentialException: ');
    expect(result.stdout).toMatch(
      /10\. Pull the kill switch: kms-cks disconnect (cks-[0-9a-f]{17}) --wait[^\n]*\n(?:.*\n)*? {3}\1: disconnected, now DISCONNECTED/,
    );
    expect(result.stdout).toMatch(
      /Live XKS done: cks-[0-9a-f]{17} was created, connected and rotated/,
    );
    for (const credential of xksProxyCredentials) {
      expect(result.stdout).not.toContain(credential.rawSecretAccessKey);
      expect(result.stdout).not.toContain(credential.accessKeyId);
    }
    expect(result.stdout).not.toContain('ROTATED234567ROTATED');
    expect(result.stdout).not.toContain('ZGVtby1wcm94eS1zZWNyZXQ');
    expect(result.stdout).not.toMatch(/\n\s+at /);
  }, 150_000);
});
