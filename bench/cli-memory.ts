/**
 * CLI memory benchmark (issue 16): `btc-flow compute <bundle> --timeframe 1h --format json|csv` in a child process on a
 * generated bundle of 100,000 and 1,000,000 hourly bars (one spot, one perp, one OI and one hourly funding series, so
 * 4 points per bar), output to a file. Peak RSS of the child comes from `/usr/bin/time -v` ("Maximum resident set
 * size") when present, else from `process.resourceUsage().maxRSS` printed by the child itself (bench/cli-child.ts).
 * Target: ≤ 1 GB peak RSS at 1M bars (the output is streamed row by row, see cli/format.ts writeDocument).
 * Run standalone with `npx tsx bench/cli-memory.ts`, or through `benchCliMemory()` from the bench runner.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { prng } from '../src/core/testutil';

const ROOT = resolve(__dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const H = 3_600_000;
const TARGET_MB = 1024;

/** Writes a bundle of `bars` hourly bars to `file` in chunks (never the whole text in memory). */
export function writeSyntheticBundle(file: string, bars: number, seed = 1): void {
  const r = prng(seed);
  const t0 = Date.UTC(2000, 0, 1);
  const fd = openSync(file, 'w');
  const series = (head: string, value: (i: number) => number, shift = 0) => {
    writeSync(fd, `${head}"points":[`);
    let buf: string[] = [];
    for (let i = 0; i < bars; i++) {
      buf.push(`${i ? ',' : ''}[${t0 + (i + shift) * H},${value(i)}]`);
      if (buf.length === 10_000) {
        writeSync(fd, buf.join(''));
        buf = [];
      }
    }
    writeSync(fd, buf.join('') + ']}');
  };
  let p = 30_000;
  const mid = new Float64Array(bars);
  for (let i = 0; i < bars; i++) {
    p *= 1 + (r() - 0.5) * 0.01;
    mid[i] = p;
  }
  let oi = 100_000;
  let f = 0.0001;
  writeSync(fd, '{"asset":"BTC","series":[\n');
  series('{"venue":"coinbase","kind":"spot","quote":"USD",', (i) => +(mid[i] * (1 + (r() - 0.5) * 0.001)).toFixed(2));
  writeSync(fd, ',\n');
  series('{"venue":"bybit","kind":"perp","quote":"USD",', (i) => +(mid[i] * (1 + (r() - 0.5) * 0.001)).toFixed(2));
  writeSync(fd, ',\n');
  series('{"venue":"bybit","kind":"openInterest","unit":"base",', () => {
    oi = Math.max(1000, oi * (1 + (r() - 0.5) * 0.02));
    return +oi.toFixed(3);
  });
  writeSync(fd, ',\n');
  series(
    '{"venue":"bybit","kind":"funding","intervalHours":1,',
    () => {
      f = 0.98 * f + 0.02 * 0.0000125 + (r() - 0.5) * 0.000002;
      return +f.toPrecision(6);
    },
    1
  );
  writeSync(fd, '\n]}\n');
  closeSync(fd);
}

interface Run {
  maxRssMb: number;
  wallS: number;
  outMb: number;
  source: string;
}

/** Runs `compute` on `bundle` in a child process and returns its peak RSS (MB), wall time and output size. */
function runCompute(bundle: string, format: 'json' | 'csv', out: string): Run {
  const args = [
    join(__dirname, 'cli-child.ts'),
    out,
    'compute',
    bundle,
    '--timeframe',
    '1h',
    '--format',
    format,
    '--quiet',
  ];
  const useTime = existsSync('/usr/bin/time');
  const t0 = Date.now();
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-v', TSX, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    : spawnSync(TSX, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallS = (Date.now() - t0) / 1000;
  if (r.status !== 0) {
    throw new Error(`compute ${format} failed (exit ${r.status}): ${(r.stderr ?? '').slice(-400)}`);
  }
  // the child's own figure (process.resourceUsage().maxRSS, kB); /usr/bin/time measures the tsx process tree's largest
  const own = /MAXRSS_KB (\d+)/.exec(r.stderr ?? '');
  const timeV = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  const kb = timeV ? Number(timeV[1]) : own ? Number(own[1]) : NaN;
  return {
    maxRssMb: Math.round(kb / 1024),
    wallS: Math.round(wallS * 10) / 10,
    outMb: Math.round(statSync(out).size / 1e5) / 10,
    source: timeV ? '/usr/bin/time -v' : 'process.resourceUsage().maxRSS',
  };
}

export async function benchCliMemory(): Promise<Record<string, number | string | boolean>> {
  const dir = mkdtempSync(join(tmpdir(), 'btc-flow-bench-mem-'));
  const out: Record<string, number | string | boolean> = {};
  try {
    for (const bars of [100_000, 1_000_000]) {
      const tag = bars === 1_000_000 ? '1m' : '100k';
      const bundle = join(dir, `bundle-${tag}.json`);
      writeSyntheticBundle(bundle, bars);
      out[`cli.bundle_${tag}_mb`] = Math.round(statSync(bundle).size / 1e5) / 10;
      for (const format of ['json', 'csv'] as const) {
        const r = runCompute(bundle, format, join(dir, `out-${tag}.${format}`));
        out[`cli.compute_${tag}_${format}_peak_rss_mb`] = r.maxRssMb;
        out[`cli.compute_${tag}_${format}_wall_s`] = r.wallS;
        out[`cli.compute_${tag}_${format}_output_mb`] = r.outMb;
        out['cli.rss_source'] = r.source;
        rmSync(join(dir, `out-${tag}.${format}`), { force: true });
      }
      rmSync(bundle, { force: true });
    }
    out['cli.target_1m_peak_rss_mb'] = TARGET_MB;
    out['cli.target_met'] =
      (out['cli.compute_1m_json_peak_rss_mb'] as number) <= TARGET_MB &&
      (out['cli.compute_1m_csv_peak_rss_mb'] as number) <= TARGET_MB;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (require.main === module) {
  benchCliMemory().then(
    (r) => {
      for (const [k, v] of Object.entries(r)) {
        process.stdout.write(`${k.padEnd(48)} ${String(v)}\n`);
      }
    },
    (e) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  );
}
