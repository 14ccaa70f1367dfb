// force timezone to UTC to allow tests to work regardless of local timezone
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');

module.exports = {
  // Jest configuration provided by Grafana scaffolding, extended for the Node-side folders.
  ...base,
  testMatch: ['<rootDir>/{src,cli,mock,bench,dashboards,browser,recorder,prometheus,provisioning}/**/*.test.{ts,tsx}'],
  transformIgnorePatterns: [nodeModulesToTransform([...grafanaESModules, 'ccxt', '@noble', '@scure'])],
  moduleNameMapper: { ...base.moduleNameMapper, '^ccxt-src/(.*)$': '<rootDir>/node_modules/ccxt/js/src/$1' },
  testTimeout: 60000,
};
