/**
 * Assume-role profiles: `role_arn` with `source_profile` (chains of any depth, cycles refused) or
 * `credential_source` (`Environment`, `Ec2InstanceMetadata`, `EcsContainer`), through
 * `sts:AssumeRole`. Loaded only when the chosen profile is one. Each hop is assumed in its own
 * profile's region (else the client's) and its own `services` section.
 */
import {
  findProfile,
  findServicesSection,
  type IniSection,
  type SharedFiles,
} from '../config/shared-files.js';
import { CredentialSourceError, type Credentials, credentialsFromEnv } from './credentials.js';
import type { ServiceCallSettings } from './service-call.js';
import { assumeRole } from './sts.js';
import { defaultSessionName, durationOf } from './web-identity.js';

/** Asks the user for the current code of an MFA device (its serial or ARN is given). */
export type MfaCodeProvider = (serial: string) => Promise<string>;

/** What resolving a role chain needs. */
export interface RoleContext {
  /** Both shared files, already read. */
  files: SharedFiles;
  /** How STS is reached (env and signal included). */
  settings: ServiceCallSettings;
  now: () => number;
  /** For `mfa_serial`. */
  mfaCodeProvider?: MfaCodeProvider;
  /** Read and write role credentials in the AWS CLI's cache folder. */
  sharedRoleCache?: boolean;
  /** Limit of container / IMDS requests (`credential_source`), in ms. */
  metadataTimeoutMs?: number;
  /** Retries of the container endpoint. */
  containerRetries?: number;
  /** Limit of a source profile's `credential_process`, in ms. */
  processTimeoutMs?: number;
  debug?: (message: string) => void;
}

/** True when a profile assumes a role from a source, as the SDK tells one. */
export function isAssumeRoleProfile(settings: IniSection): boolean {
  return Boolean(settings.role_arn && (settings.source_profile || settings.credential_source));
}

/**
 * The credentials of an assume-role profile. Throws {@link CredentialSourceError} naming the
 * profile at fault (a hop of the chain, a cycle, an STS error code); never a secret.
 *
 * @param name - the profile (an assume-role profile).
 * @param settings - its settings.
 * @param context - files, STS settings, MFA provider.
 */
export function roleProfileCredentials(
  name: string,
  settings: IniSection,
  context: RoleContext,
): Promise<Credentials> {
  return assumeRoleOf(name, settings, context, [name]);
}

async function assumeRoleOf(
  name: string,
  settings: IniSection,
  context: RoleContext,
  visited: readonly string[],
): Promise<Credentials> {
  const sourceProfile = settings.source_profile;
  const credentialSource = settings.credential_source;
  if (sourceProfile && credentialSource) {
    throw new CredentialSourceError(
      `profile ${name} sets both source_profile and credential_source; keep one`,
    );
  }
  // Before the source and the MFA code: credentials the AWS CLI (or an earlier run) cached.
  const cache = context.sharedRoleCache ? await import('./role-cache.js') : undefined;
  const cacheKey = cache?.roleCacheKey(settings);
  if (cache && cacheKey) {
    const cached = await cache.readRoleCache(cacheKey, context);
    if (cached) return cached;
  }
  const source = sourceProfile
    ? await sourceProfileCredentials(sourceProfile, name, context, visited)
    : await credentialSourceCredentials(credentialSource as string, name, settings, context);
  const durationSeconds = durationOf(settings.duration_seconds, name) ?? 3600;
  const mfaSerial = settings.mfa_serial;
  const mfa = mfaSerial
    ? { serialNumber: mfaSerial, tokenCode: await mfaCode(mfaSerial, name, context) }
    : undefined;
  try {
    const credentials = await assumeRole(
      {
        roleArn: settings.role_arn as string,
        roleSessionName: settings.role_session_name || defaultSessionName(context.now()),
        externalId: settings.external_id || undefined,
        durationSeconds,
        mfa,
      },
      source,
      {
        region: settings.region,
        services: settings.services
          ? findServicesSection(context.files, settings.services)
          : undefined,
      },
      context.settings,
    );
    if (cache && cacheKey) await cache.writeRoleCache(cacheKey, credentials, context);
    return credentials;
  } catch (error) {
    if (error instanceof CredentialSourceError) {
      throw new CredentialSourceError(`profile ${name}: ${error.message}`, {
        network: error.network,
      });
    }
    throw error;
  }
}

/** The credentials a `source_profile` gives: its static keys win over its own role_arn (as the SDK). */
async function sourceProfileCredentials(
  sourceName: string,
  roleName: string,
  context: RoleContext,
  visited: readonly string[],
): Promise<Credentials> {
  const profile = findProfile(context.files, sourceName);
  if (!profile) {
    throw new CredentialSourceError(
      `source_profile ${sourceName} of profile ${roleName} is not in ${context.files.configPath} or ${context.files.credentialsPath}`,
    );
  }
  const settings = profile.settings;
  const { aws_access_key_id: accessKeyId, aws_secret_access_key: secretAccessKey } = settings;
  if (accessKeyId && secretAccessKey) {
    const sessionToken = settings.aws_session_token;
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  if (isAssumeRoleProfile(settings)) {
    if (visited.includes(sourceName)) {
      throw new CredentialSourceError(
        `the role profiles form a cycle: ${[...visited, sourceName].join(' -> ')}`,
      );
    }
    return assumeRoleOf(sourceName, settings, context, [...visited, sourceName]);
  }
  if (settings.web_identity_token_file && settings.role_arn) {
    const { webIdentityCredentials } = await import('./web-identity.js');
    try {
      return await webIdentityCredentials(
        {
          tokenFile: settings.web_identity_token_file,
          roleArn: settings.role_arn,
          roleSessionName: settings.role_session_name,
        },
        {
          region: settings.region,
          services: settings.services
            ? findServicesSection(context.files, settings.services)
            : undefined,
        },
        context.settings,
        context.now,
      );
    } catch (error) {
      if (error instanceof CredentialSourceError) {
        throw new CredentialSourceError(`source profile ${sourceName}: ${error.message}`);
      }
      throw error;
    }
  }
  if (settings.credential_process) {
    const { processCredentials } = await import('./process.js');
    return processCredentials(settings.credential_process, {
      profile: sourceName,
      env: context.settings.env,
      timeoutMs: context.processTimeoutMs,
      now: context.now,
      signal: context.settings.signal,
      debug: context.debug,
    });
  }
  const sso = ['sso_session', 'sso_start_url', 'login_session'].find((key) => settings[key]);
  if (sso) {
    throw new CredentialSourceError(
      `source profile ${sourceName} sets ${sso}, which this client cannot use as a role source yet`,
    );
  }
  throw new CredentialSourceError(
    `source profile ${sourceName} of profile ${roleName} has no credentials (no aws_access_key_id/aws_secret_access_key, role_arn with a source, web_identity_token_file or credential_process)`,
  );
}

/** `credential_source`: the environment, the instance role or the container role. */
async function credentialSourceCredentials(
  credentialSource: string,
  roleName: string,
  settings: IniSection,
  context: RoleContext,
): Promise<Credentials> {
  const { env } = context.settings;
  const what = `credential_source = ${credentialSource} of profile ${roleName}`;
  try {
    switch (credentialSource) {
      case 'Environment': {
        const credentials = credentialsFromEnv(env);
        if (!credentials) {
          throw new CredentialSourceError('AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set');
        }
        return credentials;
      }
      case 'Ec2InstanceMetadata': {
        const { imdsCredentials } = await import('./imds.js');
        return await imdsCredentials(env, {
          timeoutMs: context.metadataTimeoutMs,
          profile: settings,
        });
      }
      case 'EcsContainer': {
        const { containerCredentials } = await import('./container.js');
        return await containerCredentials(env, {
          timeoutMs: context.metadataTimeoutMs,
          retries: context.containerRetries,
        });
      }
      default:
        throw new CredentialSourceError('must be Environment, Ec2InstanceMetadata or EcsContainer');
    }
  } catch (error) {
    if (error instanceof CredentialSourceError) {
      throw new CredentialSourceError(`${what}: ${error.message}`);
    }
    throw error;
  }
}

/** Asks the MFA code provider; refuses anything but six digits before calling STS. */
async function mfaCode(serial: string, roleName: string, context: RoleContext): Promise<string> {
  const provider = context.mfaCodeProvider;
  if (!provider) {
    throw new CredentialSourceError(
      `profile ${roleName} sets mfa_serial, so it needs an MFA code, and no mfaCodeProvider was given (KmsClient option mfaCodeProvider: (serial) => Promise<string>)`,
    );
  }
  let code: unknown;
  try {
    code = await provider(serial);
  } catch (error) {
    throw new CredentialSourceError(
      `profile ${roleName}: mfaCodeProvider failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const text = typeof code === 'string' ? code.trim() : '';
  if (!/^\d{6}$/.test(text)) {
    throw new CredentialSourceError(
      `profile ${roleName}: mfaCodeProvider must resolve to the 6-digit code of ${serial}`,
    );
  }
  return text;
}
