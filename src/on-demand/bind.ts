/**
 * Hands the file of on-demand modules (`modules.ts`) the main entry's own modules. In the sources
 * both are one program and there is nothing to hand over: this is the identity. Each build
 * replaces this module (tsup.config.ts, `onDemandFile`) with one that passes `dist/on-demand.js`
 * (ES modules) or `dist/on-demand.cjs` (CommonJS) the modules it shares with the main entry
 * (errors, requests, configuration), so that its classes and state are the main entry's and not
 * copies.
 *
 * @param loaded - the module namespace of `modules.ts` as imported.
 */
export function bindOnDemand<Loaded>(loaded: Loaded): Loaded {
  return loaded;
}
