/**
 * Plugin bundle sizes, read from dist/ (run `npm run build` first; this part builds when dist/ is missing).
 * Targets (issue 4): module.js ≤ 250 KB gzip; ≤ 600 KB gzip in total for the default venues.
 *
 * The default venues are every venue of the registry, so their total is every JavaScript file in dist/: module.js,
 * the shared ccxt base chunk, one chunk per ccxt exchange class and the small shared chunks ccxt splits off
 * (an upper bound: a browser loads only the chunks of the venues it queries).
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { CCXT_IDS } from '../src/exchanges/registry';

const DIST = path.resolve(__dirname, '..', 'dist');
const KB = 1024;

function gzipSize(file: string): number {
  return zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
}

export async function benchBundle(): Promise<Record<string, number | string | boolean>> {
  if (!fs.existsSync(path.join(DIST, 'module.js'))) {
    execSync('npm run build', { cwd: path.resolve(__dirname, '..'), stdio: 'ignore' });
  }
  const js = fs.readdirSync(DIST).filter((f) => f.endsWith('.js'));
  const sizes = new Map(js.map((f) => [f, gzipSize(path.join(DIST, f))]));
  const moduleKb = sizes.get('module.js')! / KB;
  const totalKb = [...sizes.values()].reduce((a, b) => a + b, 0) / KB;
  const out: Record<string, number | string | boolean> = {
    'module.js gzip (KB)': moduleKb,
    'ccxt-base chunk gzip (KB)': (sizes.get('ccxt-base.js') ?? 0) / KB,
  };
  let venueKb = 0;
  for (const id of CCXT_IDS) {
    const f = js.find((n) => n.endsWith(`ccxt_js_src_${id}_js.js`));
    if (!f) {
      throw new Error(`no lazy chunk for ccxt class ${id} in dist/ (is ccxt still split per venue?)`);
    }
    out[`chunk ${id} gzip (KB)`] = sizes.get(f)! / KB;
    venueKb += sizes.get(f)! / KB;
  }
  out['venue chunks gzip, sum (KB)'] = venueKb;
  out['other shared chunks gzip (KB)'] = totalKb - moduleKb - (sizes.get('ccxt-base.js') ?? 0) / KB - venueKb;
  out['total gzip, default venues (KB)'] = totalKb;
  out['JS files in dist'] = js.length;
  out['target module.js <= 250 KB met'] = moduleKb <= 250;
  out['target total <= 600 KB met'] = totalKb <= 600;
  return out;
}
