/**
 * Validation with `zod/mini`, for the schema modules (`operations/schemas.ts`, `waiter/schemas.ts`).
 *
 * Importing zod costs more start-up time than a whole call to KMS, so this module and the schema
 * modules are only ever imported dynamically, on first use; and the schemas use `zod/mini`,
 * whose functions tree-shake: an application bundle carries about 25 KB of zod instead of the
 * 450 KB of `zod` (which a bundled Lambda parses at every cold start). The issues, messages
 * included, are the ones `zod` gives: English unless zod is configured otherwise.
 */
import type { z } from 'zod';
import { config, type ZodMiniType } from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import type { ValidationIssue } from './errors.js';

/** The outcome of a validation: the parsed value, or the issues (and zod's error, as a cause). */
export type Validation<T> =
  | { success: true; data: T }
  | { success: false; issues: ValidationIssue[]; error: Error };

const english = en().localeError;

/**
 * As `zod` does, which installs the English messages when imported: a custom error map or
 * locale set with `z.config()` comes first.
 */
const errorMap: z.core.$ZodErrorMap = (issue) => {
  const global = config();
  return global.customError?.(issue) ?? global.localeError?.(issue) ?? english(issue);
};

/** Validates `input` with a schema. */
export function check<T>(schema: ZodMiniType<T>, input: unknown): Validation<T> {
  const result = schema.safeParse(input, { error: errorMap });
  return result.success
    ? { success: true, data: result.data }
    : { success: false, issues: result.error.issues.map(toValidationIssue), error: result.error };
}

/** zod's issue as the library's own {@link ValidationIssue} (paths never hold symbols in our schemas). */
function toValidationIssue(issue: z.core.$ZodIssue): ValidationIssue {
  return {
    code: issue.code,
    path: issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
    message: issue.message,
  };
}
