/**
 * AWS STS over the Query protocol (POST form body, `Version=2011-06-15`, XML answers):
 * `AssumeRoleWithWebIdentity` (unsigned) and `AssumeRole` (SigV4, service `sts`, with our signer).
 * Loaded only when a profile or the environment needs it.
 */
import { isValidRegion, signingRegionOf } from '../config/endpoint.js';
import type { IniSection } from '../config/shared-files.js';
import { redactSecrets, type SecretValues } from '../redact.js';
import { createRequestSigner } from '../request/sign.js';
import { CredentialSourceError, type Credentials } from './credentials.js';
import {
  callCredentialService,
  type ServiceCallSettings,
  serviceEndpoint,
  stsDefaultEndpoint,
} from './service-call.js';
import { parseXml, textAt, type XmlElement, XmlError } from './xml.js';

/** Where and how STS is called for one role. */
export interface StsTarget {
  /** The region of the role profile (`region`), else the client's. */
  region: string | undefined;
  /** The profile's `[services]` section, for `sts = endpoint_url = …`. */
  services: IniSection | undefined;
}

/** The STS endpoint for a region, overrides applied. */
export function stsEndpoint(target: StsTarget, settings: ServiceCallSettings): URL {
  const region = target.region ?? settings.region;
  // From a shared file or the environment: it goes into a host name, so it must be a region.
  if (region !== undefined && region !== '' && !isValidRegion(region)) {
    throw new CredentialSourceError(
      `the STS region ${JSON.stringify(region.slice(0, 64))} is not a region name (lower-case letters, digits and hyphens, e.g. "eu-west-1")`,
    );
  }
  const fallback = region ? stsDefaultEndpoint(region, settings.useFipsEndpoint === true) : '';
  if (!region && !hasOverride(settings.env, target.services)) {
    throw new CredentialSourceError(
      'no region to call AWS STS in: set region in the profile, AWS_REGION, or config.region',
    );
  }
  return serviceEndpoint('sts', settings.env, target.services, fallback);
}

function hasOverride(env: NodeJS.ProcessEnv, services: IniSection | undefined): boolean {
  return Boolean(
    env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL || services?.['sts.endpoint_url'],
  );
}

/**
 * Form-encodes Query protocol parameters as botocore (`quote(value, safe='-_.~')`) and the AWS
 * SDK do: everything but letters, digits and `-_.~` percent-encoded, spaces as %20.
 */
export function queryBody(parameters: Record<string, string | undefined>): string {
  return Object.entries(parameters)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`)
    .join('&');
}

/** encodeURIComponent leaves `!'()*` as they are; the SDKs encode them. */
function percentEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** What `sts:AssumeRoleWithWebIdentity` needs. */
export interface WebIdentityParameters {
  roleArn: string;
  roleSessionName: string;
  /** The token, read from the token file just before the call. */
  webIdentityToken: string;
  durationSeconds?: number;
}

/**
 * Exchanges a web identity token for role credentials. Throws {@link CredentialSourceError}
 * naming the STS error code, never the token.
 */
export async function assumeRoleWithWebIdentity(
  parameters: WebIdentityParameters,
  target: StsTarget,
  settings: ServiceCallSettings,
): Promise<Credentials> {
  const url = stsEndpoint(target, settings);
  const body = queryBody({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: parameters.roleArn,
    RoleSessionName: parameters.roleSessionName,
    WebIdentityToken: parameters.webIdentityToken,
    DurationSeconds: parameters.durationSeconds?.toString(),
  });
  const what = 'STS AssumeRoleWithWebIdentity';
  const response = await callCredentialService(
    () => ({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    }),
    settings,
    what,
  );
  // The token is the secret here: STS may quote it back ("Token … is not valid").
  return credentialsFromStsResponse(
    response.status,
    response.body,
    what,
    'AssumeRoleWithWebIdentity',
    {
      sessionToken: parameters.webIdentityToken,
    },
  );
}

/**
 * Reads `<{Action}Response><{Action}Result><Credentials>…` from a 2xx answer, or the error code of
 * `<ErrorResponse><Error><Code>` (or `<ErrorResponse><Errors><Error><Code>`). Throws {@link CredentialSourceError} with the code and status.
 */
export function credentialsFromStsResponse(
  status: number,
  body: string,
  what: string,
  action: string,
  secrets?: SecretValues,
): Credentials {
  let root: XmlElement | undefined;
  try {
    root = parseXml(body);
  } catch (error) {
    if (!(error instanceof XmlError)) throw error;
  }
  if (status < 200 || status >= 300) {
    // AWS answers <ErrorResponse><Error>; moto and some STS-compatible services wrap it in
    // <Errors> (as EC2's <Response> does). botocore and the AWS SDK read both.
    const isError = root?.name === 'ErrorResponse' || root?.name === 'Response';
    const code = isError
      ? (textAt(root, 'Error', 'Code') ?? textAt(root, 'Errors', 'Error', 'Code'))
      : undefined;
    const safeCode = code && /^[\w.]{1,64}$/.test(code) ? code : undefined;
    // STS's own words (which principal, which action) tell the operator what to fix: kept,
    // redacted, one line, bounded.
    const said = root?.name === 'ErrorResponse' ? textAt(root, 'Error', 'Message') : undefined;
    const message = said
      ? redactSecrets(said, secrets)
          // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed.
          .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
          .trim()
          .slice(0, 512)
      : '';
    throw new CredentialSourceError(
      `${what} failed: ${safeCode ?? 'an error without a code'} (HTTP ${status})${message ? `: ${message}` : ''}`,
    );
  }
  if (!root) throw new CredentialSourceError(`${what} answered something that is not XML`);
  const credentials = root.name === `${action}Response` ? credentialsAt(root, action) : undefined;
  if (!credentials) {
    throw new CredentialSourceError(
      `${what} answered XML without ${action}Result/Credentials (AccessKeyId, SecretAccessKey, SessionToken, Expiration)`,
    );
  }
  return credentials;
}

function credentialsAt(root: XmlElement, action: string): Credentials | undefined {
  const at = (name: string) => textAt(root, `${action}Result`, 'Credentials', name);
  const accessKeyId = at('AccessKeyId');
  const secretAccessKey = at('SecretAccessKey');
  const sessionToken = at('SessionToken');
  const expiration = new Date(at('Expiration') ?? '');
  if (!accessKeyId || !secretAccessKey || !sessionToken || Number.isNaN(expiration.getTime())) {
    return undefined;
  }
  return { accessKeyId, secretAccessKey, sessionToken, expiration };
}

/** What `sts:AssumeRole` needs. */
export interface AssumeRoleParameters {
  roleArn: string;
  roleSessionName: string;
  externalId?: string;
  durationSeconds: number;
  /** `mfa_serial` and the code the user typed. */
  mfa?: { serialNumber: string; tokenCode: string };
}

/**
 * Assumes a role with the source credentials, signed for service `sts` in the STS region.
 * Throws {@link CredentialSourceError} naming the STS error code, never a secret.
 */
export async function assumeRole(
  parameters: AssumeRoleParameters,
  sourceCredentials: Credentials,
  target: StsTarget,
  settings: ServiceCallSettings,
): Promise<Credentials> {
  const url = stsEndpoint(target, settings);
  // With only an endpoint override and no region anywhere, sign as the SDK's global STS does.
  const region = signingRegionOf(target.region ?? settings.region ?? 'us-east-1');
  const signer = createRequestSigner(region, { service: 'sts' });
  const body = queryBody({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: parameters.roleArn,
    RoleSessionName: parameters.roleSessionName,
    ExternalId: parameters.externalId,
    DurationSeconds: String(parameters.durationSeconds),
    SerialNumber: parameters.mfa?.serialNumber,
    TokenCode: parameters.mfa?.tokenCode,
  });
  const what = 'STS AssumeRole';
  const response = await callCredentialService(
    async (time) => {
      const headers = await signer.sign(
        {
          hostname: url.hostname,
          port: url.port ? Number(url.port) : undefined,
          path: url.pathname,
          headers: {
            host: url.host,
            'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          },
          body,
        },
        sourceCredentials,
        time,
      );
      return { url, method: 'POST', headers, body };
    },
    settings,
    what,
  );
  return credentialsFromStsResponse(
    response.status,
    response.body,
    what,
    'AssumeRole',
    sourceCredentials,
  );
}
