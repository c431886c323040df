/**
 * The default credential chain, in the AWS SDK's order: environment, shared-file profile (static
 * keys, `web_identity_token_file`, `credential_process`), web identity from the environment (EKS
 * IRSA), container endpoint, EC2 instance metadata. A source that is not
 * set up is skipped; a source that is set up but fails stops the chain, so that a broken profile
 * never silently falls through to the instance role. Every failure names its source and reason.
 */

import {
  findProfile,
  findServicesSection,
  type IniSection,
  loadSharedFiles,
  type SharedFiles,
} from '../config/shared-files.js';
import { type CredentialSourceFailure, KmsConfigError, KmsNetworkError } from '../errors.js';
import type { MfaCodeProvider } from './assume-role.js';
import {
  CredentialSourceError,
  type Credentials,
  credentialsFromEnv,
  type SourcedCredentials,
} from './credentials.js';
import { type ProfileSelection, selectProfile } from './selection.js';
import type { ServiceCallSettings } from './service-call.js';
import type { WebIdentityConfig } from './web-identity.js';

/** Options of {@link defaultCredentialChain}. */
export interface CredentialChainOptions {
  /** The environment to read (the client passes `process.env`). */
  env: NodeJS.ProcessEnv;
  /** `config.profile`, if given. */
  profile?: string;
  /** The clock (tests pass a fake one). */
  now?: () => number;
  /** Limit for `credential_process`, in ms; default 30 000. */
  processTimeoutMs?: number;
  /** Limit of each container / IMDS request, in ms; default 1 000. */
  metadataTimeoutMs?: number;
  /** Retries of the container endpoint after a network error or 5xx; default 2. */
  containerRetries?: number;
  /** Warned when AWS_PROFILE hides environment credentials. */
  warn?: (message: string) => void;
  /** Receives what only a developer needs (a redacted excerpt of credential_process stderr). */
  debug?: (message: string) => void;
  /** Aborted when the client closes: ends work still running (kills a credential_process). */
  signal?: AbortSignal;
  /** Gives the MFA code of a role profile's `mfa_serial`. */
  mfaCodeProvider?: MfaCodeProvider;
  /** Keep role credentials in the AWS CLI's cache folder (`~/.aws/cli/cache`). */
  sharedRoleCache?: boolean;
  /**
   * How STS is reached, as the client reaches KMS: its region and FIPS setting, proxy, dispatcher,
   * timeouts and attempts.
   */
  services?: Omit<ServiceCallSettings, 'env' | 'signal'>;
}

class ChainStop extends Error {
  constructor(
    readonly failure: CredentialSourceFailure,
    /** The source's service could not be reached (a network fault, not the configuration). */
    readonly network = false,
  ) {
    super(failure.reason);
  }
}

/**
 * The chain as a provider: each call runs it from the start (wrap it in a `CredentialCache`).
 * Rejects with {@link KmsConfigError} whose `sources` lists every source tried and why it failed.
 */
export function defaultCredentialChain(
  options: CredentialChainOptions,
): () => Promise<SourcedCredentials> {
  return async () => {
    const { env } = options;
    const now = options.now ?? Date.now;
    const tried: CredentialSourceFailure[] = [];
    const selection = selectProfile(options.profile, env);
    // Filled by the profile step, read by the IMDS step (endpoint settings).
    const profileSettings: { value?: Readonly<Record<string, string>> } = {};
    try {
      const won =
        fromEnv(options, selection, tried) ??
        (await fromProfile(options, selection, tried, profileSettings)) ??
        (await fromWebIdentity(options)) ??
        // The remote and process sources (node:http, node:https, node:child_process) load only
        // when the chain gets to them: a CLI run with keys in the environment never loads them.
        (await fromRemote('container', tried, async () =>
          (
            await import('./container.js')
          ).containerCredentials(env, {
            timeoutMs: options.metadataTimeoutMs,
            retries: options.containerRetries,
            signal: options.signal,
          }),
        )) ??
        (await fromRemote('imds', tried, async () =>
          (
            await import('./imds.js')
          ).imdsCredentials(env, {
            timeoutMs: options.metadataTimeoutMs,
            profile: profileSettings.value,
            signal: options.signal,
          }),
        ));
      if (won) {
        const expiration = won.credentials.expiration;
        if (expiration && expiration.getTime() <= now()) {
          throw new ChainStop({
            source: won.source,
            reason: `returned credentials that expired at ${expiration.toISOString()}`,
          });
        }
        return won;
      }
    } catch (error) {
      if (!(error instanceof ChainStop)) throw error;
      const failure = error.failure;
      const before = tried.length
        ? ` (tried before it: ${tried.map((t) => `${t.source}: ${t.reason}`).join('; ')})`
        : '';
      const message = `Cannot get credentials from ${failure.source}: ${failure.reason}${before}`;
      throw new KmsConfigError(message, {
        sources: [...tried, failure],
        code: 'CredentialsFailed',
        // Unreachable STS / SSO: the cause says it was the network (kms-cks exits 1, not 2).
        ...(error.network && { cause: new KmsNetworkError({ message: failure.reason }) }),
      });
    }
    throw new KmsConfigError(
      `No credentials found: ${tried.map((t) => `${t.source}: ${t.reason}`).join('; ')}. Pass { credentials } to KmsClient or set up one of these sources.`,
      { sources: tried, code: 'NoCredentials' },
    );
  };
}

function fromEnv(
  options: CredentialChainOptions,
  selection: ProfileSelection,
  tried: CredentialSourceFailure[],
): SourcedCredentials | undefined {
  const { env } = options;
  if (selection.chosenBy !== 'default') {
    // As the AWS SDK for JavaScript: a profile chosen by name wins over environment keys.
    if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
      options.warn?.(
        `Both ${selection.chosenBy} (${selection.name}) and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set; using the profile`,
      );
    }
    tried.push({
      source: 'env',
      reason: `skipped: profile ${selection.name} was chosen by ${selection.chosenBy}`,
    });
    return undefined;
  }
  const credentials = credentialsFromEnv(env);
  if (credentials) return { credentials, source: 'env' };
  tried.push({
    source: 'env',
    reason: env.AWS_ACCESS_KEY_ID
      ? 'AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not'
      : 'AWS_ACCESS_KEY_ID is not set',
  });
  return undefined;
}

async function fromProfile(
  options: CredentialChainOptions,
  selection: ProfileSelection,
  tried: CredentialSourceFailure[],
  found: { value?: Readonly<Record<string, string>> },
): Promise<SourcedCredentials | undefined> {
  const source = `profile:${selection.name}`;
  let files: SharedFiles;
  try {
    files = await loadSharedFiles(options.env);
  } catch (error) {
    if (error instanceof KmsConfigError) throw new ChainStop({ source, reason: error.message });
    throw error;
  }
  const profile = findProfile(files, selection.name);
  if (!profile) {
    const reason = `no profile ${selection.name} in ${files.configPath} or ${files.credentialsPath}`;
    if (selection.chosenBy !== 'default') {
      throw new ChainStop({ source, reason: `${reason} (chosen by ${selection.chosenBy})` });
    }
    tried.push({ source, reason });
    return undefined;
  }
  const settings = profile.settings;
  found.value = settings;
  // An assume-role profile, as the SDK tells one: role_arn with a source of credentials.
  if (settings.role_arn && (settings.source_profile || settings.credential_source)) {
    return assumeRoleProfile(options, selection.name, settings, files);
  }
  const accessKeyId = settings.aws_access_key_id;
  const secretAccessKey = settings.aws_secret_access_key;
  if (accessKeyId && secretAccessKey) {
    const sessionToken = settings.aws_session_token;
    const credentials: Credentials = {
      accessKeyId,
      secretAccessKey,
      ...(sessionToken ? { sessionToken } : {}),
    };
    return { credentials, source: `profile:${selection.name}` };
  }
  if (accessKeyId || secretAccessKey) {
    throw new ChainStop({
      source,
      reason: accessKeyId
        ? 'aws_access_key_id is set but aws_secret_access_key is missing'
        : 'aws_secret_access_key is set but aws_access_key_id is missing',
    });
  }
  const tokenFile = settings.web_identity_token_file;
  if (tokenFile) {
    if (!settings.role_arn) {
      throw new ChainStop({ source, reason: 'web_identity_token_file is set but role_arn is not' });
    }
    return webIdentity(options, `profile ${selection.name}`, {
      config: {
        tokenFile,
        roleArn: settings.role_arn,
        roleSessionName: settings.role_session_name,
        durationSeconds: settings.duration_seconds,
        profile: selection.name,
      },
      region: settings.region,
      services: settings.services ? findServicesSection(files, settings.services) : undefined,
    });
  }
  const command = settings.credential_process;
  if (command) {
    try {
      const { processCredentials } = await import('./process.js');
      const credentials = await processCredentials(command, {
        profile: selection.name,
        env: options.env,
        timeoutMs: options.processTimeoutMs,
        now: options.now,
        signal: options.signal,
        debug: options.debug,
      });
      return { credentials, source: 'process' };
    } catch (error) {
      stopChain(error, 'process');
    }
  }
  if (settings.sso_session || settings.sso_start_url) {
    return ssoProfile(options, selection.name, settings, files);
  }
  if (settings.login_session) {
    throw new ChainStop({
      source,
      reason: `the profile sets login_session (console credentials of \`aws login\`), which this client cannot use; use the AWS CLI as a credential process instead: credential_process = aws configure export-credentials --profile ${selection.name} --format process`,
    });
  }
  const ssoKey = ['sso_account_id', 'sso_role_name', 'sso_region'].find((key) => settings[key]);
  if (ssoKey) {
    throw new ChainStop({
      source,
      reason: `the profile sets ${ssoKey} but neither sso_session nor sso_start_url`,
    });
  }
  if (settings.role_arn) {
    throw new ChainStop({
      source,
      reason:
        'role_arn is set without source_profile, credential_source or web_identity_token_file, so there are no credentials to assume the role with',
    });
  }
  tried.push({
    source,
    reason:
      'the profile has no credentials (no aws_access_key_id/aws_secret_access_key or credential_process)',
  });
  return undefined;
}

/** Assumes the role of the chosen profile (module loaded now); failures stop the chain. */
async function assumeRoleProfile(
  options: CredentialChainOptions,
  name: string,
  settings: IniSection,
  files: SharedFiles,
): Promise<SourcedCredentials> {
  const source = `assume-role:${name}` as const;
  try {
    const { roleProfileCredentials } = await import('./assume-role.js');
    const credentials = await roleProfileCredentials(name, settings, {
      files,
      settings: { ...options.services, env: options.env, signal: options.signal },
      now: options.now ?? Date.now,
      mfaCodeProvider: options.mfaCodeProvider,
      sharedRoleCache: options.sharedRoleCache,
      metadataTimeoutMs: options.metadataTimeoutMs,
      containerRetries: options.containerRetries,
      processTimeoutMs: options.processTimeoutMs,
      debug: options.debug,
    });
    return { credentials, source };
  } catch (error) {
    stopChain(error, source);
  }
}

/**
 * A source's own failure (a {@link CredentialSourceError}) stops the chain, reported under
 * `source` with `prefix` before its reason; anything else is rethrown as it is.
 */
function stopChain(error: unknown, source: string, prefix = ''): never {
  if (error instanceof CredentialSourceError) {
    throw new ChainStop({ source, reason: `${prefix}${error.message}` }, error.network);
  }
  throw error;
}

/** The role credentials of an SSO profile (module loaded now); failures stop the chain. */
async function ssoProfile(
  options: CredentialChainOptions,
  name: string,
  settings: IniSection,
  files: SharedFiles,
): Promise<SourcedCredentials> {
  const source = `sso:${name}` as const;
  try {
    const { ssoProfileCredentials } = await import('./sso.js');
    const credentials = await ssoProfileCredentials(name, settings, {
      files,
      settings: { ...options.services, env: options.env, signal: options.signal },
      now: options.now ?? Date.now,
    });
    return { credentials, source };
  } catch (error) {
    stopChain(error, source);
  }
}

/** Runs the web identity exchange (module loaded now); failures stop the chain. */
async function webIdentity(
  options: CredentialChainOptions,
  owner: string,
  what: {
    config: WebIdentityConfig;
    region: string | undefined;
    services: IniSection | undefined;
  },
): Promise<SourcedCredentials> {
  try {
    const { webIdentityCredentials } = await import('./web-identity.js');
    const credentials = await webIdentityCredentials(
      what.config,
      { region: what.region, services: what.services },
      { ...options.services, env: options.env, signal: options.signal },
      options.now,
    );
    return { credentials, source: 'web-identity' };
  } catch (error) {
    stopChain(error, 'web-identity', `${owner}: `);
  }
}

/**
 * EKS IAM roles for service accounts (IRSA): `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`
 * (+ `AWS_ROLE_SESSION_NAME`), in the client's region.
 */
async function fromWebIdentity(
  options: CredentialChainOptions,
): Promise<SourcedCredentials | undefined> {
  const { env } = options;
  const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE;
  const roleArn = env.AWS_ROLE_ARN;
  if (!tokenFile || !roleArn) return undefined;
  return webIdentity(options, 'AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN', {
    config: { tokenFile, roleArn, roleSessionName: env.AWS_ROLE_SESSION_NAME || undefined },
    region: undefined,
    services: undefined,
  });
}

async function fromRemote(
  source: 'container' | 'imds',
  tried: CredentialSourceFailure[],
  fetch: () => Promise<Credentials>,
): Promise<SourcedCredentials | undefined> {
  try {
    return { credentials: await fetch(), source };
  } catch (error) {
    if (!(error instanceof CredentialSourceError)) throw error;
    // IMDS is the last source: its failure is reported with all the others.
    if (error.notConfigured || source === 'imds') {
      tried.push({ source, reason: error.message });
      return undefined;
    }
    throw new ChainStop({ source, reason: error.message });
  }
}
