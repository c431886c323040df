/**
 * The official AWS SigV4 test suite, vendored under `test/fixtures/sigv4-test-suite/`
 * (Apache-2.0, see its NOTICE) so that every clone runs it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the suite is. */
export const sigv4SuiteDir = fileURLToPath(
  new URL('../fixtures/sigv4-test-suite/', import.meta.url),
);

/** One case: its path below the suite (`normalize-path/get-slash`) and its files' common stem. */
export interface SigV4SuiteCase {
  name: string;
  /** `<dir>/<name>`: append `.req`, `.creq`, `.sts`, `.authz` or `.sreq`. */
  base: string;
}

/** Every directory holding a `<name>.req`, nested ones (normalize-path/*) included, sorted. */
export function sigv4SuiteCases(dir = sigv4SuiteDir): SigV4SuiteCase[] {
  const cases: SigV4SuiteCase[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (!statSync(path).isDirectory()) continue;
    const base = join(path, entry);
    if (existsSync(`${base}.req`)) cases.push({ name: path.slice(sigv4SuiteDir.length), base });
    cases.push(...sigv4SuiteCases(path));
  }
  return cases;
}

/** A file of a case, byte for byte (LF, no trailing newline). */
export function readSuiteFile(suiteCase: SigV4SuiteCase, extension: string): string {
  return readFileSync(`${suiteCase.base}${extension}`, 'utf8');
}
