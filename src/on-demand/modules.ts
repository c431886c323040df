/**
 * The modules the library loads on first use: the credential chain past the environment's keys
 * (a call with those or with given credentials never runs it), the fleet run and the maintenance
 * run. In the sources they are modules loaded by `import()`; each build puts them in one file of
 * their own beside the main entry (`dist/on-demand.js`, `dist/on-demand.cjs`), so that
 * importing the package neither reads nor parses them (issue 25), and binds that file to the main
 * entry's modules (see `bind.ts`). The waiter and the ensure calls (the kill switch) stay in the
 * entry: their first call must not wait for a file.
 *
 * Each is behind a function: the file may be evaluated before it is bound, the modules only after.
 */
export const modules = {
  /** The default credential chain past the environment's keys (shared files, SSO, roles, …). */
  chain: () => import('../credentials/chain.js'),
  /** The fleet kill switch (`applyToFleet`). */
  fleet: () => import('../fleet.js'),
  /** The maintenance run (`maintainCustomKeyStore`). */
  maintenance: () => import('../maintenance/maintain.js'),
};

/** The modules by name. */
export type OnDemandModules = typeof modules;
