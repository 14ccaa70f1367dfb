/**
 * Errors of the exchange layer. Every failure of a venue ends as a VenueError whose message a user can read
 * ("binanceusdm: rate limited (HTTP 429), gave up after 4 attempts"), with any URL userinfo hidden (redact.ts).
 */
import { redactText } from './redact';

export type FailureKind =
  | 'rateLimit'
  | 'server'
  | 'timeout'
  | 'network'
  | 'malformed'
  | 'empty'
  | 'unsupported'
  | 'exchange'
  /** The venue has no data of this kind for the range by design (before its first data, current-only OI in the past). */
  | 'notApplicable';

/** HTTP 429 or 5xx seen by the response hook, with the Retry-After the server asked for (ms). */
export class TransientHttpError extends Error {
  readonly status: number;
  readonly retryAfterMs?: number;
  constructor(status: number, url: string, retryAfterMs?: number) {
    super(`HTTP ${status} from ${url}`);
    this.name = 'TransientHttpError';
    this.status = status;
    this.retryAfterMs = retryAfterMs;
    Object.setPrototypeOf(this, TransientHttpError.prototype);
  }
}

/** Another 4xx answer (bad request, unknown path): not retried. */
export class HttpClientError extends Error {
  readonly status: number;
  constructor(status: number, url: string, body: string) {
    super(`HTTP ${status} from ${url}${body ? `: ${body.replace(/\s+/g, ' ').slice(0, 120)}` : ''}`);
    this.name = 'HttpClientError';
    this.status = status;
    Object.setPrototypeOf(this, HttpClientError.prototype);
  }
}

/** A 2xx answer that is not JSON, or JSON of the wrong shape. Never retried, never cached. */
export class MalformedPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedPayloadError';
    Object.setPrototypeOf(this, MalformedPayloadError.prototype);
  }
}

/** A page that should hold data came back empty. Never cached. */
export class EmptyPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmptyPayloadError';
    Object.setPrototypeOf(this, EmptyPayloadError.prototype);
  }
}

/** The final error of one venue × kind fetch, with a readable message and the failure kind. */
export class VenueError extends Error {
  readonly venue: string;
  readonly kind: FailureKind;
  readonly attempts: number;
  constructor(venue: string, kind: FailureKind, message: string, attempts = 1) {
    // a URL in the message (a base URL, a mirror) never shows its user:password@
    super(redactText(`${venue}: ${message}`));
    this.name = 'VenueError';
    this.venue = venue;
    this.kind = kind;
    this.attempts = attempts;
    Object.setPrototypeOf(this, VenueError.prototype);
  }
}

const RETRYABLE_CCXT = new Set([
  'NetworkError',
  'DDoSProtection',
  'RateLimitExceeded',
  'ExchangeNotAvailable',
  'OnMaintenance',
  'RequestTimeout',
]);

export interface Classified {
  kind: FailureKind;
  retryable: boolean;
  retryAfterMs?: number;
  detail: string;
}

function shorten(s: string, n = 160): string {
  const one = redactText(s).replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n)}…` : one;
}

/** Sorts an error thrown by ccxt or by our hooks into a failure kind, and says whether a retry may help. */
export function classifyError(e: unknown): Classified {
  if (e instanceof TransientHttpError) {
    const kind: FailureKind = e.status === 429 ? 'rateLimit' : 'server';
    return { kind, retryable: true, retryAfterMs: e.retryAfterMs, detail: `HTTP ${e.status}` };
  }
  if (e instanceof HttpClientError) {
    return { kind: 'exchange', retryable: false, detail: e.message };
  }
  if (e instanceof MalformedPayloadError) {
    return { kind: 'malformed', retryable: false, detail: e.message };
  }
  if (e instanceof EmptyPayloadError) {
    return { kind: 'empty', retryable: false, detail: e.message };
  }
  if (e instanceof VenueError) {
    return { kind: e.kind, retryable: false, detail: e.message };
  }
  const name = e instanceof Error ? e.name : '';
  const msg = e instanceof Error ? e.message : String(e);
  if (name === 'RequestTimeout') {
    return { kind: 'timeout', retryable: true, detail: 'no answer in time' };
  }
  if (name === 'RateLimitExceeded' || name === 'DDoSProtection') {
    return { kind: 'rateLimit', retryable: true, detail: shorten(msg) };
  }
  if (RETRYABLE_CCXT.has(name)) {
    return { kind: name === 'NetworkError' ? 'network' : 'server', retryable: true, detail: shorten(msg) };
  }
  if (name === 'NotSupported' || name === 'BadSymbol') {
    return { kind: 'unsupported', retryable: false, detail: shorten(msg) };
  }
  if (e instanceof SyntaxError || e instanceof TypeError || name === 'BadResponse' || name === 'NullResponse') {
    // ccxt parsers throw TypeError on payloads of the wrong shape
    return { kind: 'malformed', retryable: false, detail: `unreadable answer (${shorten(msg, 100)})` };
  }
  return { kind: 'exchange', retryable: false, detail: shorten(msg) };
}

/** Human text for a final failure. */
export function describeFailure(c: Classified, attempts: number, timeoutMs: number): string {
  const tries = attempts > 1 ? `, gave up after ${attempts} attempts` : '';
  switch (c.kind) {
    case 'rateLimit':
      return `rate limited (${c.detail})${tries}`;
    case 'server':
      return `server error (${c.detail})${tries}`;
    case 'timeout':
      return `no answer within ${Math.round(timeoutMs / 100) / 10} s${tries}`;
    case 'network':
      return `network error (${c.detail})${tries}`;
    case 'malformed':
      return `malformed answer: ${c.detail}`;
    case 'empty':
      return `empty answer: ${c.detail}`;
    case 'unsupported':
      return `not supported: ${c.detail}`;
    default:
      return `exchange error: ${c.detail}`;
  }
}

/** Parses a Retry-After header (seconds or an HTTP date) into ms, or undefined. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') {
    return undefined;
  }
  const s = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(s)) {
    return Math.round(parseFloat(s) * 1000);
  }
  const t = Date.parse(s);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}
