/**
 * Jest environment for data source tests: jsdom (what @grafana/data and the editors need, and what makes ccxt take
 * its browser code path) plus Node's own fetch, so ccxt's requests really go over HTTP to the mock exchange server
 * on 127.0.0.1, as they would from a browser through Grafana's data proxy.
 */
const { TestEnvironment } = require('jest-environment-jsdom');

class JsdomWithFetch extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    const g = this.global;
    for (const name of [
      'fetch',
      'Request',
      'Response',
      'Headers',
      'FormData',
      'AbortController',
      'AbortSignal',
      'TextEncoder',
      'TextDecoder',
      'ReadableStream',
      'structuredClone',
      'setImmediate',
      'clearImmediate',
    ]) {
      if (globalThis[name] !== undefined) {
        g[name] = globalThis[name];
      }
    }
  }
}

module.exports = JsdomWithFetch;
