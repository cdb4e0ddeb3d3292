#!/usr/bin/env node
import '../build/src/server/cli.js';
