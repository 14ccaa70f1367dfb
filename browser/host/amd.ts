/**
 * A minimal AMD loader, standing in for the SystemJS (AMD extra) loader Grafana uses for plugins.
 *
 * Grafana loads `public/plugins/<id>/module.js` as a script. The file calls
 * `define(["module", "react", "@grafana/data", ...], factory)`. The loader hands the factory:
 * - `module`: `{ id, uri }`, where `uri` is the URL of module.js (webpack derives the public path of the
 *   lazy chunks from it);
 * - every other name: the shared module Grafana provides (React, @grafana/ui, ...). A name the host does
 *   not provide is an error naming the module, as in Grafana ("module X not found").
 * The `@grafana/*` modules are handed over wrapped (`recordingModule`): every export the plugin reads is recorded,
 * and a read of a name the module does not export (an API this Grafana version lacks) is noted as missing: the
 * plugin would get `undefined` there in that Grafana, so the harness fails on it even where the plugin copes.
 */

export type ModuleRegistry = Record<string, unknown>;

/** Exports read by the plugin per shared module, and those of them the module does not have. */
export interface SharedReads {
  read: Record<string, string[]>;
  missing: Record<string, string[]>;
}

/** Property reads that are protocol checks, not uses of an export (ES-module interop, thenable checks). */
const NOT_EXPORT_READS = new Set(['__esModule', 'then']);

/**
 * The module `mod` as the plugin sees it: the same object behind a Proxy that records each export name read into
 * `reads.read[name]`, and into `reads.missing[name]` when the module has no such export. Values are unchanged.
 */
export function recordingModule<T extends object>(name: string, mod: T, reads: SharedReads): T {
  const read = new Set<string>();
  const missing = new Set<string>();
  const publish = () => {
    reads.read[name] = [...read].sort();
    if (missing.size) {
      reads.missing[name] = [...missing].sort();
    }
  };
  return new Proxy(mod, {
    get(target, key) {
      // a name's first read is recorded (whether the module has it does not change)
      if (typeof key === 'string' && !NOT_EXPORT_READS.has(key) && !read.has(key)) {
        read.add(key);
        if (!(key in target)) {
          missing.add(key);
        }
        publish();
      }
      return Reflect.get(target, key);
    },
  });
}

type Factory = (...deps: unknown[]) => unknown;

interface PendingDefine {
  deps: string[];
  factory: Factory | unknown;
}

export interface AmdLoader {
  /** Loads an AMD script by URL and resolves to what its factory returned (the plugin's exports). */
  load(url: string): Promise<Record<string, unknown>>;
  /** Names of the shared modules the plugin asked for, in request order. */
  requested: string[];
  /** what the plugin read from the `@grafana/*` modules */
  reads: SharedReads;
}

export function installAmdLoader(registry: ModuleRegistry): AmdLoader {
  const w = window as unknown as Record<string, unknown>;
  // Defines by script URL. `document.currentScript` is set while a classic script runs.
  const pendingByUrl = new Map<string, PendingDefine>();
  let lastAnonymous: PendingDefine | undefined;
  const requested: string[] = [];
  const reads: SharedReads = { read: {}, missing: {} };
  const wrapped = new Map<string, unknown>();

  function define(...args: unknown[]): void {
    let deps: string[] = [];
    let factory: unknown;
    if (typeof args[0] === 'string') {
      args = args.slice(1); // named define: the name is ignored, the URL identifies the module
    }
    if (Array.isArray(args[0])) {
      deps = args[0] as string[];
      factory = args[1];
    } else {
      factory = args[0];
    }
    const entry: PendingDefine = { deps, factory };
    const script = document.currentScript as HTMLScriptElement | null;
    if (script && script.src) {
      pendingByUrl.set(script.src, entry);
    } else {
      lastAnonymous = entry;
    }
  }
  (define as unknown as { amd: object }).amd = {};
  w.define = define;

  function resolveDep(name: string, url: string, exportsObj: Record<string, unknown>): unknown {
    if (name === 'module') {
      return { id: url, uri: url, exports: exportsObj };
    }
    if (name === 'exports') {
      return exportsObj;
    }
    if (name === 'require') {
      return (n: string) => resolveDep(n, url, exportsObj);
    }
    requested.push(name);
    if (Object.prototype.hasOwnProperty.call(registry, name)) {
      const mod = registry[name];
      if (!name.startsWith('@grafana/') || mod === null || typeof mod !== 'object') {
        return mod;
      }
      if (!wrapped.has(name)) {
        wrapped.set(name, recordingModule(name, mod, reads));
      }
      return wrapped.get(name);
    }
    throw new Error(`AMD loader: module.js depends on '${name}', which the host does not provide`);
  }

  function load(url: string): Promise<Record<string, unknown>> {
    const absolute = new URL(url, window.location.href).href;
    return new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = absolute;
      script.async = true;
      script.onerror = () => reject(new Error(`AMD loader: failed to fetch ${absolute}`));
      script.onload = () => {
        const entry = pendingByUrl.get(absolute) ?? lastAnonymous;
        pendingByUrl.delete(absolute);
        lastAnonymous = undefined;
        if (!entry) {
          reject(new Error(`AMD loader: ${absolute} loaded but did not call define()`));
          return;
        }
        try {
          const exportsObj: Record<string, unknown> = {};
          const deps = entry.deps.map((d) => resolveDep(d, absolute, exportsObj));
          const result =
            typeof entry.factory === 'function' ? (entry.factory as Factory)(...deps) : (entry.factory as unknown);
          resolve((result ?? exportsObj) as Record<string, unknown>);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      };
      document.head.appendChild(script);
    });
  }

  return { load, requested, reads };
}
