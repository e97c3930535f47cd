/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/tests/global-setup.js',
  // e2e tests spawn the compiled CLI; native tests build tensors: both need more than 5 s.
  testTimeout: 120000,
};
