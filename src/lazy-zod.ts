/**
 * Zod, loaded on first use, as `zod/mini`.
 *
 * Importing zod costs more start-up time than a whole call to KMS, so modules build their
 * schemas when first needed rather than when imported. And `zod/mini` rather than `zod`: its
 * functions tree-shake, so an application bundle carries about 25 KB of zod instead of 450 KB
 * (which a bundled Lambda parses at every cold start). The issues, messages included, are the
 * ones `zod` gives: English unless zod is configured otherwise.
 */
import type { z } from 'zod';
import type * as ZodMini from 'zod/mini';

/** The outcome of a validation: the parsed value, or zod's issues (and its error, as a cause). */
export type Validation<T> =
  | { success: true; data: T }
  | { success: false; issues: z.core.$ZodIssue[]; error: Error };

let errorMap: z.core.$ZodErrorMap | undefined;
let loading: Promise<typeof ZodMini> | undefined;

function loadZod(): Promise<typeof ZodMini> {
  loading ??= Promise.all([import('zod/mini'), import('zod/v4/locales/en.js')]).then(
    ([mini, { default: en }]) => {
      const english = en().localeError;
      // As `zod` does, which installs the English messages when imported: a custom error map or
      // locale set with `z.config()` comes first.
      errorMap = (issue) => {
        const global = mini.config();
        return global.customError?.(issue) ?? global.localeError?.(issue) ?? english(issue);
      };
      return mini;
    },
  );
  return loading;
}

/** Returns a function that builds the schemas once, on its first call, with zod loaded then. */
export function lazySchemas<T>(build: (zod: typeof ZodMini) => T): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () => {
    built ??= loadZod().then(build);
    return built;
  };
}

/** Validates `input` with a schema built by {@link lazySchemas}. */
export function check<T>(schema: ZodMini.ZodMiniType<T>, input: unknown): Validation<T> {
  const result = schema.safeParse(input, { error: errorMap });
  return result.success
    ? { success: true, data: result.data }
    : { success: false, issues: result.error.issues, error: result.error };
}
