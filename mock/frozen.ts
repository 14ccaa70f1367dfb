/**
 * The mock exchange server as the in-process tests use it: the simulation clock frozen at a given time, BTC's and
 * USDT's markets built before the first request, and a stop that closes the server and unfreezes the clock. Test
 * support only; the server itself is mock/server.ts.
 */
import { marketSnapshot, setSimNow } from './market';
import { startMockServer, type MockServer } from './server';

/** Starts the mock on a free 127.0.0.1 port with the simulation clock frozen at `now` (UTC ms). */
export async function startFrozenMock(now: number): Promise<MockServer> {
  setSimNow(now);
  marketSnapshot('BTC', now);
  marketSnapshot('USDT', now);
  return startMockServer({ port: 0 });
}

/** Closes the mock (when it started) and gives the simulation back its real clock. */
export async function stopFrozenMock(mock: MockServer | undefined): Promise<void> {
  try {
    await mock?.close();
  } finally {
    setSimNow(null);
  }
}
