/**
 * Opens the recorder store named by a `--db` value: `postgres://…` or `postgresql://…` is a PostgreSQL server
 * (postgres.ts), anything else an SQLite file (sqlite.ts). The one place that picks the backend.
 */
import { isPostgresUrl, openPostgresStore, type PostgresStoreOptions } from './postgres';
import { openSqliteStore } from './sqlite';
import type { RecorderStore } from './types';

export interface OpenStoreOptions {
  /** Open read-only (status, export): no schema change, no write. */
  readonly?: boolean;
  /** PostgreSQL `application_name` (replica id in pg_stat_activity). */
  applicationName?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

export { isPostgresUrl };

export async function openRecorderStore(db: string, opts: OpenStoreOptions = {}): Promise<RecorderStore> {
  if (isPostgresUrl(db)) {
    const o: PostgresStoreOptions = { readonly: opts.readonly };
    if (opts.applicationName !== undefined) {
      o.applicationName = opts.applicationName;
    }
    if (opts.poolSize !== undefined) {
      o.poolSize = opts.poolSize;
    }
    return openPostgresStore(db.trim(), o);
  }
  return openSqliteStore(db, { readonly: opts.readonly });
}
