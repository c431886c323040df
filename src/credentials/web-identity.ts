/**
 * Web identity (EKS IAM roles for service accounts and the like): a token file and a role,
 * exchanged through `sts:AssumeRoleWithWebIdentity`. The token file is read at every call, since
 * EKS rotates it; its contents never appear in an error.
 */
import { fileProblem, maxTokenFileBytes, readSmallFile } from '../config/small-file.js';
import { CredentialSourceError, type Credentials } from './credentials.js';
import type { ServiceCallSettings } from './service-call.js';
import { assumeRoleWithWebIdentity, type StsTarget } from './sts.js';

/** One web identity: from a profile or from the environment. */
export interface WebIdentityConfig {
  /** The token file (`web_identity_token_file`, `AWS_WEB_IDENTITY_TOKEN_FILE`). */
  tokenFile: string;
  /** The role (`role_arn`, `AWS_ROLE_ARN`). */
  roleArn: string;
  /** `role_session_name`, `AWS_ROLE_SESSION_NAME`; default `kms-custom-key-store-<ms>`. */
  roleSessionName?: string;
  /** `duration_seconds` of the profile as written, if set (checked here: 900 to 43 200). */
  durationSeconds?: string;
  /** The profile it comes from, for errors. */
  profile?: string;
}

/** The session name the SDKs' convention leaves to each client: ours with the time. */
export function defaultSessionName(now: number): string {
  return `kms-custom-key-store-${now}`;
}

/**
 * Reads the token file and assumes the role. Throws {@link CredentialSourceError}.
 *
 * @param config - token file, role and session name.
 * @param target - STS region and services section.
 * @param settings - how STS is reached.
 * @param now - the clock, for the default session name.
 */
export async function webIdentityCredentials(
  config: WebIdentityConfig,
  target: StsTarget,
  settings: ServiceCallSettings,
  now: () => number = Date.now,
): Promise<Credentials> {
  let token: string;
  try {
    token = (await readSmallFile(config.tokenFile, { maxBytes: maxTokenFileBytes })).trim();
  } catch (error) {
    throw new CredentialSourceError(
      `cannot read the web identity token file ${config.tokenFile} (${fileProblem(error)})`,
    );
  }
  if (token === '') {
    throw new CredentialSourceError(`the web identity token file ${config.tokenFile} is empty`);
  }
  return assumeRoleWithWebIdentity(
    {
      roleArn: config.roleArn,
      roleSessionName: config.roleSessionName || defaultSessionName(now()),
      webIdentityToken: token,
      durationSeconds: durationOf(config.durationSeconds, config.profile ?? 'default'),
    },
    target,
    settings,
  );
}

/** `duration_seconds`: 900 to 43 200. */
export function durationOf(value: string | undefined, profile: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = /^\d{1,6}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!(seconds >= 900 && seconds <= 43_200)) {
    throw new CredentialSourceError(
      `duration_seconds of profile ${profile} must be a whole number of seconds from 900 to 43200`,
    );
  }
  return seconds;
}
