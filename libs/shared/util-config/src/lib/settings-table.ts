import { AnySetting, nameOf, SettingFields, SettingsSchema } from './settings';

/** One row of a settings table in the docs: `name` (or `a` / `b`, `a` + `b`) | default | what it does. */
export interface DocumentedSetting {
  readonly names: readonly string[];
  /** The default cell, one per name (a row `a` / `b` with defaults `1` / `2` gives each its own). */
  readonly defaults: readonly string[];
  readonly description: string;
}

/**
 * The settings table under `heading` (a Markdown heading line, `### BFF …`, matched by its start) of
 * a document: the first table after it, up to the next heading.
 */
export function readSettingsTable(markdown: string, heading: string): DocumentedSetting[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => /^#+ /.test(line) && line.replace(/^#+ /, '').startsWith(heading));
  if (start < 0) throw new Error(`no heading "${heading}" in the document`);
  const rows: DocumentedSetting[] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (/^#+ /.test(line)) break;
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    const cells = splitRow(line);
    if (cells.length < 3 || /^-+$/.test(cells[0]) || !cells[0].startsWith('`')) continue;
    const names = [...cells[0].matchAll(/`([\w.-]+)`/g)].map((m) => m[1]);
    const parts = cells[1].split(' / ');
    const defaults = names.map((_, k) => (parts.length === names.length ? parts[k] : cells[1]).trim());
    rows.push({ names, defaults, description: cells.slice(2).join(' | ') });
  }
  return rows;
}

/** Cells of a table row; `\|` inside a cell is kept. */
function splitRow(line: string): string[] {
  return line
    .slice(1, line.endsWith('|') ? -1 : undefined)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/** How a setting's default reads in the docs. */
export function documentedDefault(setting: AnySetting): string {
  if (setting.docDefault !== undefined) return setting.docDefault;
  if (setting.default !== undefined) {
    const value = Array.isArray(setting.default) ? setting.default.join(',') : String(setting.default);
    return value === '' ? 'empty' : `\`${value}\``;
  }
  return setting.required ? '— (required)' : 'unset';
}

export interface TableCheckOptions {
  /** Rows the docs have for settings read elsewhere (e.g. the AWS SDK's own); not reported. */
  readonly alsoDocumented?: readonly string[];
  /** Settings of the schema the docs leave out on purpose (e.g. a local-only override). */
  readonly undocumented?: readonly string[];
}

/**
 * Where the docs' table and the schema disagree: a setting missing from the table or the table naming
 * one the code does not read, and for each setting its default and its description.
 */
export function settingsTableProblems<F extends SettingFields>(
  schema: SettingsSchema<F> | F,
  rows: readonly DocumentedSetting[],
  options: TableCheckOptions = {},
): string[] {
  const fields = ('rules' in schema && 'fields' in schema ? schema.fields : schema) as SettingFields;
  const byName = new Map(Object.entries(fields).map(([key, s]) => [nameOf(key, s), s]));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    row.names.forEach((name, k) => {
      seen.add(name);
      const setting = byName.get(name);
      if (!setting) {
        if (!options.alsoDocumented?.includes(name)) problems.push(`${name} is documented but not a setting`);
        return;
      }
      if (row.defaults[k] !== documentedDefault(setting))
        problems.push(
          `${name}: the docs say default ${row.defaults[k]}, the code ${documentedDefault(setting)}`,
        );
      if (row.description !== setting.description)
        problems.push(`${name}: the docs say "${row.description}", the code "${setting.description}"`);
    });
  }
  for (const name of byName.keys())
    if (!seen.has(name) && !options.undocumented?.includes(name)) problems.push(`${name} is not documented`);
  return problems;
}
