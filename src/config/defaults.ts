/**
 * Every default of the client in one table: the resolution (`resolve.ts`), the request path, the
 * credential sources, the waiter and the README's configuration table all read it from here (a test
 * checks the README against it).
 */

/** The longest delay `setTimeout` honours; it fires at once beyond this, so longer limits are refused. */
export const maxTimerMs = 2_147_483_647;

/** Defaults of the `KmsClientConfig` options, and of the limits users cannot set. */
export const configDefaults = {
  /** Attempts per call, the first included (the AWS SDK's default). */
  maxAttempts: 3,
  /** Limit for one whole attempt (connect, send, read), in ms. */
  requestTimeoutMs: 10_000,
  /** Limit for establishing a connection, in ms. */
  connectTimeoutMs: 3_000,
  /** Most sockets the client keeps open to KMS. */
  maxSockets: 50,
  /** Limit for a profile's `credential_process` to print its credentials, in ms. */
  credentialProcessTimeoutMs: 30_000,
  /** Limit of each container-credentials or instance-metadata request, in ms. */
  metadataTimeoutMs: 1_000,
  /** Retries of the container-credentials endpoint after the first request. */
  containerRetries: 2,
  /** How long an idle connection to KMS is kept open, in ms. */
  keepAliveTimeoutMs: 4_000,
  /** Credentials are refreshed this long before they expire, in ms. */
  refreshWindowMs: 5 * 60 * 1000,
} as const;

/** Defaults of the waiter options (`WaitOptions`). */
export const waiterDefaults = {
  /** Deadline of a whole waiter call, in ms (30 minutes). */
  timeoutMs: 30 * 60 * 1000,
  /** Delay before the second poll, in ms. */
  pollIntervalMs: 2_000,
  /** Longest delay between polls, in ms. */
  maxPollIntervalMs: 30_000,
  /** Each delay is the previous one times this, up to `maxPollIntervalMs`. */
  backoffFactor: 1.5,
} as const;

/** Defaults of `applyToFleet`: stores worked on at a time, and the deadline of each ensure call. */
export const fleetDefaults = {
  concurrency: 8,
  timeoutMs: waiterDefaults.timeoutMs,
} as const;
