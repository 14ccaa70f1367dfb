/*
 * BTC Flow build: extends the create-plugin config in .config/webpack (left untouched) with what ccxt needs in the
 * browser. Each ccxt exchange class is imported as `ccxt-src/<id>.js` by the exchange registry, through a dynamic
 * import(), so webpack emits one lazy chunk per venue (plus a shared chunk for ccxt's base classes) instead of
 * pulling all of ccxt (~1.25 MiB gzip) into module.js.
 */
import CopyWebpackPlugin from 'copy-webpack-plugin';
import path from 'path';
import type { Configuration } from 'webpack';

/**
 * Files outside src/ that plugin.json `includes` points at, copied into dist/ at the same relative path.
 * The dashboard is generated into dashboards/ (npm run dashboards), which docker-compose also mounts.
 */
export const EXTRA_COPIES = [
  { from: '../dashboards/btc-flow.json', to: 'dashboards/btc-flow.json' },
  { from: '../dashboards/btc-flow-macro.json', to: 'dashboards/btc-flow-macro.json' },
];

type Env = { [key: string]: true | string | Env };
type ConfigFactory = (env: Env) => Promise<Configuration>;

// A non-literal path keeps `tsc -p .` out of the scaffolded .config (it imports with `.ts` extensions, which only
// the build's ts-node accepts); the build loads it as usual.
const GRAFANA_CONFIG = './.config/webpack/webpack.config.ts';

const config = async (env: Env): Promise<Configuration> => {
  const grafanaConfig = ((await import(GRAFANA_CONFIG)) as { default: ConfigFactory }).default;
  const base = await grafanaConfig(env);
  return {
    ...base,
    resolve: {
      ...base.resolve,
      alias: {
        ...(base.resolve?.alias as Record<string, string> | undefined),
        // The ccxt package `exports` map blocks deep imports; single classes live under js/src.
        'ccxt-src': path.resolve(process.cwd(), 'node_modules/ccxt/js/src'),
      },
      fallback: {
        ...(base.resolve?.fallback as Record<string, false | string> | undefined),
        // ccxt only uses these on Node-only paths (signing, protobuf venues) that public market data never reaches.
        crypto: false,
        'protobufjs/minimal.js': false,
        'protobufjs/minimal': false,
      },
    },
    optimization: {
      ...base.optimization,
      // Chunk files named after their module (e.g. node_modules_ccxt_js_src_binance_js.js), so a venue's chunk is
      // recognisable in dist/ (bench/bundle.ts reads them).
      chunkIds: 'named',
      splitChunks: {
        chunks: 'async',
        cacheGroups: {
          // ccxt's base classes (Exchange, precise, crypto helpers) are shared by every venue chunk: one chunk.
          ccxtBase: {
            test: /[\\/]node_modules[\\/]ccxt[\\/]js[\\/]src[\\/](base|static_dependencies)[\\/]/,
            name: 'ccxt-base',
            chunks: 'async',
            priority: 20,
            enforce: true,
          },
        },
      },
    },
    plugins: [...(base.plugins ?? []), new CopyWebpackPlugin({ patterns: EXTRA_COPIES })],
    performance: { hints: false },
    ignoreWarnings: [
      ...(base.ignoreWarnings ?? []),
      // ccxt's Exchange.loadLighterLibrary() imports a user-given wasm_exec.js path (Node only, Lighter venue): an
      // expression webpack cannot resolve and that BTC Flow never reaches. Only that one warning is hidden.
      {
        module: /[\\/]node_modules[\\/]ccxt[\\/]js[\\/]src[\\/]base[\\/]Exchange\.js$/,
        message: /Critical dependency: the request of a dependency is an expression/,
      },
    ],
  };
};

export default config;
