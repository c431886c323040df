/**
 * Certificates made at test time with `openssl` (no private key is ever committed): a throwaway
 * CA and the server certificates it signs, for HTTPS servers on loopback.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway CA in a temporary folder. */
export interface TestCa {
  /** Path of the CA certificate (PEM), e.g. for `NODE_EXTRA_CA_CERTS`. */
  caFile: string;
  /** Issues a server certificate (PEM key and certificate) for these `DNS:…` / `IP:…` names. */
  issue(name: string, altNames: string[]): { key: string; cert: string };
  /** Deletes every file. */
  remove(): void;
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

/** Makes a CA valid for one day. */
export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'kms-cks-test-ca-'));
  openssl(
    ['req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1'].concat([
      '-subj',
      '/CN=kms-cks test CA',
    ]),
    dir,
  );
  return {
    caFile: join(dir, 'ca.pem'),
    issue(name, altNames) {
      writeFileSync(
        join(dir, `${name}.ext`),
        `subjectAltName=${altNames.join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
      );
      openssl(
        ['req', '-new', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.csr`].concat([
          '-subj',
          `/CN=${name}`,
        ]),
        dir,
      );
      openssl(
        ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key'].concat([
          '-CAcreateserial',
          '-days',
          '1',
          '-extfile',
          `${name}.ext`,
          '-out',
          `${name}.pem`,
        ]),
        dir,
      );
      return {
        key: readFileSync(join(dir, `${name}.key`), 'utf8'),
        cert: readFileSync(join(dir, `${name}.pem`), 'utf8'),
      };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
