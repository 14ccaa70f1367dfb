/**
 * Series ownership for recorder replicas on one PostgreSQL database: each recorded series has a session-level advisory
 * lock (class `LOCK_CLASS_SERIES`, key = FNV-1a of the series key), held by the replica that records it on one
 * dedicated connection. When that replica dies its connection closes and PostgreSQL releases its locks at once; the
 * others try to take free series at every lock check. Replicas count each other through their lock sessions'
 * `application_name` (`btcflow-recorder-locks:<replica id>`) and take at most a fair share (ceil(series / replicas)),
 * releasing any surplus, so that the work spreads out. Used by the run loop through the `SeriesOwnership` interface.
 */
import { Client } from 'pg';
import { redactText } from '../../src/exchanges/redact';
import { LOCK_CLASS_SERIES, seriesLockId } from './postgres';
import { seriesId, type SeriesKey } from './types';

/** Prefix of the lock sessions' application_name; the replica id follows. */
export const LOCK_APP_PREFIX = 'btcflow-recorder-locks:';

/** What the run loop asks of an ownership scheme (advisory locks here; a single process owns everything). */
export interface SeriesOwnership {
  /** This replica's id. */
  readonly replicaId: string;
  /**
   * Called at each lock check with every series of the replica, the ones due first: returns the ids (`seriesId`) this
   * replica holds after taking free ones up to its fair share and releasing its surplus (never one in `busy`, being
   * filled now: it goes back at a later check).
   */
  claim(keys: SeriesKey[], busy?: ReadonlySet<string>): Promise<Set<string>>;
  /** Series ids held now. */
  held(): Set<string>;
  /** Whether this replica holds one series now (checked right before it is filled). */
  holds(id: string): boolean;
  close(): Promise<void>;
}

export { seriesId };

export interface PgSeriesLocksOptions {
  url: string;
  replicaId: string;
  /** Notices (connection lost, locks released), already redacted. */
  onNotice?: (message: string) => void;
}

export class PgSeriesLocks implements SeriesOwnership {
  readonly replicaId: string;
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private readonly holding = new Map<string, number>();
  private closed = false;

  constructor(private readonly opts: PgSeriesLocksOptions) {
    if (!/^[A-Za-z0-9_.:-]{1,40}$/.test(opts.replicaId)) {
      throw new Error(
        `replica id: expected 1-40 letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(opts.replicaId)}`
      );
    }
    this.replicaId = opts.replicaId;
  }

  private async connection(): Promise<Client> {
    if (this.client) {
      return this.client;
    }
    this.connecting ??= (async () => {
      const c = new Client({
        connectionString: this.opts.url,
        application_name: LOCK_APP_PREFIX + this.replicaId,
        keepAlive: true,
        connectionTimeoutMillis: 15_000,
      });
      const lost = (why: string) => {
        if (this.client === c) {
          this.client = null;
          if (this.holding.size && !this.closed) {
            this.opts.onNotice?.(
              `recorder: lock connection lost (${redactText(why)}); released ${this.holding.size} series, retaking at the next check`
            );
          }
          this.holding.clear();
        }
      };
      c.on('error', (e) => lost(e.message));
      c.on('end', () => lost('closed'));
      await c.connect();
      this.client = c;
      return c;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  holds(id: string): boolean {
    return this.holding.has(id);
  }

  held(): Set<string> {
    return new Set(this.holding.keys());
  }

  async claim(keys: SeriesKey[], busy: ReadonlySet<string> = new Set()): Promise<Set<string>> {
    if (this.closed) {
      return new Set();
    }
    let c: Client;
    try {
      c = await this.connection();
    } catch (e) {
      this.opts.onNotice?.(`recorder: cannot open the lock connection: ${redactText((e as Error).message)}`);
      return new Set();
    }
    try {
      const r = await c.query(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE $1',
        [LOCK_APP_PREFIX.replace(/_/g, '\\_') + '%']
      );
      const replicas = Math.max(1, Number(r.rows[0].n));
      const wanted = new Map(keys.map((k) => [seriesId(k), k]));
      const share = Math.ceil(wanted.size / replicas);
      // series no longer recorded, then the surplus over the fair share (the last in the caller's order) go back
      const mine = [...wanted.keys()].filter((id) => this.holding.has(id));
      const drop = [...this.holding.keys()]
        .filter((id) => !wanted.has(id))
        .concat(mine.slice(share))
        .filter((id) => !busy.has(id));
      // forget them before unlocking, so that the run loop does not start one of them in between
      const unlock = drop.map((id) => this.holding.get(id)!);
      drop.forEach((id) => this.holding.delete(id));
      for (const lockId of unlock) {
        await c.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS_SERIES, lockId]);
      }
      for (const [id, k] of wanted) {
        if (this.holding.size >= share) {
          break;
        }
        if (this.holding.has(id)) {
          continue;
        }
        const lockId = seriesLockId(k);
        const got = await c.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_CLASS_SERIES, lockId]);
        if (got.rows[0].ok === true) {
          this.holding.set(id, lockId);
        }
      }
    } catch (e) {
      this.opts.onNotice?.(`recorder: lock check failed: ${redactText((e as Error).message)}`);
      // a failed query leaves the session in doubt: drop it, PostgreSQL releases whatever it held
      await this.dropConnection();
      return new Set();
    }
    return this.held();
  }

  private async dropConnection(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.holding.clear();
    await c?.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    await this.dropConnection();
  }
}
