import { ReadStream } from 'node:tty';
import { parseArgs } from 'node:util';
import { upsertUser } from '../auth/users-file.js';
import { StartupError, UsageError } from './exit.js';
import { PASSWD_HELP } from './help.js';
import { promptHidden } from './password-prompt.js';

const USAGE =
  'usage: ftpkitd passwd --users FILE [--home DIR] [--read-only] NAME (see ftpkitd passwd --help)';

/** `ftpkitd passwd`: adds an account to a users file or sets its password. */
export async function passwd(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      users: { type: 'string' },
      home: { type: 'string' },
      'read-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(PASSWD_HELP);
    return;
  }
  const name = positionals[0];
  if (values.users === undefined || name === undefined || positionals.length !== 1)
    throw new UsageError(USAGE);
  const password =
    process.stdin instanceof ReadStream && process.stdin.isTTY ? await askTwice(name) : await readFirstLine();
  const result = await upsertUser(values.users, {
    name,
    password,
    // Only an explicit flag changes access: a password change must not make a read-only user writable.
    ...(values['read-only'] === true ? { readOnly: true } : {}),
    ...(values.home === undefined ? {} : { home: values.home }),
  });
  process.stderr.write(`ftpkitd: user ${name} ${result} in ${values.users}\n`);
}

async function askTwice(name: string): Promise<string> {
  const input = process.stdin as ReadStream;
  const first = await promptHidden(input, process.stderr, `New password for ${name}: `);
  if (first === '') throw new StartupError('passwd: the password must not be empty; nothing changed');
  const second = await promptHidden(input, process.stderr, 'Retype it: ');
  if (first !== second) throw new StartupError('passwd: the passwords do not match; nothing changed');
  return first;
}

/** Scripts pipe the password: the first line of standard input. */
async function readFirstLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (line === '') {
    throw new UsageError(
      'passwd: no password on stdin (e.g. echo "secret" | ftpkitd passwd --users FILE NAME)',
    );
  }
  return line;
}
