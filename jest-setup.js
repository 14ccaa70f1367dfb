// Jest setup provided by Grafana scaffolding. It needs a DOM, so suites that run with
// `@jest-environment node` (core, exchanges, mock server, CLI) skip it.
if (typeof window !== 'undefined') {
  require('./.config/jest-setup');
}
