// One place for the Jest settings every project shares; each jest.config.cjs is one line.
const { join, relative } = require('node:path');

const root = join(__dirname, '../..');
const preset = require(join(root, 'jest.preset.js'));

/** Packages that ship ES modules only (NestJS 12 and its companions). */
const ESM_ONLY = ['@nestjs', 'nestjs-pino'];

/** A Node (or platform-neutral) project: ts-jest, compiled in isolation (tsc type-checks the tree). */
function nodeProject(displayName, dir, extra = {}) {
  return {
    displayName,
    rootDir: dir,
    ...preset,
    testEnvironment: 'node',
    // ts-jest, plus the ES-module-only packages (NestJS 12) compiled to CommonJS like our code.
    transform: {
      '^.+\\.[tj]s$': [require.resolve('./esm-interop.cjs'), { tsconfig: '<rootDir>/tsconfig.spec.json' }],
    },
    transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
    moduleFileExtensions: ['ts', 'js', 'json'],
    coverageDirectory: join(root, 'coverage', relative(root, dir)),
    ...extra,
  };
}

/** An Angular project: jest-preset-angular, jsdom, zoneless test environment (src/test-setup.ts). */
function angularProject(displayName, dir) {
  return {
    displayName,
    rootDir: dir,
    ...preset,
    setupFilesAfterEnv: ['<rootDir>/src/test-setup.ts'],
    testEnvironment: 'jsdom',
    transform: {
      '^.+\\.(ts|mjs|js|html)$': [
        'jest-preset-angular',
        { tsconfig: '<rootDir>/tsconfig.spec.json', stringifyContentPathRegex: '\\.(html|svg)$' },
      ],
    },
    transformIgnorePatterns: ['node_modules/(?!.*\\.mjs$)'],
    moduleFileExtensions: ['ts', 'html', 'js', 'json', 'mjs'],
    coverageDirectory: join(root, 'coverage', relative(root, dir)),
  };
}

module.exports = { nodeProject, angularProject };
