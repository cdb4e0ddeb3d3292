#!/usr/bin/env node
import { dieOfInterrupt, EXIT_INTERRUPTED, main, reportCrash } from '../build/src/client/cli/main.js';

process.on('uncaughtException', reportCrash);
process.on('unhandledRejection', reportCrash);
const status = await main(process.argv.slice(2));
if (status === EXIT_INTERRUPTED) dieOfInterrupt();
process.exitCode = status;
