#!/usr/bin/env node
import { main, reportCrash } from '../build/src/client/cli/main.js';

process.on('uncaughtException', reportCrash);
process.on('unhandledRejection', reportCrash);
// Exit at once: after Ctrl-C a write to a pipe nobody reads may still wait in the thread pool.
process.exit(await main(process.argv.slice(2)));
