/**
 * Each option's default lives in one table (src/config/defaults.ts); the README's configuration
 * table and the TSDoc of KmsClientConfig (what an editor shows) state it and are checked against
 * that table here, so a changed default cannot leave them behind.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configDefaults } from '../../src/config/defaults.js';

const root = new URL('../..', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const options = readFileSync(new URL('src/config/options.ts', root), 'utf8');

/** The numeric options with a fixed default, and how the docs spell that default. */
const documented = [
  'maxAttempts',
  'requestTimeoutMs',
  'connectTimeoutMs',
  'maxSockets',
  'credentialProcessTimeoutMs',
] as const;

/** `10 000` → 10000 (the docs group digits with a space). */
const number = (text: string) => Number(text.replace(/[\s\u00a0\u202f]/g, ''));

/** The Default cell of an option's row in the README's configuration table. */
function readmeDefault(option: string): string {
  const row = readme.split('\n').find((line) => line.startsWith(`| \`${option}\` |`));
  expect(row, `README row for ${option}`).toBeDefined();
  return row!.split('|')[2]!.trim();
}

describe('defaults in the docs match the defaults table', () => {
  it.each(documented)('README configuration table: %s', (option) => {
    const cell = readmeDefault(option);
    // maxAttempts: "AWS_MAX_ATTEMPTS, the profile's max_attempts, else 3".
    const stated = /(?:else )?([\d\s\u00a0\u202f]+)$/.exec(cell)?.[1];
    expect(stated, cell).toBeDefined();
    expect(number(stated!)).toBe(configDefaults[option]);
  });

  it.each(documented)('TSDoc of KmsClientConfig: %s', (option) => {
    const doc = new RegExp(`/\\*\\*([^*]|\\*(?!/))*\\*/\\s*${option}\\?:`).exec(options)?.[0];
    expect(doc, `TSDoc of ${option}`).toBeDefined();
    const stated = /default ([\d\s\u00a0\u202f]+?)\./.exec(doc!)?.[1];
    expect(stated, doc).toBeDefined();
    expect(number(stated!)).toBe(configDefaults[option]);
  });
});
