/**
 * Keeps the secrets of CreateCustomKeyStore and UpdateCustomKeyStore out of the emulator's request
 * log: the members the KMS model marks sensitive (`KeyStorePassword`, and both halves of
 * `XksProxyAuthenticationCredential`) are replaced by `[redacted]` in the logged body and input.
 * The request itself was processed with them; only the record of it is cleaned.
 */

/** What replaces a secret in the log. */
const mark = '[redacted]';

/** Sensitive members, by name, wherever they are in the body. */
const sensitiveMembers = new Set(['KeyStorePassword', 'AccessKeyId', 'RawSecretAccessKey']);

/**
 * A string member with a sensitive name, in raw JSON text: the value runs to its closing quote,
 * or to the end of a body cut short (a truncated log entry must not keep half a secret).
 */
const sensitiveInText =
  /("(?:KeyStorePassword|AccessKeyId|RawSecretAccessKey)"\s*:\s*")((?:[^"\\]|\\.)*)("|\\?$)/g;

/** The secret values of a parsed body (sensitive members at any depth, bounded). */
function collect(value: unknown, found: Set<string>, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  for (const [key, member] of Object.entries(value)) {
    if (sensitiveMembers.has(key) && typeof member === 'string' && member !== '') found.add(member);
    else collect(member, found, depth + 1);
  }
}

/** A copy of a parsed body with the sensitive members replaced. */
function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    copy[key] =
      sensitiveMembers.has(key) && typeof member === 'string'
        ? mark
        : redactValue(member, depth + 1);
  }
  return copy;
}

/**
 * The body text and parsed input to keep in the log. Values are removed by name in the text, and
 * the values found in the parsed body wherever else they appear (escaped member names, a
 * duplicate member). Cheap for the bodies of the other operations, which hold no secret.
 */
export function redactForLog(
  body: string,
  input: Record<string, unknown> | undefined,
): { body: string; input: Record<string, unknown> | undefined } {
  const found = new Set<string>();
  collect(input, found);
  let text = body.replace(sensitiveInText, `$1${mark}$3`);
  for (const secret of found) {
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) {
      if (text.includes(form)) text = text.split(form).join(mark);
    }
  }
  return {
    body: text,
    input: input === undefined ? undefined : (redactValue(input) as Record<string, unknown>),
  };
}
