/**
 * The one place that takes secrets out of text a server (or another program) handed us, before
 * that text reaches an error, a log line or the terminal. A server answering a signature mismatch
 * may echo the canonical request, and with it `x-amz-security-token:<token>`.
 */

/** The secrets of the credentials a request was signed with. */
export interface SecretValues {
  /** The secret access key. */
  secretAccessKey?: string | undefined;
  /** The session token. */
  sessionToken?: string | undefined;
  /**
   * Secret values of the input (a proxy credential, a CloudHSM password), redacted whatever
   * their length: the model marks them sensitive, and a server may echo them in a message.
   */
  inputSecrets?: readonly string[] | undefined;
}

/** What replaces a secret. */
export const redactedMark = '[redacted]';

/**
 * Secret parts of SigV4 material, whatever the credentials: the value of a security-token header
 * or query parameter, and the values of `Signature=` / `Credential=` (Authorization header,
 * presigned query). Names are matched in any case; the value runs to a separator.
 */
const secretPatterns =
  /((?:x-amz-security-token|x-amz-signature|x-amz-credential|signature|credential)\s*[:=]\s*)[^\s,;&"'<>]+/gi;

/** Shorter values are not searched for: they would match ordinary words. */
const minimumSecretLength = 8;

/**
 * Returns `text` with the given secret values (as they are, and percent-encoded) and anything that
 * looks like a token, signature or credential value replaced by `[redacted]`. Cheap when there is
 * nothing to redact.
 *
 * @param text - text that came from outside (a response body, a header, a process's output).
 * @param secrets - the credentials the request was signed with, when known.
 */
export function redactSecrets(text: string, secrets?: SecretValues): string {
  let redacted = text;
  for (const secret of [secrets?.sessionToken, secrets?.secretAccessKey]) {
    if (typeof secret !== 'string' || secret.length < minimumSecretLength) continue;
    for (const form of new Set([
      secret,
      encodeURIComponent(secret),
      secret.replace(/\//g, '\\/'),
    ])) {
      if (redacted.includes(form)) redacted = redacted.split(form).join(redactedMark);
    }
  }
  for (const secret of secrets?.inputSecrets ?? []) {
    if (secret === '') continue;
    for (const form of new Set([
      secret,
      encodeURIComponent(secret),
      secret.replace(/\//g, '\\/'),
      JSON.stringify(secret).slice(1, -1),
    ])) {
      if (redacted.includes(form)) redacted = redacted.split(form).join(redactedMark);
    }
  }
  return redacted.replace(secretPatterns, `$1${redactedMark}`);
}
