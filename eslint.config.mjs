import nx from '@nx/eslint-plugin';
import angular from 'angular-eslint';
import prettier from 'eslint-config-prettier';

/** Packages that only run on Node: never in browser or platform-neutral code. */
const NODE_ONLY = [
  '@nestjs/*',
  '@aws-sdk/*',
  '@smithy/*',
  '@aws-crypto/*',
  'aws-cdk-lib',
  'aws-cdk-lib/*',
  'constructs',
  'cdk-nag',
  'express',
  'sharp',
  's3rver',
  'dynalite',
  'pino',
  'pino-http',
  'nestjs-pino',
];
const NODE_BUILTINS = [
  'fs',
  'fs/promises',
  'path',
  'crypto',
  'http',
  'https',
  'zlib',
  'child_process',
  'os',
  'stream',
  'net',
];

const TESTING = 'type:testing';
const typeConstraints = [
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: [
      'type:feature',
      'type:data-access',
      'type:ui',
      'type:util',
      'type:domain',
      'type:contracts',
      TESTING,
    ],
  },
  {
    sourceTag: 'type:feature',
    onlyDependOnLibsWithTags: [
      'type:data-access',
      'type:ui',
      'type:util',
      'type:domain',
      'type:contracts',
      TESTING,
    ],
  },
  { sourceTag: 'type:ui', onlyDependOnLibsWithTags: ['type:ui', 'type:util', 'type:contracts', TESTING] },
  {
    sourceTag: 'type:data-access',
    onlyDependOnLibsWithTags: ['type:data-access', 'type:domain', 'type:util', 'type:contracts', TESTING],
  },
  {
    sourceTag: 'type:domain',
    onlyDependOnLibsWithTags: ['type:domain', 'type:util', 'type:contracts', TESTING],
  },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts', TESTING] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
  // Infra reads its settings with the shared loader (type:util), like every app.
  { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', TESTING] },
  { sourceTag: TESTING, onlyDependOnLibsWithTags: ['type:contracts', 'type:util', TESTING] },
  // End-to-end tests drive the stack from outside: contracts, testing helpers, and shared utilities
  // (e.g. SigV4 signing, to call the generator API as the BFF does), never an app's or a feature's code.
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', TESTING] },
];
const scopeConstraints = [
  { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['scope:web', 'scope:shared'] },
  { sourceTag: 'scope:bff', onlyDependOnLibsWithTags: ['scope:bff', 'scope:shared'] },
  { sourceTag: 'scope:generator', onlyDependOnLibsWithTags: ['scope:generator', 'scope:shared'] },
  {
    sourceTag: 'scope:local-cloud',
    onlyDependOnLibsWithTags: ['scope:local-cloud', 'scope:generator', 'scope:shared'],
  },
  // The deployment settings are infra's own library, read by infra and the deploy preflight (doctor).
  { sourceTag: 'scope:infra', onlyDependOnLibsWithTags: ['scope:infra', 'scope:shared'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
];
const platformConstraints = [
  {
    sourceTag: 'platform:browser',
    onlyDependOnLibsWithTags: ['platform:browser', 'platform:any'],
    bannedExternalImports: NODE_ONLY,
  },
  {
    sourceTag: 'platform:node',
    onlyDependOnLibsWithTags: ['platform:node', 'platform:any'],
    bannedExternalImports: ['@angular/*'],
  },
  {
    sourceTag: 'platform:any',
    onlyDependOnLibsWithTags: ['platform:any'],
    bannedExternalImports: [...NODE_ONLY, '@angular/*'],
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: [
      '**/dist',
      '**/out-tsc',
      '**/tmp',
      '**/cdk.out',
      '**/.angular',
      '**/node_modules',
      '**/vite.config.*.timestamp*',
    ],
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.jsx', '**/*.mjs', '**/*.cjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
          depConstraints: [...typeConstraints, ...scopeConstraints, ...platformConstraints],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Formatting is Prettier's (npm run lint runs its check): no ESLint rule may fight it.
  prettier,
  {
    // Production code never imports the testing libraries.
    files: ['**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts', '**/test-setup.ts', '**/testing/**', 'apps/web-e2e/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@imagegen/shared/testing*'], message: 'testing libraries are for specs only' },
          ],
        },
      ],
    },
  },
];

/** Extra rules for code that must run in a browser or anywhere: no Node built-ins. */
export const noNodeBuiltins = [
  {
    files: ['**/*.ts'],
    ignores: ['**/*.spec.ts', '**/test-setup.ts', '**/jest.config.cjs'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_BUILTINS.map((name) => ({
            name,
            message: 'Node built-ins are not allowed in browser or platform-neutral code',
          })),
          patterns: [
            {
              group: ['node:*'],
              message: 'Node built-ins are not allowed in browser or platform-neutral code',
            },
            { group: ['@imagegen/shared/testing*'], message: 'testing libraries are for specs only' },
          ],
        },
      ],
    },
  },
];

/**
 * Angular rules for every web project (angular.dev style guide): OnPush, the `ig-` prefix, the
 * built-in control flow, and the template accessibility checks, for inline and external templates.
 */
export const angularRules = [
  ...angular.configs.tsRecommended.map((config) => ({ ...config, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    processor: angular.processInlineTemplates,
    rules: {
      '@angular-eslint/prefer-on-push-component-change-detection': 'error',
      '@angular-eslint/component-selector': ['error', { type: 'element', prefix: 'ig', style: 'kebab-case' }],
      '@angular-eslint/directive-selector': [
        'error',
        { type: 'attribute', prefix: 'ig', style: 'camelCase' },
      ],
      '@angular-eslint/prefer-standalone': 'error',
      '@angular-eslint/prefer-signals': 'error',
    },
  },
  {
    // Test hosts stand in for a parent page and may use the default change detection.
    files: ['**/*.spec.ts'],
    rules: { '@angular-eslint/prefer-on-push-component-change-detection': 'off' },
  },
  ...angular.configs.templateRecommended.map((config) => ({ ...config, files: ['**/*.html'] })),
  ...angular.configs.templateAccessibility.map((config) => ({ ...config, files: ['**/*.html'] })),
  {
    files: ['**/*.html'],
    rules: {
      '@angular-eslint/template/prefer-control-flow': 'error',
      '@angular-eslint/template/prefer-self-closing-tags': 'error',
    },
  },
];
