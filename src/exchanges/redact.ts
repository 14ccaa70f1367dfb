/**
 * Credential redaction for anything BTC Flow prints or logs: a URL's userinfo (`user:password@`) becomes `***@`.
 * Every message and log line that may carry a base URL, a mirror URL or a recorder URL goes through `redactText`
 * (the exchange layer's notices and errors, the CLI, the recorder). Pure string functions, no I/O.
 */

/** `scheme://user:pass@host/...` (any scheme, userinfo without `/`, `?`, `#`, whitespace or `@`). */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

/** Replaces the userinfo of every URL inside `text` with `***`. */
export function redactText(text: string): string {
  return text.replace(USERINFO, '$1***@');
}

/** One URL with its userinfo replaced by `***`; anything that is not a string is returned as its string form. */
export function redactUrl(url: unknown): string {
  return redactText(String(url));
}
