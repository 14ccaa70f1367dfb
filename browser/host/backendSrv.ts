/**
 * A fetch-based BackendSrv, set with `setBackendSrv` the way Grafana's app does at boot.
 *
 * It follows what Grafana's own implementation does for a data source plugin's requests:
 * - `params` become the query string, a non-string `data` is sent as JSON;
 * - the response body is parsed as JSON when possible (`responseType` 'text' / 'arraybuffer' / 'blob' honoured);
 * - a non-2xx status is an error object `{ status, statusText, data, config }` (what `isFetchError` accepts),
 *   thrown through the Observable;
 * - `X-Grafana-Org-Id` is sent, like Grafana does.
 * Every request is recorded in `log` so the test can see what went through the data proxy.
 */
import type { BackendSrv, BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { Observable, lastValueFrom } from 'rxjs';

import type { RequestLogEntry } from '../protocol';

function buildUrl(options: BackendSrvRequest): string {
  let url = options.url;
  const params = options.params as Record<string, unknown> | undefined;
  if (params && Object.keys(params).length > 0) {
    const usp = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined || v === null) {
        continue;
      }
      if (Array.isArray(v)) {
        v.forEach((item) => usp.append(k, String(item)));
      } else {
        usp.append(k, String(v));
      }
    }
    const qs = usp.toString();
    if (qs) {
      url += (url.includes('?') ? '&' : '?') + qs;
    }
  }
  // Grafana's API paths are relative to appSubUrl; 'api/...' and '/api/...' both resolve to the root here.
  if (url.startsWith('api/')) {
    url = '/' + url;
  }
  return url;
}

async function parseBody(res: Response, responseType: BackendSrvRequest['responseType']): Promise<unknown> {
  if (responseType === 'arraybuffer') {
    return res.arrayBuffer();
  }
  if (responseType === 'blob') {
    return res.blob();
  }
  const text = await res.text();
  if (responseType === 'text') {
    return text;
  }
  if (text.length === 0) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export class HarnessBackendSrv implements BackendSrv {
  readonly log: RequestLogEntry[] = [];

  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return new Observable<FetchResponse<T>>((subscriber) => {
      const controller = new AbortController();
      const url = buildUrl(options);
      const method = (options.method ?? 'GET').toUpperCase();
      const headers = new Headers();
      headers.set('X-Grafana-Org-Id', '1');
      for (const [k, v] of Object.entries((options.headers ?? {}) as Record<string, string>)) {
        headers.set(k, v);
      }
      let body: BodyInit | undefined;
      if (options.data !== undefined && method !== 'GET' && method !== 'HEAD') {
        if (typeof options.data === 'string' || options.data instanceof FormData || options.data instanceof Blob) {
          body = options.data as BodyInit;
        } else {
          body = JSON.stringify(options.data);
          if (!headers.has('Content-Type')) {
            headers.set('Content-Type', 'application/json');
          }
        }
      }
      if (!headers.has('Accept')) {
        headers.set('Accept', 'application/json, text/plain, */*');
      }
      const entry: RequestLogEntry = { method, url, status: 0 };
      this.log.push(entry);
      window
        .fetch(url, { method, headers, body, signal: controller.signal, credentials: 'same-origin' })
        .then(async (res) => {
          entry.status = res.status;
          const data = await parseBody(res, options.responseType);
          const response: FetchResponse<T> = {
            data: data as T,
            status: res.status,
            statusText: res.statusText,
            ok: res.ok,
            headers: res.headers,
            redirected: res.redirected,
            type: res.type,
            url: res.url,
            config: options,
          };
          if (res.ok) {
            subscriber.next(response);
            subscriber.complete();
          } else {
            subscriber.error({ ...response, data, status: res.status, statusText: res.statusText, config: options });
          }
        })
        .catch((err: unknown) => {
          if (!controller.signal.aborted) {
            subscriber.error({ status: 0, statusText: String(err), data: { message: String(err) }, config: options });
          }
        });
      return () => controller.abort();
    });
  }

  /** The answer's data of one request (what the deprecated `request` and the shorthand methods below return). */
  private dataOf<T>(options: BackendSrvRequest): Promise<T> {
    return lastValueFrom(this.fetch<T>(options)).then((r) => r.data);
  }

  // part of the BackendSrv interface (deprecated there in favour of fetch), kept for plugins that still call it
  request<T = unknown>(options: BackendSrvRequest): Promise<T> {
    return this.dataOf<T>(options);
  }

  datasourceRequest<T = unknown>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
    return lastValueFrom(this.fetch<T>(options));
  }

  get<T = unknown>(
    url: string,
    params?: Record<string, unknown>,
    _requestId?: string,
    options?: Partial<BackendSrvRequest>
  ): Promise<T> {
    return this.dataOf<T>({ ...options, url, params, method: 'GET' });
  }

  delete<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.dataOf<T>({ ...options, url, data, method: 'DELETE' });
  }

  post<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.dataOf<T>({ ...options, url, data, method: 'POST' });
  }

  patch<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.dataOf<T>({ ...options, url, data, method: 'PATCH' });
  }

  put<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.dataOf<T>({ ...options, url, data, method: 'PUT' });
  }

  chunked(options: BackendSrvRequest): Observable<FetchResponse<Uint8Array | undefined>> {
    return new Observable((subscriber) => {
      subscriber.error({
        status: 501,
        statusText: 'chunked() is not provided by the harness',
        data: undefined,
        config: options,
      });
    });
  }
}
