/** Types of `scenarios.cjs` for the TypeScript tests that import it. */
export declare function runScenarios(
  lib: typeof import('../../src/index.js'),
  emulatorLib: typeof import('../../src/emulator/index.js'),
): Promise<Record<string, unknown>>;
export declare const expectedScenarios: Record<string, unknown>;
