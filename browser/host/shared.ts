/**
 * The shared modules a Grafana instance provides to plugins (see `.config/bundler/externals.ts`), taken from
 * the real npm packages the plugin builds against. `require` gives each package's CommonJS view, which is what
 * webpack's AMD externals expect (`__esModule` marks transpiled ES modules, plain CommonJS objects are used as
 * they are).
 *
 * Not provided (a plugin asking for them fails loudly, as it would in a current Grafana without Angular):
 * angular, jquery-only Angular plugins, slate, prismjs, d3.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type { ModuleRegistry } from './amd';

export function sharedModules(): ModuleRegistry {
  const emotionCss = require('@emotion/css');
  return {
    react: require('react'),
    'react-dom': require('react-dom'),
    'react-dom/client': require('react-dom/client'),
    'react/jsx-runtime': require('react/jsx-runtime'),
    'react/jsx-dev-runtime': require('react/jsx-dev-runtime'),
    '@grafana/data': require('@grafana/data'),
    '@grafana/ui': require('@grafana/ui'),
    '@grafana/runtime': require('@grafana/runtime'),
    rxjs: require('rxjs'),
    'rxjs/operators': require('rxjs/operators'),
    lodash: require('lodash'),
    moment: require('moment'),
    jquery: require('jquery'),
    '@emotion/css': emotionCss,
    emotion: emotionCss,
    '@emotion/react': require('@emotion/react'),
    i18next: require('i18next'),
    'react-router': require('react-router'),
    'react-redux': require('react-redux'),
    redux: require('redux'),
  };
}
