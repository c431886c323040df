/**
 * EC2 instance metadata credentials, IMDSv2 only: a session token (PUT), then the role name, then
 * the role's credentials, each request limited to 1 s. The token never appears in an error.
 */

import { configDefaults } from '../config/defaults.js';
import type { IniSection } from '../config/shared-files.js';
import { parseBoolean } from '../config/validate.js';
import { CredentialSourceError, type Credentials } from './credentials.js';
import { parseCredentialsDocument } from './document.js';
import { MetadataRequestError, metadataRequest } from './metadata-http.js';

const ipv4Endpoint = 'http://169.254.169.254';
const ipv6Endpoint = 'http://[fd00:ec2::254]';
const tokenPath = '/latest/api/token';
const rolePath = '/latest/meta-data/iam/security-credentials/';

/** Options of {@link imdsCredentials}. */
export interface ImdsOptions {
  /** Limit of each request, in ms; default 1 000. */
  timeoutMs?: number;
  /** The selected profile's settings (`ec2_metadata_service_endpoint`, `…_mode`). */
  profile?: IniSection;
  /** The client's lifetime: close() ends a request at once. */
  signal?: AbortSignal | undefined;
}

/**
 * The IMDS base URL: `AWS_EC2_METADATA_SERVICE_ENDPOINT`, the profile's
 * `ec2_metadata_service_endpoint`, else by endpoint mode (IPv4 169.254.169.254 or IPv6
 * fd00:ec2::254). Throws {@link CredentialSourceError} when IMDS is disabled or misconfigured.
 */
export function imdsEndpoint(env: NodeJS.ProcessEnv, profile?: IniSection): URL {
  let disabled: boolean | undefined;
  try {
    // Parsed as every boolean setting: `yes` is an error, not false (the AWS SDK refuses it too).
    disabled = parseBoolean(env.AWS_EC2_METADATA_DISABLED, 'AWS_EC2_METADATA_DISABLED');
  } catch (error) {
    throw new CredentialSourceError((error as Error).message);
  }
  if (disabled === true) {
    throw new CredentialSourceError('disabled by AWS_EC2_METADATA_DISABLED', {
      notConfigured: true,
    });
  }
  const configured =
    env.AWS_EC2_METADATA_SERVICE_ENDPOINT || profile?.ec2_metadata_service_endpoint;
  if (configured) {
    let url: URL;
    try {
      url = new URL(configured);
    } catch {
      throw new CredentialSourceError('the metadata service endpoint is not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CredentialSourceError(
        `the metadata service endpoint must be http: or https:, not ${url.protocol}`,
      );
    }
    return new URL(url.origin);
  }
  const mode =
    env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE || profile?.ec2_metadata_service_endpoint_mode;
  if (mode === undefined || mode.toLowerCase() === 'ipv4') return new URL(ipv4Endpoint);
  if (mode.toLowerCase() === 'ipv6') return new URL(ipv6Endpoint);
  throw new CredentialSourceError(`endpoint mode ${JSON.stringify(mode)} is not IPv4 or IPv6`);
}

/**
 * Fetches the instance role's credentials. Throws {@link CredentialSourceError} saying which step
 * failed (`notConfigured` when disabled by `AWS_EC2_METADATA_DISABLED`).
 *
 * @param env - the environment to read.
 * @param options - time limit and profile.
 */
export async function imdsCredentials(
  env: NodeJS.ProcessEnv,
  options: ImdsOptions = {},
): Promise<Credentials> {
  const base = imdsEndpoint(env, options.profile);
  const timeoutMs = options.timeoutMs ?? configDefaults.metadataTimeoutMs;
  const call = async (
    step: string,
    path: string,
    method: 'GET' | 'PUT',
    headers: Record<string, string>,
  ): Promise<string> => {
    let status: number;
    let body: string;
    try {
      ({ status, body } = await metadataRequest(new URL(path, base), {
        method,
        headers,
        timeoutMs,
        signal: options.signal,
      }));
    } catch (error) {
      if (error instanceof MetadataRequestError) {
        throw new CredentialSourceError(`${step} to ${base.origin}: ${error.message}`);
      }
      throw error;
    }
    if (status === 404 && step === 'role request') {
      throw new CredentialSourceError(
        `no IAM role is attached to this instance (${step} answered HTTP 404)`,
      );
    }
    if (status < 200 || status >= 300) {
      throw new CredentialSourceError(`${step} to ${base.origin} answered HTTP ${status}`);
    }
    return body;
  };

  const token = (
    await call('token request', tokenPath, 'PUT', {
      'x-aws-ec2-metadata-token-ttl-seconds': '21600',
    })
  ).trim();
  if (!/^[\x21-\x7e]{1,4096}$/.test(token)) {
    throw new CredentialSourceError('token request answered something that is not a token');
  }
  const withToken = { 'x-aws-ec2-metadata-token': token };
  const role = (await call('role request', rolePath, 'GET', withToken)).split('\n')[0]?.trim();
  if (!role || !/^[\w+=,.@-]{1,128}$/.test(role)) {
    throw new CredentialSourceError('role request answered something that is not a role name');
  }
  const body = await call('credentials request', `${rolePath}${role}`, 'GET', withToken);
  const code = safeCode(body);
  if (code !== undefined && code !== 'Success') {
    throw new CredentialSourceError(`credentials request answered Code ${code}`);
  }
  return parseCredentialsDocument(body, 'credentials request answered');
}

function safeCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { Code?: unknown } | null)?.Code;
    if (typeof code !== 'string') return undefined;
    return /^\w{1,64}$/.test(code) ? code : '(not an identifier)';
  } catch {
    return undefined;
  }
}
