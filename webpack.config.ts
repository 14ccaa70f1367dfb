/*
 * BTC Flow build: extends the create-plugin config in .config/webpack (left untouched) with what ccxt needs in the
 * browser. Each ccxt exchange class is imported as `ccxt-src/<id>.js` by the exchange registry, through a dynamic
 * import(), so webpack emits one lazy chunk per venue (plus a shared chunk for ccxt's base classes) instead of
 * pulling all of ccxt (~1.25 MiB gzip) into module.js.
 */
import path from 'path';
import type { Configuration } from 'webpack';
import grafanaConfig, { type Env } from './.config/webpack/webpack.config.ts';

const config = async (env: Env): Promise<Configuration> => {
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
    performance: { hints: false },
  };
};

export default config;
