/**
 * The default credential chain as the client uses it. Keys in the environment, the common case on
 * Lambda and in CI, are taken here; anything else runs the whole chain (`chain.ts`), loaded on
 * first use: in the builds it is in the on-demand file (issue 25).
 */
import { onDemand } from '../on-demand/load.js';
import type { CredentialChainOptions } from './chain.js';
import { credentialsFromEnv, type SourcedCredentials } from './credentials.js';
import { selectProfile } from './selection.js';

/**
 * A provider over the default chain: each call returns the environment's keys when the chain's
 * first source would take them (no profile chosen by name, both keys set, not expired), else runs
 * the chain from the start. Rejects as the chain does.
 *
 * @param options - as the chain's.
 */
export function defaultCredentialProvider(
  options: CredentialChainOptions,
): () => Promise<SourcedCredentials> {
  let chain: (() => Promise<SourcedCredentials>) | undefined;
  return async () => {
    if (selectProfile(options.profile, options.env).chosenBy === 'default') {
      const credentials = credentialsFromEnv(options.env);
      const expiration = credentials?.expiration?.getTime();
      if (credentials && (expiration === undefined || expiration > (options.now ?? Date.now)())) {
        return { credentials, source: 'env' };
      }
    }
    chain ??= (await onDemand('chain')).defaultCredentialChain(options);
    return chain();
  };
}
