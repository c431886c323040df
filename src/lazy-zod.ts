/**
 * Zod, loaded on first use. Importing zod costs more start-up time than a whole call to KMS, so
 * modules build their schemas when first needed rather than when imported.
 */
import type { z as Z } from 'zod';

/** Returns a function that builds the schemas once, on its first call, with zod loaded then. */
export function lazySchemas<T>(build: (z: typeof Z) => T): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () => {
    built ??= import('zod').then(({ z }) => build(z));
    return built;
  };
}
