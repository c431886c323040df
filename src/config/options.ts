/**
 * What users pass to `new KmsClient(config)`. Each option's default is in `defaults.ts`; the
 * resolution (`resolve.ts`) turns these options, the environment and the shared files into one
 * `ResolvedConfig`.
 */
import type { Dispatcher } from 'undici';
import type { CredentialProvider, Credentials } from '../credentials/credentials.js';

/** Where log lines go; `console` fits. Lines never contain secrets. */
export interface Logger {
  /**
   * Each attempt as it is sent (details: `attempt`, `maxAttempts`, `host`), and each response
   * (details: `requestId`, `attempt`).
   */
  debug?(message: string, details?: Record<string, unknown>): void;
  /** Retries, clock-skew corrections, conflicting credential settings. */
  warn?(message: string, details?: Record<string, unknown>): void;
}

/** Options of `new KmsClient(config)`. Every field is optional. */
export interface KmsClientConfig {
  /** AWS region; else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's `region`. */
  region?: string;
  /**
   * Credentials, or an async function returning them (any `@aws-sdk/credential-providers`
   * provider fits); else the default chain: environment, profile, container, instance metadata.
   */
  credentials?: Credentials | CredentialProvider;
  /**
   * Profile of `~/.aws/config` and `~/.aws/credentials` to use; else `AWS_PROFILE`, else
   * `default`. A profile chosen by name must exist, and wins over environment keys.
   */
  profile?: string;
  /**
   * Endpoint URL; else `AWS_ENDPOINT_URL_KMS`, `AWS_ENDPOINT_URL`, the profile's `services`
   * section (`kms = endpoint_url = …`), the profile's `endpoint_url`, else the region's.
   */
  endpoint?: string | URL;
  /** Allow an `http:` endpoint on a host that is not loopback. Default false. */
  allowInsecureEndpoint?: boolean;
  /** Use the FIPS endpoint of the region; else `AWS_USE_FIPS_ENDPOINT`, else the profile's `use_fips_endpoint`. */
  useFipsEndpoint?: boolean;
  /** Use the dual-stack endpoint; else `AWS_USE_DUALSTACK_ENDPOINT`, else the profile's `use_dualstack_endpoint`. */
  useDualstackEndpoint?: boolean;
  /** Attempts per call, first included; default 3. */
  maxAttempts?: number;
  /** Limit for one whole attempt (connect, send, read), in ms; default 10 000. */
  requestTimeoutMs?: number;
  /** Limit for establishing a connection, in ms; default 3 000. */
  connectTimeoutMs?: number;
  /** Most sockets the client keeps open to KMS; default 50. */
  maxSockets?: number;
  /**
   * An undici Dispatcher to send requests through (a proxy agent, a MockAgent, …). Without one,
   * the client honours `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`.
   */
  dispatcher?: Dispatcher;
  /** Limit for a profile's `credential_process` to print its credentials, in ms; default 30 000. */
  credentialProcessTimeoutMs?: number;
  /**
   * Which SigV4 implementation signs. `node` (the default where node:crypto exists): node:crypto,
   * byte for byte what `@smithy/signature-v4` produces and about ten times faster. `smithy`:
   * `@smithy/signature-v4` with `@aws-crypto/sha256-js` (the path taken anyway where node:crypto
   * is missing), for those who want AWS's own implementation to sign. Those two load by name on
   * first use, so app bundles leave them out; a bundled app that uses `smithy` needs them
   * installed where it runs (else a `KmsConfigError` with code `SignerUnavailable`, before any
   * request).
   */
  signer?: 'node' | 'smithy';
  /** Where to log; nothing is logged by default. */
  logger?: Logger;
  /**
   * Asked for the current 6-digit code of an MFA device when an assume-role profile sets
   * `mfa_serial` (the device's serial number or ARN is passed). Called at each role refresh.
   * Without it such a profile fails with a `KmsConfigError`. `kms-cks` asks on a terminal.
   */
  mfaCodeProvider?: (serial: string) => Promise<string>;
  /**
   * Keep the credentials of assume-role profiles where the AWS CLI keeps them
   * (`~/.aws/cli/cache`, same file names and format, mode 0600), and use them from there until
   * 15 minutes before they expire: one MFA code serves a whole incident, shared by `aws` and
   * `kms-cks`. Files that are not the user's own regular files, writable by others, symlinks or
   * oversized are ignored. Default false; `kms-cks` turns it on.
   */
  sharedRoleCache?: boolean;
}
