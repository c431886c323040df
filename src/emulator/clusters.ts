/**
 * The CloudHSM clusters an emulated region knows, for CreateCustomKeyStore and
 * UpdateCustomKeyStore of CloudHSM key stores. KMS asks CloudHSM whether a cluster exists, is
 * active, has the trust anchor given, and (on Update) shares its backup history with the store's
 * cluster; the emulator answers from these seeds. Two clusters are related when following
 * `sourceClusterId` (the cluster whose backup each was restored from) from each ends at the same
 * cluster, as CloudHSM's backup lineage does.
 */
import { exampleTrustAnchor } from './trust-anchor.js';

/** A CloudHSM cluster the emulator knows. */
export interface CloudHsmClusterSeed {
  /** `cluster-` and 11–16 characters of 2–7, a–z, A–Z. */
  clusterId: string;
  /** The cluster's trust anchor (PEM); Create must give this one. Default: the example anchor. */
  trustAnchorCertificate?: string;
  /**
   * The cluster whose backup this one was restored from: clusters with a common ancestor are
   * related, and a store can move between them (UpdateCustomKeyStore `cloudHsmClusterId`).
   */
  sourceClusterId?: string;
  /** `ACTIVE` (default); anything else fails with CloudHsmClusterNotActiveException. */
  state?: 'ACTIVE' | 'UNINITIALIZED' | 'INITIALIZED' | 'DEGRADED' | (string & {});
  /** When true, Create and Update fail with CloudHsmClusterInvalidConfigurationException. */
  invalidConfiguration?: boolean;
}

/** IDs of the default clusters of each region (see {@link defaultCloudHsmClusters}). */
export const defaultCloudHsmClusterIds = {
  /** The cluster of the default CloudHSM key store `payments-hsm`. */
  payments: 'cluster-234abcdefgh',
  /** Restored from a backup of `payments`: related to it, free to move `payments-hsm` to. */
  paymentsRestored: 'cluster-234restored',
  /** Active and free, unrelated to `payments`: for a new CloudHSM key store. */
  spare: 'cluster-567mnopqrst',
  /** Not active (UNINITIALIZED). */
  uninitialized: 'cluster-765uninitial',
} as const;

/** A fresh copy of the default clusters. */
export function defaultCloudHsmClusters(): CloudHsmClusterSeed[] {
  return [
    { clusterId: defaultCloudHsmClusterIds.payments },
    {
      clusterId: defaultCloudHsmClusterIds.paymentsRestored,
      sourceClusterId: defaultCloudHsmClusterIds.payments,
    },
    { clusterId: defaultCloudHsmClusterIds.spare },
    { clusterId: defaultCloudHsmClusterIds.uninitialized, state: 'UNINITIALIZED' },
  ];
}

/** Longest backup lineage followed; a cycle in the seeds ends there. */
const maxLineage = 64;

/** The clusters of one region. */
export class ClusterDirectory {
  readonly #clusters = new Map<
    string,
    Required<Omit<CloudHsmClusterSeed, 'sourceClusterId'>> & CloudHsmClusterSeed
  >();

  /** @throws TypeError for a duplicate or malformed cluster ID. */
  constructor(seeds: readonly CloudHsmClusterSeed[]) {
    for (const seed of seeds) this.add(seed);
  }

  /** Adds a cluster. @throws TypeError for a duplicate or malformed cluster ID. */
  add(seed: CloudHsmClusterSeed): void {
    if (
      typeof seed.clusterId !== 'string' ||
      !/^cluster-[2-7a-zA-Z]{11,16}$/.test(seed.clusterId)
    ) {
      throw new TypeError(`Invalid CloudHSM cluster ID: ${JSON.stringify(seed.clusterId)}`);
    }
    if (this.#clusters.has(seed.clusterId)) {
      throw new TypeError(`Duplicate CloudHSM cluster ID: ${seed.clusterId}`);
    }
    this.#clusters.set(seed.clusterId, {
      ...seed,
      trustAnchorCertificate: seed.trustAnchorCertificate ?? exampleTrustAnchor,
      state: seed.state ?? 'ACTIVE',
      invalidConfiguration: seed.invalidConfiguration ?? false,
    });
  }

  /** Adds the cluster of a seeded store when no seed names it (active, its own lineage). */
  ensure(clusterId: string, trustAnchorCertificate: string): void {
    if (!this.#clusters.has(clusterId)) this.add({ clusterId, trustAnchorCertificate });
  }

  /** The cluster, or undefined. */
  get(clusterId: string):
    | (CloudHsmClusterSeed & {
        trustAnchorCertificate: string;
        state: string;
        invalidConfiguration: boolean;
      })
    | undefined {
    return this.#clusters.get(clusterId);
  }

  /** Whether two clusters share a backup lineage (the same original cluster). */
  related(a: string, b: string): boolean {
    return this.#root(a) === this.#root(b);
  }

  #root(clusterId: string): string {
    let current = clusterId;
    for (let step = 0; step < maxLineage; step++) {
      const source = this.#clusters.get(current)?.sourceClusterId;
      if (source === undefined) return current;
      current = source;
    }
    return current;
  }
}
