/**
 * Credentials: their shape, the environment source, and a cache that refreshes them before they
 * expire and shares one refresh between concurrent calls.
 */
import { KmsConfigError } from '../errors.js';

/** AWS credentials, the shape `@aws-sdk/credential-providers` returns. */
export interface Credentials {
  /** The access key ID (not secret, but not logged either). */
  readonly accessKeyId: string;
  /** The secret access key. Never logged, printed or put in an error. */
  readonly secretAccessKey: string;
  /** The session token of temporary credentials. Never logged, printed or put in an error. */
  readonly sessionToken?: string;
  /** When temporary credentials expire; they are refreshed 5 minutes before. */
  readonly expiration?: Date;
}

/** An async source of credentials, e.g. `fromIni()` from `@aws-sdk/credential-providers`. */
export type CredentialProvider = () => Promise<Credentials>;

/** Refresh credentials this long before they expire. */
export const refreshWindowMs = 5 * 60 * 1000;

/** Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): Credentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env.AWS_SESSION_TOKEN || undefined;
  const expiration = env.AWS_CREDENTIAL_EXPIRATION
    ? new Date(env.AWS_CREDENTIAL_EXPIRATION)
    : undefined;
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    ...(expiration && !Number.isNaN(expiration.getTime()) ? { expiration } : {}),
  };
}

/** Throws {@link KmsConfigError} unless `value` has the credentials shape. */
export function assertCredentials(value: unknown, source: string): asserts value is Credentials {
  const candidate = value as Partial<Credentials> | null | undefined;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.accessKeyId !== 'string' ||
    candidate.accessKeyId === '' ||
    typeof candidate.secretAccessKey !== 'string' ||
    candidate.secretAccessKey === '' ||
    (candidate.sessionToken !== undefined && typeof candidate.sessionToken !== 'string') ||
    (candidate.expiration !== undefined && !(candidate.expiration instanceof Date))
  ) {
    throw new KmsConfigError(
      `Credentials from ${source} must be an object with non-empty accessKeyId and secretAccessKey strings`,
    );
  }
}

/**
 * Caches what a provider returns until 5 minutes before `expiration`; concurrent callers share one
 * refresh. A failed refresh is not cached: the next call tries again.
 */
export class CredentialCache {
  #current: Credentials | undefined;
  #pending: Promise<Credentials> | undefined;
  readonly #provider: CredentialProvider;
  readonly #now: () => number;

  /**
   * @param provider - where credentials come from.
   * @param now - the clock (tests pass a fake one).
   */
  constructor(provider: CredentialProvider, now: () => number = Date.now) {
    this.#provider = provider;
    this.#now = now;
  }

  /** Current credentials, refreshed if they expire within 5 minutes. */
  get(): Promise<Credentials> {
    const current = this.#current;
    if (current && !this.#needsRefresh(current)) return Promise.resolve(current);
    if (!this.#pending) {
      this.#pending = this.#provider().then(
        (fresh) => {
          this.#pending = undefined;
          this.#current = fresh;
          return fresh;
        },
        (error: unknown) => {
          this.#pending = undefined;
          throw error;
        },
      );
    }
    return this.#pending;
  }

  #needsRefresh(credentials: Credentials): boolean {
    return (
      credentials.expiration !== undefined &&
      credentials.expiration.getTime() - this.#now() <= refreshWindowMs
    );
  }
}
