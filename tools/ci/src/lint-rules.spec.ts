import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// `npm run lint` (and npm test's format and lint steps) must refuse what the house rules forbid: an
// unformatted file, imports out of order, and an Angular rule break. Each is fed to the real tools with the
// repo's own configuration, as a file of a real project would be (nothing is written to the tree).

const root = join(__dirname, '../../..');
const bin = (name: string) => join(root, 'node_modules/.bin', name);
const run = (tool: string, args: string[], input: string, cwd = root) =>
  spawnSync(bin(tool), args, { cwd, input, encoding: 'utf8', timeout: 120_000 });

/** What Prettier (with the repo's .prettierrc and import-order plugin) makes of `source` as `file`. */
const formatted = (file: string, source: string) =>
  run('prettier', ['--stdin-filepath', file], source).stdout;

/** The ESLint rule ids that `source`, as `file` of the web-ui project, breaks (with that project's config, as Nx lints it). */
function eslintRules(file: string, source: string): string[] {
  const result = run(
    'eslint',
    ['--stdin', '--stdin-filename', file, '--format', 'json'],
    source,
    join(root, 'libs/web/ui'),
  );
  const [report] = JSON.parse(result.stdout) as { messages: { ruleId: string | null }[] }[];
  return report.messages.map((m) => m.ruleId ?? '(parse)');
}

describe('npm run lint', () => {
  const FILE = 'libs/web/ui/src/lib/lint-probe.ts';
  const PROJECT_FILE = 'src/lib/lint-probe.ts';

  it('refuses an unformatted file, and accepts it once formatted', () => {
    const messy = "export const  answer = {a:1,\n  b : 'two'}\n";
    const fixed = formatted(FILE, messy);
    expect(fixed).not.toBe(messy);
    expect(formatted(FILE, fixed)).toBe(fixed);
  });

  it('puts imports in three groups: packages, @imagegen/*, then relative', () => {
    const source = [
      "import { helper } from './helper';",
      "import { problem } from '@imagegen/contracts';",
      "import { signal } from '@angular/core';",
      '',
      'export const all = [helper, problem, signal];',
      '',
    ].join('\n');
    expect(formatted(FILE, source)).toBe(
      [
        "import { signal } from '@angular/core';",
        '',
        "import { problem } from '@imagegen/contracts';",
        '',
        "import { helper } from './helper';",
        '',
        'export const all = [helper, problem, signal];',
        '',
      ].join('\n'),
    );
  });

  it('refuses a web component that opts out of OnPush, or with a selector outside the ig- prefix', () => {
    // Angular 22: OnPush is the default; a component leaves it only by naming another strategy (Eager).
    const component = (selector: string, strategy?: 'OnPush' | 'Eager') =>
      [
        strategy
          ? "import { ChangeDetectionStrategy, Component } from '@angular/core';"
          : "import { Component } from '@angular/core';",
        '',
        '@Component({',
        `  selector: '${selector}',`,
        ...(strategy ? [`  changeDetection: ChangeDetectionStrategy.${strategy},`] : []),
        "  template: '<p>hello</p>',",
        '})',
        'export class LintProbe {}',
        '',
      ].join('\n');
    expect(eslintRules(PROJECT_FILE, component('ig-lint-probe'))).toEqual([]);
    expect(eslintRules(PROJECT_FILE, component('ig-lint-probe', 'OnPush'))).toEqual([]);
    expect(eslintRules(PROJECT_FILE, component('ig-lint-probe', 'Eager'))).toContain(
      '@angular-eslint/prefer-on-push-component-change-detection',
    );
    expect(eslintRules(PROJECT_FILE, component('app-lint-probe'))).toContain(
      '@angular-eslint/component-selector',
    );
  });

  it('refuses the old structural directives and an image without alt text in a template', () => {
    const rules = eslintRules('src/lib/lint-probe.html', '<p *ngIf="shown">hello</p>\n<img src="a.png" />\n');
    expect(rules).toContain('@angular-eslint/template/prefer-control-flow');
    expect(rules).toContain('@angular-eslint/template/alt-text');
  });
});
