/**
 * Is a target complete enough to run? A half-edited query (an empty asset, a venue list with an empty entry) must not
 * start exchange requests: `filterQuery` drops it and the editor does not call onRunQuery for it (the
 * github-datasource `isValid` pattern). A complete but wrong query still runs, and its error names the field
 * (query.ts), as does an unknown query type; a missing query type, blank number and timeframe fields mean their
 * defaults there (premium, auto, 1), so they run.
 */
import type { BtcFlowQuery } from './types';

/** Why the target cannot run yet (the field being edited), or null when it can. */
export function notRunnableReason(query: Partial<BtcFlowQuery>): string | null {
  if (query.asset !== undefined && query.asset.trim() === '') {
    return 'asset';
  }
  if (query.venues !== undefined && query.venues.some((v) => typeof v !== 'string' || v.trim() === '')) {
    return 'venues';
  }
  return null;
}

/** True when the target is complete enough to run (see notRunnableReason). */
export function isRunnable(query: Partial<BtcFlowQuery>): boolean {
  return notRunnableReason(query) === null;
}
