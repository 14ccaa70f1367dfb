/**
 * Child process of bench/recorder-postgres.ts: serves the recorder's HTTP API (no exchange polling) from one store,
 * an SQLite file or a postgres:// URL given as the first argument, on a free loopback port, and prints `URL <url>`.
 * Stops on SIGTERM. Benchmark-side only.
 */
import { createRecorderServer } from '../recorder/http';
import { openRecorderStore } from '../recorder/store/open';

async function main(): Promise<void> {
  const store = await openRecorderStore(process.argv[2], { readonly: true });
  const server = createRecorderServer({ store, now: () => Number(process.argv[3]) });
  const { url } = await server.listen(0, '127.0.0.1');
  process.stdout.write(`URL ${url}\n`);
  process.once('SIGTERM', () => {
    void server.close().then(() => store.close());
  });
}

void main();
