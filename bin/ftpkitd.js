#!/usr/bin/env -S node --max-semi-space-size=1 --interrupt-budget=8192 --v8-pool-size=1
// Why these V8 flags: docs/performance.md, "ftpkitd's V8 settings".
import { main, reportCrash } from '../build/src/server/cli/main.js';

process.on('uncaughtException', reportCrash);
process.on('unhandledRejection', reportCrash);
await main(process.argv.slice(2));
