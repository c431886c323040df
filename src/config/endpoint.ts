/**
 * KMS endpoint resolution: which URL the client calls for a region, as the AWS partitions define it.
 */
import { KmsConfigError } from '../errors.js';

/** Input of {@link resolveEndpoint}. */
export interface EndpointParams {
  /** The AWS region, e.g. `eu-west-1`. A `-fips` suffix (`us-east-1-fips`) selects the FIPS endpoint. */
  region: string;
  /** Use the FIPS 140 endpoint (`kms-fips.…`). */
  useFipsEndpoint?: boolean;
  /** Use the dual-stack (IPv4 and IPv6) endpoint. */
  useDualstackEndpoint?: boolean;
}

interface Partition {
  name: string;
  regionPattern: RegExp;
  dnsSuffix: string;
  /** Undefined where the partition has no dual-stack endpoints. */
  dualStackDnsSuffix: string | undefined;
}

// Order matters: the first pattern that matches wins, and `aws` is the fallback.
const partitions: readonly Partition[] = [
  {
    name: 'aws-us-gov',
    regionPattern: /^us-gov-\w+-\d+$/,
    dnsSuffix: 'amazonaws.com',
    dualStackDnsSuffix: 'api.aws',
  },
  {
    name: 'aws-iso-b',
    regionPattern: /^us-isob-\w+-\d+$/,
    dnsSuffix: 'sc2s.sgov.gov',
    dualStackDnsSuffix: undefined,
  },
  {
    name: 'aws-iso',
    regionPattern: /^us-iso-\w+-\d+$/,
    dnsSuffix: 'c2s.ic.gov',
    dualStackDnsSuffix: undefined,
  },
  {
    name: 'aws-cn',
    regionPattern: /^cn-\w+-\d+$/,
    dnsSuffix: 'amazonaws.com.cn',
    dualStackDnsSuffix: 'api.amazonwebservices.com.cn',
  },
  {
    name: 'aws',
    regionPattern: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/,
    dnsSuffix: 'amazonaws.com',
    dualStackDnsSuffix: 'api.aws',
  },
];

const awsPartition = partitions[partitions.length - 1]!;

/** Region names are DNS labels: anything else could inject a host. */
const regionSyntax = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/**
 * Whether `region` can be a region name: a DNS label of lower-case letters, digits and hyphens.
 * Every region that goes into a host name (KMS, STS, SSO, SSO-OIDC) is checked with this.
 */
export function isValidRegion(region: string): boolean {
  return regionSyntax.test(region);
}

/** Throws {@link KmsConfigError} unless the region is `[a-z0-9-]+` (no host injection). */
export function assertValidRegion(region: string): void {
  if (!isValidRegion(region)) {
    throw new KmsConfigError(
      `Invalid region ${JSON.stringify(region.slice(0, 64))}: a region is lower-case letters, digits and hyphens, e.g. "eu-west-1"`,
      { code: 'InvalidRegion', value: region.slice(0, 64) },
    );
  }
}

/**
 * The URL the client calls for a region, e.g. `https://kms.eu-west-1.amazonaws.com`.
 * Throws {@link KmsConfigError} for an invalid region, or for dual-stack in a partition without it.
 */
export function resolveEndpoint(params: EndpointParams): string {
  let { region } = params;
  assertValidRegion(region);
  let fips = params.useFipsEndpoint === true;
  // KMS accepts FIPS pseudo-regions such as `us-east-1-fips`; they sign as the real region.
  if (region.endsWith('-fips')) {
    region = region.slice(0, -'-fips'.length);
    fips = true;
  }
  const partition = partitions.find((p) => p.regionPattern.test(region)) ?? awsPartition;
  let suffix = partition.dnsSuffix;
  if (params.useDualstackEndpoint === true) {
    if (partition.dualStackDnsSuffix === undefined) {
      throw new KmsConfigError(
        `Dual-stack endpoints are not available in partition ${partition.name} (region ${region})`,
      );
    }
    suffix = partition.dualStackDnsSuffix;
  }
  return `https://${fips ? 'kms-fips' : 'kms'}.${region}.${suffix}`;
}

/** The region to sign with: a FIPS pseudo-region (`us-east-1-fips`) signs as `us-east-1`. */
export function signingRegionOf(region: string): string {
  return region.endsWith('-fips') ? region.slice(0, -'-fips'.length) : region;
}
