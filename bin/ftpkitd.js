#!/usr/bin/env -S node --max-semi-space-size=1 --interrupt-budget=8192 --v8-pool-size=1
// A 1 MiB young generation: V8 otherwise grows it by megabytes while many sessions log in at
// once, which more than doubles the memory an idle session costs; transfers move their bytes in
// Buffers outside the JS heap, so they do not feel the difference (see bench/README.md).
// An eighth of V8's default interrupt budget: a function is optimized after it has run an eighth
// as much bytecode. A server's per-command code is many short functions run once per command, so
// with the default a fresh server spends its first ~2,000 transfers on unoptimized code.
// One V8 helper thread (compiler and GC) instead of four: the heap stays small and the work is
// I/O on the main thread, which otherwise loses its core to helpers while V8 compiles.
import { main, reportCrash } from '../build/src/server/cli/main.js';

process.on('uncaughtException', reportCrash);
process.on('unhandledRejection', reportCrash);
await main(process.argv.slice(2));
