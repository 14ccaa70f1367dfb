/**
 * Which dist/ chunk holds which venue's ccxt class, and what the browser fetched.
 *
 * webpack names the lazy chunks by number, so a chunk is attributed to a venue by its content: a ccxt exchange
 * class carries its id as `id:"<ccxt id>"` in `describe()`. module.js (the registry lists every id) is left out.
 * A ccxt class may extend another (binanceusdm extends binance): `parents` lists those, read from the imports of
 * node_modules/ccxt/js/src/<id>.js, so a configured venue may legitimately pull in its parent's chunk.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { StaticHit } from './server';

export interface VenueChunkMap {
  /** chunk file → ccxt ids whose class it contains (chunks without a venue class are not listed) */
  chunks: Record<string, string[]>;
  /** ccxt id → ccxt ids of the classes it extends (transitively) */
  parents: Record<string, string[]>;
}

const CCXT_SRC = path.resolve(__dirname, '..', 'node_modules', 'ccxt', 'js', 'src');

export function ccxtParents(id: string, seen = new Set<string>()): string[] {
  const file = path.join(CCXT_SRC, `${id}.js`);
  if (!fs.existsSync(file) || seen.has(id)) {
    return [];
  }
  seen.add(id);
  const src = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/^import\s+(\w+)\s+from\s+'\.\/(\w+)\.js';/gm)) {
    const parent = m[2];
    if (parent !== id && fs.existsSync(path.join(CCXT_SRC, `${parent}.js`))) {
      out.push(parent, ...ccxtParents(parent, seen));
    }
  }
  return [...new Set(out)];
}

export function venueChunkMap(distDir: string, ccxtIds: string[]): VenueChunkMap {
  const parents: Record<string, string[]> = {};
  for (const id of ccxtIds) {
    parents[id] = ccxtParents(id);
  }
  const ids = [...new Set([...ccxtIds, ...Object.values(parents).flat()])];
  const chunks: Record<string, string[]> = {};
  for (const f of fs.readdirSync(distDir)) {
    if (!f.endsWith('.js') || f === 'module.js') {
      continue;
    }
    const src = fs.readFileSync(path.join(distDir, f), 'utf8');
    const found = ids.filter(
      (id) => src.includes(`id:"${id}"`) || src.includes(`'id': '${id}'`) || src.includes(`id: '${id}'`)
    );
    if (found.length) {
      chunks[f] = found.sort();
    }
  }
  return { chunks, parents };
}

export function fetchedVenueChunks(hits: StaticHit[], map: VenueChunkMap): { files: string[]; venues: string[] } {
  const files = [...new Set(hits.filter((h) => h.status === 200 && h.file.endsWith('.js')).map((h) => h.file))];
  const venues = [...new Set(files.flatMap((f) => map.chunks[f] ?? []))].sort();
  return { files, venues };
}

export interface TransferSummary {
  files: Array<{ file: string; bytes: number; gzipBytes: number; status: number; venues: string[] }>;
  moduleJsBytes: number;
  moduleJsGzipBytes: number;
  chunkCount: number;
  totalJsBytes: number;
  totalJsGzipBytes: number;
  venues: string[];
}

/** JavaScript the browser fetched from the plugin's public path (each request counted). */
export function summarizeTransfer(hits: StaticHit[], map: VenueChunkMap): TransferSummary {
  const js = hits.filter((h) => h.file.endsWith('.js'));
  const files = js.map((h) => ({
    file: h.file,
    bytes: h.bytes,
    gzipBytes: h.gzipBytes,
    status: h.status,
    venues: map.chunks[h.file] ?? [],
  }));
  const mod = js.filter((h) => h.file === 'module.js');
  return {
    files,
    moduleJsBytes: mod.reduce((a, h) => a + h.bytes, 0),
    moduleJsGzipBytes: mod.reduce((a, h) => a + h.gzipBytes, 0),
    chunkCount: js.filter((h) => h.file !== 'module.js').length,
    totalJsBytes: js.reduce((a, h) => a + h.bytes, 0),
    totalJsGzipBytes: js.reduce((a, h) => a + h.gzipBytes, 0),
    venues: fetchedVenueChunks(hits, map).venues,
  };
}
