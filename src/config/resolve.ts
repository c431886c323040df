/**
 * Client configuration: what users pass, what the environment and the shared AWS files add, and
 * the resolved result the request path uses. Resolution is apart from the request path and happens
 * once per client; credentials are fetched lazily and refreshed through a cache.
 */
import type { Dispatcher } from 'undici';
import type { CredentialChainOptions } from '../credentials/chain.js';
import {
  assertCredentials,
  CredentialCache,
  type CredentialSource,
  type Credentials,
  type SourcedCredentials,
} from '../credentials/credentials.js';
import { defaultCredentialProvider } from '../credentials/default-chain.js';
import { type ProfileSelection, selectProfile } from '../credentials/selection.js';
import { KmsConfigError, KmsError } from '../errors.js';
import type { ClockCorrection } from '../request/clock.js';
import { configDefaults } from './defaults.js';
import { assertValidRegion, resolveEndpoint, signingRegionOf } from './endpoint.js';
import type { KmsClientConfig, Logger } from './options.js';
import { type ProxySettings, proxySettingsFromEnv } from './proxy.js';
import {
  findProfile,
  findServicesSection,
  type IniSection,
  loadSharedFiles,
  type SharedFiles,
} from './shared-files.js';
import { parseBoolean, parseEndpoint, parseIntegerSetting, withSetting } from './validate.js';

/** Configuration as the request path uses it. */
export interface ResolvedConfig {
  /** The region (may be a FIPS pseudo-region such as `us-east-1-fips`). */
  region: string;
  /** The region in the credential scope. */
  signingRegion: string;
  /** The endpoint requests go to. */
  endpoint: URL;
  /** Where the endpoint came from: `config`, `AWS_ENDPOINT_URL_KMS`, `profile dev services`, `partition`, … */
  endpointSource: string;
  /** The profile used for shared-file settings, even when it has no settings. */
  profile: string;
  /** Whether the FIPS endpoint was asked for. */
  useFipsEndpoint: boolean;
  /** Whether the dual-stack endpoint was asked for. */
  useDualstackEndpoint: boolean;
  /**
   * Attempts per call: `config.maxAttempts`, `AWS_MAX_ATTEMPTS`, the profile's `max_attempts`,
   * else 3.
   */
  maxAttempts: number;
  /** Limit for one whole attempt, in ms (`config.requestTimeoutMs`, else the default). */
  requestTimeoutMs: number;
  /** Limit for establishing a connection, in ms (`config.connectTimeoutMs`, else the default). */
  connectTimeoutMs: number;
  /** Most sockets to the endpoint (`config.maxSockets`, else the default). */
  maxSockets: number;
  /** How long an idle connection is kept open, in ms. */
  keepAliveTimeoutMs: number;
  /**
   * The proxy settings of `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`; undefined when none is set
   * or when the caller passed their own `dispatcher` (which then decides).
   */
  proxy: ProxySettings | undefined;
  /** The caller's dispatcher, if any: requests go through it instead of the client's pool. */
  dispatcher: Dispatcher | undefined;
  /** Which SigV4 implementation signs. */
  signer: 'node' | 'smithy';
  /** Where to log, if anywhere. */
  logger: Logger | undefined;
  /** Current credentials (cached, refreshed 5 minutes before they expire). */
  credentials(): Promise<Credentials>;
  /** Source of the current credentials (fetches them if needed). */
  credentialSource(): Promise<CredentialSource>;
}

/** Test hooks of {@link loadConfig}. */
export interface ResolveOptions {
  /** The clock for credential expiry (tests pass a fake one). */
  now?: () => number;
  /** Limit of each container / IMDS request, in ms; default 1 000. */
  metadataTimeoutMs?: number;
  /** Retries of the container endpoint; default 2. */
  containerRetries?: number;
  /** Aborted when the client closes: ends credential work still running in the background. */
  signal?: AbortSignal;
  /**
   * The client's clock correction, for its signed STS calls (AssumeRole): a skew that STS or KMS
   * reports corrects the clock of both. Default: a correction of this configuration's own.
   */
  clock?: ClockCorrection;
}

/** Reads the shared files and the selected profile once, only when a setting needs them. */
class ProfileReader {
  readonly selection: ProfileSelection;
  /** A missing profile is an error (else it just has no settings). */
  readonly strict: boolean;
  readonly #env: NodeJS.ProcessEnv;
  #loaded: Promise<{ files: SharedFiles; settings: IniSection | undefined }> | undefined;

  constructor(selection: ProfileSelection, env: NodeJS.ProcessEnv, strict: boolean) {
    this.selection = selection;
    this.strict = strict;
    this.#env = env;
  }

  load(): Promise<{ files: SharedFiles; settings: IniSection | undefined }> {
    this.#loaded ??= loadSharedFiles(this.#env).then((files) => {
      const profile = findProfile(files, this.selection.name);
      if (!profile && this.strict) {
        throw new KmsConfigError(
          `Profile ${JSON.stringify(this.selection.name)} (chosen by ${this.selection.chosenBy}) is not in ${files.configPath} or ${files.credentialsPath}`,
          { code: 'ProfileNotFound', setting: this.selection.chosenBy, value: this.selection.name },
        );
      }
      return { files, settings: profile?.settings };
    });
    return this.#loaded;
  }

  async get(key: string): Promise<string | undefined> {
    const value = (await this.load()).settings?.[key];
    return value === '' ? undefined : value;
  }

  /** How a message names one of the profile's keys: `region of profile dev`. */
  label(key: string): string {
    return `${key} of profile ${this.selection.name}`;
  }
}

/** The first defined value among config, environment variables and profile keys, with its source. */
async function firstOf<T>(
  candidates: readonly (readonly [
    source: string,
    read: () => T | undefined | Promise<T | undefined>,
  ])[],
): Promise<{ value: T; source: string } | undefined> {
  for (const [source, read] of candidates) {
    const value = await read();
    if (value !== undefined) return { value, source };
  }
  return undefined;
}

/**
 * The one resolution of a client's configuration: region, endpoint, FIPS / dual-stack, attempts,
 * timeouts, proxy, pool settings and the credential provider, from the config, the environment
 * and the shared AWS files, with the defaults of `defaults.ts`. Throws {@link KmsConfigError}
 * naming the setting at fault. Credentials themselves are fetched on first use.
 *
 * @param config - what the user passed.
 * @param env - the environment (the client passes `process.env`).
 * @param options - test hooks: clock and metadata timeouts.
 */
export async function loadConfig(
  config: KmsClientConfig,
  env: NodeJS.ProcessEnv,
  options: ResolveOptions = {},
): Promise<ResolvedConfig> {
  const selection = selectProfile(config.profile, env);
  // A profile named in config must exist, whatever else is configured. One named by AWS_PROFILE
  // must exist when credentials come from the chain (a typo must not fall through to another
  // identity); with explicit credentials a stale AWS_PROFILE does not break the client, as with
  // the AWS SDK, and its missing settings are simply absent.
  const strict =
    selection.chosenBy === 'config.profile' ||
    (selection.chosenBy === 'AWS_PROFILE' && config.credentials === undefined);
  const profile = new ProfileReader(selection, env, strict);
  if (strict) await profile.load();

  const region = await firstOf<string>([
    ['config.region', () => config.region],
    ['AWS_REGION', () => env.AWS_REGION || undefined],
    ['AWS_DEFAULT_REGION', () => env.AWS_DEFAULT_REGION || undefined],
    [profile.label('region'), () => profile.get('region')],
  ]);
  if (region === undefined) {
    throw new KmsConfigError(
      `No region: pass { region } to KmsClient, set AWS_REGION (or AWS_DEFAULT_REGION), or set region in profile ${profile.selection.name} of the shared config file`,
      { code: 'NoRegion', value: profile.selection.name },
    );
  }
  try {
    assertValidRegion(region.value);
  } catch (error) {
    throw withSetting(error, region.source, `${region.source}: ${(error as Error).message}`);
  }

  const boolean = (name: string, fromConfig: boolean | undefined, envName: string, key: string) =>
    firstOf<boolean>([
      [name, () => fromConfig],
      [envName, () => parseBoolean(env[envName], envName)],
      [profile.label(key), async () => parseBoolean(await profile.get(key), profile.label(key))],
    ]);
  const fips = await boolean(
    'config.useFipsEndpoint',
    config.useFipsEndpoint,
    'AWS_USE_FIPS_ENDPOINT',
    'use_fips_endpoint',
  );
  const dualstack = await boolean(
    'config.useDualstackEndpoint',
    config.useDualstackEndpoint,
    'AWS_USE_DUALSTACK_ENDPOINT',
    'use_dualstack_endpoint',
  );
  const useFipsEndpoint = fips?.value === true;
  const useDualstackEndpoint = dualstack?.value === true;

  const configured = await configuredEndpoint(config, env, profile);
  let endpoint: URL;
  if (configured) {
    for (const flag of [fips, dualstack]) {
      if (flag?.value === true) {
        throw new KmsConfigError(
          `${flag.source} is true, but a custom endpoint is set by ${configured.source}: FIPS and dual-stack choose an AWS endpoint, so they cannot be combined with a custom one; drop one of the two`,
        );
      }
    }
    try {
      endpoint = parseEndpoint(configured.value, config.allowInsecureEndpoint === true);
    } catch (error) {
      throw withSetting(
        error,
        configured.source,
        `Endpoint from ${configured.source}: ${(error as Error).message}`,
      );
    }
  } else {
    endpoint = new URL(
      resolveEndpoint({ region: region.value, useFipsEndpoint, useDualstackEndpoint }),
    );
  }

  const maxAttempts =
    (
      await firstOf<number>([
        ['config.maxAttempts', () => config.maxAttempts],
        [
          'AWS_MAX_ATTEMPTS',
          () => parseIntegerSetting(env.AWS_MAX_ATTEMPTS, 'AWS_MAX_ATTEMPTS', 1, 100),
        ],
        [
          profile.label('max_attempts'),
          async () =>
            parseIntegerSetting(
              await profile.get('max_attempts'),
              profile.label('max_attempts'),
              1,
              100,
            ),
        ],
      ])
    )?.value ?? configDefaults.maxAttempts;

  const now = options.now ?? Date.now;
  const proxy = config.dispatcher ? undefined : proxySettingsFromEnv(env);
  const requestTimeoutMs = config.requestTimeoutMs ?? configDefaults.requestTimeoutMs;
  const connectTimeoutMs = config.connectTimeoutMs ?? configDefaults.connectTimeoutMs;
  // STS is reached as KMS is: same region, FIPS setting, proxy, dispatcher, limits, attempts and
  // clock correction.
  const services = {
    clock: options.clock ?? { offsetMs: 0 },
    logger: config.logger,
    region: region.value,
    useFipsEndpoint,
    proxy,
    dispatcher: config.dispatcher,
    requestTimeoutMs,
    connectTimeoutMs,
    maxAttempts,
  };
  const cache = new CredentialCache(credentialProvider(config, env, options, services), now);
  return {
    region: region.value,
    signingRegion: signingRegionOf(region.value),
    endpoint,
    endpointSource: configured?.source ?? 'partition',
    profile: profile.selection.name,
    useFipsEndpoint,
    useDualstackEndpoint,
    maxAttempts,
    requestTimeoutMs,
    connectTimeoutMs,
    maxSockets: config.maxSockets ?? configDefaults.maxSockets,
    keepAliveTimeoutMs: configDefaults.keepAliveTimeoutMs,
    // HTTPS_PROXY / HTTP_PROXY / NO_PROXY (the SDK ignores them); a caller's dispatcher decides itself.
    proxy,
    dispatcher: config.dispatcher,
    signer: config.signer ?? 'node',
    logger: config.logger,
    credentials: async () => (await cache.get()).credentials,
    credentialSource: async () => (await cache.get()).source,
  };
}

/** The endpoint set by config, environment or profile, unless configured endpoints are ignored. */
async function configuredEndpoint(
  config: KmsClientConfig,
  env: NodeJS.ProcessEnv,
  profile: ProfileReader,
): Promise<{ value: string | URL; source: string } | undefined> {
  if (config.endpoint !== undefined) return { value: config.endpoint, source: 'config.endpoint' };
  const ignore = await firstOf<boolean>([
    [
      'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
      () =>
        parseBoolean(
          env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS,
          'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
        ),
    ],
    [
      profile.label('ignore_configured_endpoint_urls'),
      async () =>
        parseBoolean(
          await profile.get('ignore_configured_endpoint_urls'),
          profile.label('ignore_configured_endpoint_urls'),
        ),
    ],
  ]);
  if (ignore?.value === true) return undefined;
  return firstOf<string>([
    ['AWS_ENDPOINT_URL_KMS', () => env.AWS_ENDPOINT_URL_KMS || undefined],
    ['AWS_ENDPOINT_URL', () => env.AWS_ENDPOINT_URL || undefined],
    [
      `kms endpoint_url of the services section of profile ${profile.selection.name}`,
      async () => {
        const services = await profile.get('services');
        if (!services) return undefined;
        const section = findServicesSection((await profile.load()).files, services);
        return section?.['kms.endpoint_url'] || undefined;
      },
    ],
    [profile.label('endpoint_url'), () => profile.get('endpoint_url')],
  ]);
}

/** The provider behind the credential cache: the given credentials or the default chain. */
function credentialProvider(
  config: KmsClientConfig,
  env: NodeJS.ProcessEnv,
  options: ResolveOptions,
  services: CredentialChainOptions['services'],
): () => Promise<SourcedCredentials> {
  const given = config.credentials;
  if (typeof given === 'function') {
    return async () => {
      let credentials: unknown;
      try {
        credentials = await given();
      } catch (error) {
        if (error instanceof KmsError) throw error;
        const reason = `the credentials provider failed: ${error instanceof Error ? error.message : String(error)}`;
        throw new KmsConfigError(`Cannot get credentials from provider: ${reason}`, {
          cause: error,
          sources: [{ source: 'provider', reason }],
        });
      }
      assertCredentials(credentials, 'the credentials provider');
      return { credentials, source: 'provider' };
    };
  }
  if (given !== undefined) return async () => ({ credentials: given, source: 'static' });
  return defaultCredentialProvider({
    env,
    profile: config.profile,
    now: options.now,
    processTimeoutMs:
      config.credentialProcessTimeoutMs ?? configDefaults.credentialProcessTimeoutMs,
    metadataTimeoutMs: options.metadataTimeoutMs,
    containerRetries: options.containerRetries,
    warn: (message) => config.logger?.warn?.(message),
    debug: (message) => config.logger?.debug?.(message),
    signal: options.signal,
    mfaCodeProvider: config.mfaCodeProvider,
    sharedRoleCache: config.sharedRoleCache === true,
    services,
  });
}
