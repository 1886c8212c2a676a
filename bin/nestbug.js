#!/usr/bin/env node
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Let pending writes (JSON on a pipe) drain, then leave: nothing the run abandoned (a
// connection attempt cut short by Ctrl-C) may keep the process alive.
const flushed = (stream) => new Promise((resolve) => stream.write('', () => resolve()));
await Promise.race([
  Promise.all([flushed(process.stdout), flushed(process.stderr)]),
  new Promise((r) => setTimeout(r, 5000)),
]);
process.exit(code);
