/**
 * What an operator should check for each `ConnectionErrorCode` of a FAILED store: one short line,
 * from KMS's documentation of the codes and the XKS Proxy API specification. kms-cks prints it
 * under the store table and after an error that names the code.
 */
import { printable } from './output.js';

/** Hints for codes KMS gives both store types, by type. */
const sharedHints: Readonly<Record<string, { xks: string; cloudHsm: string }>> = {
  INVALID_CREDENTIALS: {
    xks: "the proxy refused KMS's signature: check that the store's proxy credential (access key ID and secret) is one the proxy accepts, then update the store",
    cloudHsm:
      "the kmsuser password does not match the store's KeyStorePassword: change it in the cluster, then update the store",
  },
};

const hints: Readonly<Record<string, string>> = {
  XKS_PROXY_ACCESS_DENIED:
    "the proxy (its authorization rules, or a firewall in front of it) denied KMS: allow KMS's requests on the store's URI path",
  XKS_PROXY_INVALID_CONFIGURATION:
    "the proxy does not serve the store's URI path: check XksProxyUriPath (…/kms/xks/v1) against the proxy's configuration",
  XKS_PROXY_INVALID_RESPONSE:
    "KMS could not read the proxy's GetHealthStatus answer: check it is the specification's JSON (xksProxyFleetSize, ekmFleetDetails, …); 'kms-cks xks check' tests it",
  XKS_PROXY_INVALID_TLS_CONFIGURATION:
    "check the proxy's TLS: TLS 1.2 or 1.3, a certificate not expired, issued for the endpoint's host name, chained to a public CA KMS trusts",
  XKS_PROXY_NOT_REACHABLE:
    'KMS could not reach the proxy, or every external key manager behind it is UNAVAILABLE: check XksProxyUriEndpoint (DNS, port, firewall) and that the proxy and its key managers are up',
  XKS_PROXY_TIMED_OUT:
    'the proxy did not answer within 250 ms: check the latency of the proxy and of its key manager (a slow deep health check can be cached for up to a minute)',
  XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND:
    'check XksProxyVpcEndpointServiceName and that the KMS service principal (cks.kms.<region>.amazonaws.com) may use the endpoint service',
  XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION:
    'check the VPC endpoint service: an NLB in two Availability Zones, the KMS principal allowed, no acceptance required, a verified private DNS name matching the certificate',
  NETWORK_ERRORS:
    'network errors between KMS and the backing key store: check routes, security groups and subnets',
  INTERNAL_ERROR: 'KMS had an internal error: disconnect the store and connect it again',
  CLUSTER_NOT_FOUND: "KMS cannot find the CloudHSM cluster: check the store's cluster ID",
  INSUFFICIENT_CLOUDHSM_HSMS: 'the CloudHSM cluster has no active HSM: add one',
  INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET:
    "a subnet of the CloudHSM cluster has no free IP address: free one in each of the cluster's subnets",
  SUBNET_NOT_FOUND:
    'a subnet of the CloudHSM cluster was deleted: create a cluster from a recent backup and associate it with the store',
  USER_LOCKED_OUT:
    "the kmsuser account is locked out: change its password in the cluster, then update the store's KeyStorePassword",
  USER_LOGGED_IN: 'the kmsuser account is logged in to the cluster: log it out, then connect',
  USER_NOT_FOUND:
    "there is no kmsuser account in the cluster: create it, then update the store's KeyStorePassword",
};

/**
 * What to check for a connection error code, in one line; undefined for a code it does not know.
 *
 * @param code - the `ConnectionErrorCode`.
 * @param type - the store's `CustomKeyStoreType`, when known (one code means different things for
 *   CloudHSM and external key stores); without it both readings are given.
 */
export function connectionErrorHint(code: string, type?: string): string | undefined {
  const shared = Object.hasOwn(sharedHints, code) ? sharedHints[code] : undefined;
  if (shared) {
    if (type === 'EXTERNAL_KEY_STORE') return shared.xks;
    if (type === 'AWS_CLOUDHSM') return shared.cloudHsm;
    return `external key store: ${shared.xks}; CloudHSM key store: ${shared.cloudHsm}`;
  }
  return Object.hasOwn(hints, code) ? hints[code] : undefined;
}

/** What a failed store needs after its cause is fixed. */
export function retryLine(id: string): string {
  return `Once fixed: kms-cks connect ${id === '<id>' ? id : printable(id)} --reset-failed --wait (disconnects, then connects again)`;
}

/**
 * Lines under the store table, one per FAILED store with a code (`<id>  <CODE>: <what to check>`),
 * and how to connect again; empty when no store is FAILED.
 */
export function failureHints(
  entries: readonly {
    customKeyStoreId?: string;
    customKeyStoreType?: string;
    connectionState?: string;
    connectionErrorCode?: string;
  }[],
): string {
  const lines: string[] = [];
  const ids: string[] = [];
  for (const entry of entries) {
    if (entry.connectionState !== 'FAILED' || !entry.connectionErrorCode) continue;
    // An entry KMS sent without an ID (the model allows it) cannot be named or reconnected.
    if (!entry.customKeyStoreId) continue;
    ids.push(entry.customKeyStoreId);
    const hint = connectionErrorHint(entry.connectionErrorCode, entry.customKeyStoreType);
    lines.push(
      `${printable(entry.customKeyStoreId)}  ${printable(entry.connectionErrorCode)}: ${hint ?? 'see "How to fix a connection failure" in the KMS Developer Guide'}`,
    );
  }
  if (lines.length === 0) return '';
  const retry = retryLine(ids.length === 1 ? ids[0]! : '<id>');
  return `\nWhat to check:\n${lines.join('\n')}\n${retry}\n`;
}
