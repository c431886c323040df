/**
 * Loads an on-demand module (`modules.ts`): in the builds, the first call reads
 * `dist/on-demand.js` (by `import()`) or `dist/on-demand.cjs` (by `require()`) and binds it to
 * this file's modules; later calls reuse it.
 */
import { bindOnDemand } from './bind.js';
import type { OnDemandModules } from './modules.js';

let loading: Promise<{ modules: OnDemandModules }> | undefined;

/**
 * The on-demand module `name`, loaded now if it is not yet. A failed load (a file missing from a
 * broken install) rejects this call and is tried again by the next.
 *
 * @param name - which module.
 */
export async function onDemand<Name extends keyof OnDemandModules>(
  name: Name,
): Promise<Awaited<ReturnType<OnDemandModules[Name]>>> {
  loading ??= import('./modules.js').then(bindOnDemand);
  const pending = loading;
  let loaded: { modules: OnDemandModules };
  try {
    loaded = await pending;
  } catch (error) {
    if (loading === pending) loading = undefined;
    throw error;
  }
  return (await loaded.modules[name]()) as Awaited<ReturnType<OnDemandModules[Name]>>;
}
