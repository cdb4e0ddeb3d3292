#!/usr/bin/env node
// Builds ftpkitd's add-ons (Linux only); npm install runs it: native/sendfile, which sends downloads
// with sendfile(2), and native/romix, which computes a password hash's scrypt lanes at once.
// Without a compiler, or elsewhere than Linux, the server reads files into buffers and computes
// lanes one after another (Node's crypto.scrypt) instead, so a failed build is one line of
// warning, never a failed install.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ADDONS = [
  { name: 'sendfile', without: 'downloads go through buffers' },
  { name: 'romix', without: "a password check computes scrypt's lanes one after another" },
];

for (const { name, without } of process.platform === 'linux' ? ADDONS : []) {
  const directory = fileURLToPath(new URL(`../native/${name}`, import.meta.url));
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
    process.stderr.write(`ftpkit: the ${name} add-on was not built (${why}); ${without}.\n`);
  }
}
