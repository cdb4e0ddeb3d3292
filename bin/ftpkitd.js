#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MiB young generation: V8 otherwise grows it by megabytes while many sessions log in at
// once, which more than doubles the memory an idle session costs; transfers move their bytes in
// Buffers outside the JS heap, so they do not feel the difference (see bench/README.md).
import '../build/src/server/cli.js';
