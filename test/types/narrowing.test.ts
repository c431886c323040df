/**
 * The error types, compiled with the TypeScript compiler API: every exception has a literal
 * `name`, so `switch (error.name)` narrows and the classes are not mutually assignable. The
 * fixture compiles cleanly with its `@ts-expect-error` lines; without those comments each of
 * those lines fails, so none of the expectations is vacuous.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/narrowing.ts', import.meta.url));

function compilerOptions(): ts.CompilerOptions {
  const configFile = ts.readConfigFile(`${root}tsconfig.json`, ts.sys.readFile);
  return ts.parseJsonConfigFileContent(configFile.config, ts.sys, root).options;
}

/** Diagnostics of the fixture (with its text replaced by `text`), as `line: TSnnnn`. */
function diagnostics(text: string): string[] {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, ...rest) =>
    fileName === fixture
      ? ts.createSourceFile(fileName, text, language)
      : getSourceFile(fileName, language, ...rest);
  const program = ts.createProgram([fixture], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file?.fileName === fixture || !diagnostic.file)
    .map((diagnostic) => {
      const line = diagnostic.file
        ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1
        : 0;
      return `${line}: TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`;
    });
}

describe('error types', () => {
  const source = readFileSync(fixture, 'utf8');
  const lines = source.split('\n');
  // The line after each @ts-expect-error comment (1-based).
  const expectedFailures = lines.flatMap((line, index) =>
    line.trim().startsWith('// @ts-expect-error') ? [index + 2] : [],
  );

  it('the fixture compiles: every wrong use marked @ts-expect-error does fail', () => {
    expect(expectedFailures.length).toBeGreaterThanOrEqual(5);
    expect(diagnostics(source)).toEqual([]);
  }, 60_000);

  it('without the @ts-expect-error comments, exactly those lines fail to compile', () => {
    // Blank the comments (keeping line numbers) and compile again.
    const stripped = lines
      .map((line) => (line.trim().startsWith('// @ts-expect-error') ? '' : line))
      .join('\n');
    const found = diagnostics(stripped);
    const failedLines = [...new Set(found.map((entry) => Number(entry.split(':')[0])))].sort(
      (a, b) => a - b,
    );
    expect(failedLines, found.join('\n')).toEqual(expectedFailures);
    // The narrowing errors name the classes the switch narrowed to.
    expect(found.join('\n')).toMatch(
      /Type 'CustomKeyStoreNotFoundException' is not assignable to type 'CustomKeyStoreInvalidStateException'/,
    );
    expect(found.join('\n')).toMatch(
      /Property 'phase' does not exist on type 'KmsValidationError'/,
    );
  }, 60_000);
});
