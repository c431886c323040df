/**
 * Every export of both entries carries TSDoc with a summary (not only tags such as
 * `@deprecated`), read from the sources with the TypeScript compiler API, so that an editor
 * shows what each name is.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entries = ['src/index.ts', 'src/emulator/index.ts'];

/** Exported names of an entry whose declarations have no TSDoc summary. */
function undocumented(program: ts.Program, entry: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(`${root}${entry}`)!;
  const module = checker.getSymbolAtLocation(source)!;
  return checker
    .getExportsOfModule(module)
    .filter((exported) => {
      // The exported name itself (a type alias in the entry), else what it re-exports.
      const own = exported.getDocumentationComment(checker);
      const target =
        exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const text = ts.displayPartsToString(
        own.length > 0 ? own : target.getDocumentationComment(checker),
      );
      return text.trim() === '';
    })
    .map((exported) => exported.getName());
}

describe('TSDoc', () => {
  it('documents every export of the main and emulator entries, ConnectionState and XksProxyConfiguration of the emulator included', () => {
    const configFile = ts.readConfigFile(`${root}tsconfig.json`, ts.sys.readFile);
    const options = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root).options;
    const program = ts.createProgram(
      entries.map((entry) => `${root}${entry}`),
      options,
    );
    for (const entry of entries) expect(undocumented(program, entry), entry).toEqual([]);
  }, 60_000);
});
