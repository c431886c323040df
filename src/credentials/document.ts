/**
 * The one parser of a credential document: the JSON that the container endpoint and instance
 * metadata send (`Token`) and that a `credential_process` prints (`SessionToken`). Each source
 * words its own errors (they name who sent the document); the rules are these.
 */
import { CredentialSourceError, type Credentials } from './credentials.js';

/** What is wrong with a document; never its contents. */
export type DocumentProblem =
  /** Not a JSON object. */
  | 'not-object'
  /** AccessKeyId or SecretAccessKey missing, empty or not a string. */
  | 'keys'
  /** The session token is present but not a string. */
  | 'token'
  /** Expiration is present but not a string. */
  | 'expiration-type'
  /** Expiration is a string that is not a date. */
  | 'expiration-date';

/** The credentials of a parsed document, or what is wrong with it. */
export function credentialsFromDocument(
  document: unknown,
  tokenField: 'Token' | 'SessionToken',
): { credentials: Credentials } | { problem: DocumentProblem } {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { problem: 'not-object' };
  }
  const fields = document as Record<string, unknown>;
  const { AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey, Expiration } = fields;
  const token = fields[tokenField];
  if (
    typeof accessKeyId !== 'string' ||
    accessKeyId === '' ||
    typeof secretAccessKey !== 'string' ||
    secretAccessKey === ''
  ) {
    return { problem: 'keys' };
  }
  if (token !== undefined && typeof token !== 'string') return { problem: 'token' };
  let expiration: Date | undefined;
  if (Expiration !== undefined) {
    if (typeof Expiration !== 'string') return { problem: 'expiration-type' };
    expiration = new Date(Expiration);
    if (Number.isNaN(expiration.getTime())) return { problem: 'expiration-date' };
  }
  return {
    credentials: {
      accessKeyId,
      secretAccessKey,
      ...(typeof token === 'string' && token !== '' ? { sessionToken: token } : {}),
      ...(expiration ? { expiration } : {}),
    },
  };
}

/**
 * Parses `{ AccessKeyId, SecretAccessKey, Token, Expiration }` (the container and instance metadata
 * format). Throws {@link CredentialSourceError} describing the shape, never the contents.
 *
 * @param body - the response body.
 * @param what - who sent it, for errors.
 */
export function parseCredentialsDocument(body: string, what: string): Credentials {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    throw new CredentialSourceError(`${what} something that is not JSON`);
  }
  // JSON null reads as an empty object: no credential fields.
  const parsed = credentialsFromDocument(document ?? {}, 'Token');
  if ('credentials' in parsed) return parsed.credentials;
  if (parsed.problem === 'expiration-date') {
    throw new CredentialSourceError(`${what} an Expiration that is not a date`);
  }
  throw new CredentialSourceError(
    `${what} JSON without the credential fields (AccessKeyId, SecretAccessKey, Token, Expiration)`,
  );
}
