/**
 * The client loads undici's Pool from its own file (start-up cost). That path is not public API:
 * this test fails loudly when an undici update moves it, so the path gets updated rather than the
 * slower fallback to the public entry silently taken (`pool-fallback.test.ts` covers that).
 */
import { describe, expect, it } from 'vitest';
import { loadPool } from '../../src/request/pool.js';

describe("undici's Pool from its own file", () => {
  it('undici/lib/dispatcher/pool.js is still the Pool of the public entry', async () => {
    const undici = await import('undici');
    let deep: unknown;
    try {
      deep = (await import('undici/lib/dispatcher/pool.js')).default;
    } catch (error) {
      throw new Error(
        `undici ${undici.Pool.name} moved: update the path in src/request/pool.ts (${String(error)})`,
      );
    }
    expect(deep, 'the file no longer exports the Pool class').toBe(undici.Pool);
  });

  it('loadPool gives that class, once', async () => {
    const { Pool } = await import('undici');
    const first = loadPool();
    expect(loadPool()).toBe(first);
    expect(await first).toBe(Pool);
  });
});
