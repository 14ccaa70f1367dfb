import { defineConfig } from 'eslint/config';
import baseConfig from './.config/eslint.config.mjs';

/** Node-side folders nothing in src/ may import (outside tests). */
const NODE_TOOLS = [
  {
    regex: '^(\\.\\./)+(recorder|cli|mock|browser|bench)(/|$)',
    message: 'src/ does not import the Node-side tools (recorder/, cli/, mock/, browser/, bench/); see src/README.md.',
  },
];

export default defineConfig([
  {
    ignores: [
      '**/logs',
      '**/*.log',
      '**/npm-debug.log*',
      '**/yarn-debug.log*',
      '**/yarn-error.log*',
      '**/.pnpm-debug.log*',
      '**/node_modules/',
      '.yarn/cache',
      '.yarn/unplugged',
      '.yarn/build-state.yml',
      '.yarn/install-state.gz',
      '**/.pnp.*',
      '**/pids',
      '**/*.pid',
      '**/*.seed',
      '**/*.pid.lock',
      '**/lib-cov',
      '**/coverage',
      '**/dist/',
      'browser/artifacts/',
      'browser/host/dist/',
      '**/artifacts/',
      '**/work/',
      '**/ci/',
      'test-results/',
      'playwright-report/',
      'blob-report/',
      'playwright/.cache/',
      'playwright/.auth/',
      '**/.idea',
      '**/.eslintcache',
    ],
  },
  ...baseConfig,
  // Layering (README, src/README.md): dependencies point downward only. src/core is the pure engine; src/exchanges
  // fetches; src/datasource, src/components and src/module.ts are the Grafana glue. Node-side tools stay outside src/.
  // Tests and test support (src/**/testing/) may start the mock exchange server and read the CLI's helpers.
  {
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/**/*.test.{ts,tsx}', 'src/**/testing/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...NODE_TOOLS] }],
    },
  },
  {
    files: ['src/core/**/*.{ts,tsx}'],
    ignores: ['src/**/*.test.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...NODE_TOOLS,
            {
              regex: '(^|/)(exchanges|datasource|components)(/|$)|^(@grafana/|ccxt|react|rxjs)',
              message: 'src/core is the pure engine: no exchange layer, data source, Grafana, ccxt, React or rxjs.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/exchanges/**/*.{ts,tsx}'],
    ignores: ['src/**/*.test.{ts,tsx}', 'src/**/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...NODE_TOOLS,
            {
              regex: '(^|/)(datasource|components)(/|$)|^(@grafana/|react)',
              message: 'src/exchanges sits below the data source: no src/datasource, src/components, Grafana or React.',
            },
          ],
        },
      ],
    },
  },
  {
    // The scaffold's config lints src/ only; the Node-side tools and the dashboard generator get the same rules.
    files: ['{cli,mock,bench,dashboards,browser,tests,recorder,prometheus,provisioning}/**/*.{ts,tsx}', '*.ts'],
    languageOptions: {
      parserOptions: {
        project: './tsconfig.json',
      },
    },
    rules: {
      '@typescript-eslint/no-deprecated': 'warn',
    },
  },
]);
