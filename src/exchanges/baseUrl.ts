/**
 * Base URL rewrite: sends every request of a ccxt instance to `<base>/<path>` instead of `https://<host>/<path>`.
 *
 * The base is either a plain prefix (`http://127.0.0.1:8788` → `http://127.0.0.1:8788/<host>/<path>`, the layout of
 * the mock server and of a user's mirror) or a function host → base (Grafana's data proxy:
 * `<datasource url>/<route path>` per host, see grafanaBase()).
 *
 * Also the checks on what goes into a URL: `checkMirrorUrl` (a mirror / base URL is `http(s)://host[:port][/path]`,
 * never with a user name or password) and `installPathEncoding` (values that ccxt puts into URL paths, such as market
 * ids from a venue's answer, are percent-encoded, so they cannot leave the `<base>/<host>/` prefix).
 */
import { BtcFlowInputError } from '../core/errors';
import { redactText } from './redact';
import { routePathForHost } from './registry';

export type BaseUrl = string | ((host: string) => string);

/** Base for a host: `<prefix>/<host>` for a string prefix, the function's answer otherwise. */
export function baseForHost(base: BaseUrl, host: string): string {
  if (typeof base === 'function') {
    return base(host).replace(/\/+$/, '');
  }
  return `${base.replace(/\/+$/, '')}/${host}`;
}

/** Rewrites one URL `https://<host>/<rest>` (or http) to `<base for host>/<rest>`; other strings are returned as they are. */
export function rewriteUrl(url: string, base: BaseUrl): string {
  const m = /^https?:\/\/([^/?#]+)(.*)$/.exec(url);
  if (!m) {
    return url;
  }
  return baseForHost(base, m[1]) + m[2];
}

function rewriteTree(node: unknown, base: BaseUrl, hostname: string | undefined): unknown {
  if (typeof node === 'string') {
    const imploded = hostname !== undefined ? node.replace(/\{hostname\}/g, hostname) : node;
    return rewriteUrl(imploded, base);
  }
  if (Array.isArray(node)) {
    return node.map((n) => rewriteTree(n, base, hostname));
  }
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = rewriteTree(v, base, hostname);
    }
    return out;
  }
  return node;
}

/**
 * Rewrites every string in `exchange.urls.api` (after filling in `{hostname}`) so requests go through `base`.
 * Call once on a fresh instance.
 */
export function applyBaseUrl(exchange: { urls: { api: unknown }; hostname?: string }, base: BaseUrl): void {
  exchange.urls.api = rewriteTree(exchange.urls.api, base, exchange.hostname);
}

/**
 * Base for Grafana's data proxy: host → `<datasourceUrl>/<route path>`, the route paths of allVenueHosts().
 * ccxt's url tables also name hosts BTC Flow never calls (dapi.binance.com, ...): they get `<datasourceUrl>/no-route/<host>`,
 * which no route matches, so a stray request fails at Grafana instead of leaving the browser for the internet.
 */
export function grafanaBase(datasourceUrl: string): (host: string) => string {
  const root = datasourceUrl.replace(/\/+$/, '');
  return (host: string) => {
    const route = routePathForHost(host);
    return route ? `${root}/${route}` : `${root}/no-route/${host}`;
  };
}

/** Host name (letters, digits, dots, hyphens) or a bracketed IPv6 address, then an optional port. */
const HOST_PORT =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})?)*|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;
/** Path characters allowed in a mirror URL (unreserved, sub-delims, ':', '@', '%' escapes, '/'). */
const PATH = /^(?:\/[A-Za-z0-9._~!$&'()*+,;=:@%-]*)*$/;

/**
 * Checks a mirror / base URL where it is used (the CLI's --base-url, the exchange context, the data source's mirror
 * URL): only `http(s)://host[:port][/path]` is accepted, with no user name or password, query or fragment, and no `.`
 * or `..` path segments. Returns the URL without trailing slashes; throws a BtcFlowInputError naming `field` (the
 * message shows the URL with any password hidden).
 */
export function checkMirrorUrl(raw: unknown, field = 'mirrorUrl'): string {
  const text = typeof raw === 'string' ? raw.trim() : '';
  const shown = typeof raw === 'string' ? JSON.stringify(redactText(raw)) : String(raw);
  const expected = `expected http(s)://host[:port][/path], e.g. http://127.0.0.1:8788`;
  const m = /^(https?):\/\/([^/?#]*)([^?#]*)$/i.exec(text);
  if (!m) {
    throw new BtcFlowInputError(field, `${field}: ${expected} (no query or fragment), got ${shown}`);
  }
  const [, , authority, path] = m;
  if (authority.includes('@')) {
    throw new BtcFlowInputError(
      field,
      `${field}: must not contain a user name or password (user:password@host), got ${shown}; use a mirror that needs no credentials in its URL`
    );
  }
  const hp = HOST_PORT.exec(authority);
  const port = hp?.[1] === undefined ? undefined : Number(hp[1]);
  if (!hp || (port !== undefined && (port < 1 || port > 65535))) {
    throw new BtcFlowInputError(field, `${field}: bad host or port ${JSON.stringify(authority)}; ${expected}`);
  }
  if (!PATH.test(path) || path.split('/').some((seg) => seg === '.' || seg === '..')) {
    throw new BtcFlowInputError(field, `${field}: bad path ${JSON.stringify(path)}; ${expected}`);
  }
  return text.replace(/\/+$/, '');
}

/** The problem with a mirror URL in one line, or undefined when it is fine (or not set). */
export function mirrorUrlProblem(raw: unknown, field = 'mirrorUrl'): string | undefined {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return undefined;
  }
  try {
    checkMirrorUrl(raw, field);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** One path segment value, percent-encoded; a segment of only dots (`.`, `..`) is encoded too. */
export function encodePathValue(v: unknown): string {
  const s = encodeURIComponent(String(v));
  return /^\.+$/.test(s) ? s.replace(/\./g, '%2E') : s;
}

/**
 * Makes a ccxt instance percent-encode every value it fills into a URL path template (`{product_id}`, `{symbol}`,
 * `{pair}` ...). ccxt's own implodeParams inserts them as they are, so a market id such as `../../evil?x=` from a
 * venue's (or a mirror's) answer would change the path. `{hostname}` is left as it is (it is part of the host).
 */
export function installPathEncoding(exchange: { implodeParams: (s: string, p: unknown) => string }): void {
  const original = exchange.implodeParams.bind(exchange);
  exchange.implodeParams = (template: string, params: unknown) => {
    if (!params || typeof params !== 'object' || Array.isArray(params) || typeof template !== 'string') {
      return original(template, params);
    }
    const encoded: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params as Record<string, unknown>)) {
      encoded[k] = k === 'hostname' || Array.isArray(v) || !template.includes(`{${k}}`) ? v : encodePathValue(v);
    }
    return original(template, encoded);
  };
}
