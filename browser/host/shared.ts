/**
 * The shared modules a Grafana instance provides to plugins (see `.config/bundler/externals.ts`), taken from
 * the real npm packages the plugin builds against.
 *
 * They are imported exactly like the host script imports them (ES module namespaces), so the plugin and the host
 * share ONE instance of each package: `setBackendSrv`/`setTemplateSrv` done by the host are what the plugin's
 * `getBackendSrv()`/`getTemplateSrv()` return, and the host's `ThemeContext` is the one `@grafana/ui` reads.
 * (Mixing `require` and `import` would bundle the CommonJS and the ES builds side by side: two singletons.)
 *
 * Not provided (a plugin asking for them fails loudly, as in a current Grafana without Angular):
 * angular, slate, prismjs, d3.
 */
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import * as i18next from 'i18next';
import * as jquery from 'jquery';
import * as lodash from 'lodash';
// Grafana provides moment to plugins (the restriction is meant for plugin code, which should use dateTime).
// eslint-disable-next-line no-restricted-imports
import * as moment from 'moment';
import * as react from 'react';
import * as reactDom from 'react-dom';
import * as reactDomClient from 'react-dom/client';
import * as reactRedux from 'react-redux';
import * as jsxDevRuntime from 'react/jsx-dev-runtime';
import * as jsxRuntime from 'react/jsx-runtime';
import * as redux from 'redux';
import * as rxjs from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';

import type { ModuleRegistry } from './amd';

// react-router 5 ships no types; it is only ever loaded here, so `require` gives the one instance.
const reactRouter: unknown = require('react-router');

export function sharedModules(): ModuleRegistry {
  return {
    react,
    'react-dom': reactDom,
    'react-dom/client': reactDomClient,
    'react/jsx-runtime': jsxRuntime,
    'react/jsx-dev-runtime': jsxDevRuntime,
    '@grafana/data': grafanaData,
    '@grafana/ui': grafanaUi,
    '@grafana/runtime': grafanaRuntime,
    rxjs,
    'rxjs/operators': rxjsOperators,
    lodash,
    moment,
    jquery,
    '@emotion/css': emotionCss,
    emotion: emotionCss,
    '@emotion/react': emotionReact,
    i18next,
    'react-router': reactRouter,
    'react-redux': reactRedux,
    redux,
  };
}
