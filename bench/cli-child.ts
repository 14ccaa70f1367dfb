/**
 * Child process of bench/cli-memory.ts: runs the btc-flow CLI's `main` with stdout written to a file (argv[2]) through
 * the same chunked writes as the real process, then prints its own peak RSS (`MAXRSS_KB <n>`, from
 * process.resourceUsage().maxRSS) on stderr.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { main } from '../cli/btc-flow';

const [outFile, ...argv] = process.argv.slice(2);
const fd = openSync(outFile, 'w');
main(argv, {
  stdout: (t) => void writeSync(fd, t),
  stderr: (t) => void process.stderr.write(t),
  stdoutIsTTY: false,
  env: process.env,
}).then(
  (code) => {
    closeSync(fd);
    process.stderr.write(`MAXRSS_KB ${process.resourceUsage().maxRSS}\n`);
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench child: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
);
