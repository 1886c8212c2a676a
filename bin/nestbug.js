#!/usr/bin/env node
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2));
// Let pending writes (JSON on a pipe) drain before leaving.
process.exitCode = code;
