#!/usr/bin/env node
// Builds native/sendfile, the add-on ftpkitd sends downloads with (sendfile(2), Linux only); npm
// install runs it. Without a compiler, or elsewhere than Linux, the server reads files into buffers
// instead, so a failed build is one line of warning, never a failed install.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

if (process.platform === 'linux') {
  const directory = fileURLToPath(new URL('../native/sendfile', import.meta.url));
  // npm hands its own node-gyp to scripts; run by hand, the one on PATH.
  const gyp = process.env.npm_config_node_gyp;
  const [command, args] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
  const built = spawnSync(command, [...args, 'rebuild', '--directory', directory], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (built.status !== 0) {
    const why =
      built.error?.message ??
      built.stderr
        .split('\n')
        .find((line) => /error|not found/i.test(line) && !line.startsWith('gyp ERR! stack'))
        ?.trim() ??
      `node-gyp exited with ${built.status}`;
    process.stderr.write(
      `ftpkit: the sendfile add-on was not built (${why}); downloads go through buffers.\n`,
    );
  }
}
