#!/usr/bin/env node
import { EXIT_INTERRUPTED, main, reportCrash } from '../build/src/client/cli/main.js';

process.on('uncaughtException', reportCrash);
process.on('unhandledRejection', reportCrash);
const status = await main(process.argv.slice(2));
// Interrupted, the process ends now: what it still had for a pipe nobody reads is dropped, as any
// program's output is on Ctrl-C. Otherwise it ends once its output is written.
if (status === EXIT_INTERRUPTED) process.exit(status);
process.exitCode = status;
