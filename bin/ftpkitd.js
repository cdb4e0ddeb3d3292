#!/usr/bin/env -S node --v8-pool-size=1
// V8 settings: --v8-pool-size can only be given at startup; the others are set from inside, before
// the server's modules load, so that `node bin/ftpkitd.js` gets them too (docs/performance.md).
import { applyServerV8Settings } from '../build/src/server/v8-settings.js';

applyServerV8Settings();
const { main, reportCrash } = await import('../build/src/server/cli/main.js');
process.on('uncaughtException', reportCrash);
process.on('unhandledRejection', reportCrash);
await main(process.argv.slice(2));
