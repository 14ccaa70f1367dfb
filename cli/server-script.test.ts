/** @jest-environment node */
/**
 * `npm run server` (scripts/server.sh) checks for `docker compose` before building, and says what is needed (Docker
 * with the Compose plugin, or the offline path without Docker) instead of docker's own "unknown flag: --build".
 * A fake `docker` on PATH stands in for each situation; no build and no Docker run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SCRIPT = resolve(__dirname, '..', 'scripts', 'server.sh');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'btc-flow-server-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the script with only `bin` (and the shell's basics) on PATH. */
function run(bin: string) {
  return spawnSync('/bin/sh', [SCRIPT], { env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir }, encoding: 'utf8' });
}

function fakeDocker(name: string, body: string): string {
  const bin = join(dir, name);
  spawnSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, 'docker'), 0o755);
  return bin;
}

describe('scripts/server.sh', () => {
  it('docker without the Compose plugin: exit 3, says what is needed and the offline path', () => {
    // the docker CLI answers `compose` the way it does without the plugin
    const bin = fakeDocker('nocompose', 'echo "unknown flag: --build" >&2; exit 125');
    const r = run(bin);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^npm run server: docker is installed, but its Compose plugin is not/);
    expect(r.stderr).toMatch(/Docker with the Compose plugin/);
    expect(r.stderr).toMatch(/Without Docker, the offline path still works/);
    expect(r.stderr).toMatch(/npm run mock-exchanges/);
    expect(r.stderr).not.toMatch(/unknown flag/);
  });

  it('compose present but no engine: exit 3 naming the engine', () => {
    const bin = fakeDocker('noengine', '[ "$1 $2" = "compose version" ] && exit 0; exit 1');
    const r = run(bin);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^npm run server: the Docker engine is not running/);
  });

  it('no docker at all: exit 3', () => {
    const r = spawnSync('/bin/sh', [SCRIPT], { env: { PATH: join(dir, 'empty') + ':/bin' }, encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^npm run server: the docker command was not found/);
  });
});
