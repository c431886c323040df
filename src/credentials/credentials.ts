/**
 * Credentials: their shape, the environment source, and a cache that refreshes them before they
 * expire and shares one refresh between concurrent calls.
 */

import { configDefaults } from '../config/defaults.js';
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

/**
 * Which source the credentials in use came from: `static` (config.credentials object),
 * `provider` (config.credentials function), `env`, `profile:<name>` (static keys of a shared-file
 * profile), `process` (a profile's `credential_process`), `assume-role:<name>` (the role of an assume-role
 * profile, through STS `AssumeRole`), `sso:<name>` (an IAM Identity Center profile: the role credentials
 * of the token `aws sso login` cached), `web-identity` (a web identity token exchanged
 * through STS: a profile's `web_identity_token_file` or EKS IRSA's `AWS_WEB_IDENTITY_TOKEN_FILE`),
 * `container` (ECS / EKS Pod Identity) or `imds` (EC2 instance metadata).
 */
export type CredentialSource =
  | 'static'
  | 'provider'
  | 'env'
  | `profile:${string}`
  | 'process'
  | 'web-identity'
  | `assume-role:${string}`
  | `sso:${string}`
  | 'container'
  | 'imds';

/** Credentials and the source they came from. */
export interface SourcedCredentials {
  /** The credentials. */
  readonly credentials: Credentials;
  /** Where they came from. */
  readonly source: CredentialSource;
}

/**
 * Why one credential source gave no credentials. `notConfigured` means the source is simply not
 * set up and the chain goes on; any other failure of a configured source stops the chain.
 * The message never contains secrets.
 */
export class CredentialSourceError extends Error {
  /** True when the source is not set up at all. */
  readonly notConfigured: boolean;
  /** True when the service giving the credentials (STS, SSO, …) could not be reached: a network fault. */
  readonly network: boolean;

  /**
   * @param message - the reason, without secrets.
   * @param options - `notConfigured` when the source is not set up; `network` when its service
   *   could not be reached.
   */
  constructor(message: string, options?: { notConfigured?: boolean; network?: boolean }) {
    super(message);
    this.name = 'CredentialSourceError';
    this.notConfigured = options?.notConfigured === true;
    this.network = options?.network === true;
  }
}

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
  #current: SourcedCredentials | undefined;
  #pending: Promise<SourcedCredentials> | undefined;
  readonly #provider: () => Promise<SourcedCredentials>;
  readonly #now: () => number;

  /**
   * @param provider - where credentials come from, with their source.
   * @param now - the clock (tests pass a fake one).
   */
  constructor(provider: () => Promise<SourcedCredentials>, now: () => number = Date.now) {
    this.#provider = provider;
    this.#now = now;
  }

  /** Current credentials and their source, refreshed if they expire within 5 minutes. */
  get(): Promise<SourcedCredentials> {
    const current = this.#current;
    if (current && !this.#needsRefresh(current.credentials)) return Promise.resolve(current);
    if (!this.#pending) {
      this.#pending = this.#provider().then(
        (fresh) => {
          this.#pending = undefined;
          this.#current = fresh;
          return fresh;
        },
        (error: unknown) => {
          this.#pending = undefined;
          // Expired credentials must not be used after a failed refresh.
          this.#current = undefined;
          throw error;
        },
      );
    }
    return this.#pending;
  }

  #needsRefresh(credentials: Credentials): boolean {
    return (
      credentials.expiration !== undefined &&
      credentials.expiration.getTime() - this.#now() <= configDefaults.refreshWindowMs
    );
  }
}
