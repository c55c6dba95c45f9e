module.exports = {
  displayName: 'infra',
  preset: '../jest.preset.js',
  testEnvironment: 'node',
  testTimeout: 120_000,
  testPathIgnorePatterns: ['/node_modules/', '/cdk.out/'],
  modulePathIgnorePatterns: ['/cdk.out/'],
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  coverageDirectory: '../coverage/infra',
};
