import { randomBytes } from 'node:crypto';
import { ControlConnection, type Credentials } from '../control-client.js';
import { sleep } from '../timeout.js';
import { openData, type DataLink } from './data.js';

const STEP_TIMEOUT_MS = 10_000;

/** Each abuser comes from an address of its own on loopback, so a ban of one hits no honest client. */
export const ABUSER_ADDRESSES = {
  guesser: '127.0.0.2',
  squatter: '127.0.0.3',
  flooder: '127.0.0.4',
  vanisher: '127.0.0.5',
  aborter: '127.0.0.6',
} as const;

export interface AbuseTarget {
  readonly host: string;
  readonly port: number;
  readonly credentials: Credentials;
  readonly download: string;
  readonly uploadDir: string;
}

/** What each abuser got done, for the notes: attempts, and how the server answered. */
export class AbuseTally {
  readonly counts = new Map<string, number>();
  /** Why rounds ended early (numbers made N, so that alike reasons count together). */
  readonly cutOff: string[] = [];

  add(what: string, n = 1): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + n);
  }

  toString(): string {
    return [...this.counts].map(([what, n]) => `${what} ${n}`).join(', ');
  }
}

type Abuser = (target: AbuseTarget, deadline: number, tally: AbuseTally) => Promise<void>;

/** Runs `round` until the deadline; a failed round (expected: the server fights back) is counted. */
async function loop(
  name: string,
  deadline: number,
  tally: AbuseTally,
  round: () => Promise<void>,
  pauseMs = 50,
): Promise<void> {
  while (Date.now() < deadline) {
    try {
      await round();
    } catch (error) {
      tally.add(`${name} rounds cut off`);
      tally.cutOff.push(
        `${name}: ${error instanceof Error ? error.message : String(error)}`.replace(/\d+/g, 'N'),
      );
    }
    await sleep(pauseMs);
  }
}

/** A control connection from `address`, logged in when asked; destroyed once `use` is over. */
async function session(
  target: AbuseTarget,
  address: string,
  login: boolean,
  use: (control: ControlConnection) => Promise<void>,
  timeoutMs = STEP_TIMEOUT_MS,
): Promise<void> {
  const control = await ControlConnection.open(target.host, target.port, timeoutMs, address);
  try {
    if (login) await control.login(target.credentials);
    await use(control);
  } finally {
    control.destroy();
  }
}

/** EPSV, and a data connection from the control connection's own address (servers insist). */
function passiveData(target: AbuseTarget, control: ControlConnection): Promise<DataLink> {
  return openData(
    target.host,
    'passive',
    STEP_TIMEOUT_MS,
    (line, codes) => control.expect(line, codes),
    control.raw.localAddress,
  );
}

/** Password guessing for an account that does not exist, as fast as the server answers. */
const guesser: Abuser = (target, deadline, tally) =>
  loop('guesser', deadline, tally, () =>
    session(
      target,
      ABUSER_ADDRESSES.guesser,
      false,
      async (control) => {
        while (Date.now() < deadline) {
          await control.command('USER admin');
          const reply = await control.command(`PASS ${randomBytes(6).toString('hex')}`);
          tally.add(`guesses answered ${reply.code}`);
          if (reply.code === 421) break;
        }
      },
      // Past the longest delay a server may put before a 530 (ftpkitd: 10 s).
      3 * STEP_TIMEOUT_MS,
    ),
  );

/** Fifty connections that never log in, each with half a command and no line end. */
const squatter: Abuser = async (target, deadline, tally) => {
  const one = (): Promise<void> =>
    loop(
      'squatter',
      deadline,
      tally,
      () =>
        session(target, ABUSER_ADDRESSES.squatter, false, async (control) => {
          tally.add('squatter connections');
          control.raw.write('NOO');
          const closed = new Promise<void>((resolve) => control.raw.once('close', () => resolve()));
          const left = Math.max(0, deadline - Date.now());
          await Promise.race([closed.then(() => tally.add('squatters closed by the server')), sleep(left)]);
        }),
      1000,
    );
  await Promise.all(Array.from({ length: 50 }, one));
};

/** During a download whose data it never reads, 20,000 STATs whose replies it never reads. */
const flooder: Abuser = (target, deadline, tally) =>
  loop(
    'flooder',
    deadline,
    tally,
    () =>
      session(target, ABUSER_ADDRESSES.flooder, true, async (control) => {
        const link = await passiveData(target, control);
        try {
          (await link.socket()).pause();
          await control.expect(`RETR ${target.download}`, [125, 150]);
          control.raw.pause();
          control.raw.write('STAT\r\n'.repeat(20_000));
          tally.add('floods of 20,000 STAT');
          await sleep(5000);
        } finally {
          link.close();
        }
      }),
    500,
  );

/** Uploads and downloads cut by a reset of both connections half-way. */
const vanisher: Abuser = (target, deadline, tally) => {
  let serial = 0;
  return loop(
    'vanisher',
    deadline,
    tally,
    () =>
      session(target, ABUSER_ADDRESSES.vanisher, true, async (control) => {
        await control.expect('TYPE I', [200]);
        const upload = serial++ % 2 === 0;
        const link = await passiveData(target, control);
        const data = await link.socket();
        if (upload) {
          await control.expect(`STOR ${target.uploadDir}/vanish-${serial}.bin`, [125, 150]);
          data.write(randomBytes(64 * 1024));
          await sleep(100);
        } else {
          await control.expect(`RETR ${target.download}`, [125, 150]);
          await new Promise<void>((resolve) => data.once('data', () => resolve()));
        }
        data.resetAndDestroy();
        control.raw.resetAndDestroy();
        tally.add(upload ? 'uploads cut by RST' : 'downloads cut by RST');
      }),
    100,
  );
};

/** RETR then ABOR at once, fifty times a session. */
const aborter: Abuser = (target, deadline, tally) =>
  loop(
    'aborter',
    deadline,
    tally,
    () =>
      session(target, ABUSER_ADDRESSES.aborter, true, async (control) => {
        for (let i = 0; i < 50 && Date.now() < deadline; i++) {
          const link = await passiveData(target, control);
          try {
            (await link.socket()).pause();
            await control.expect(`RETR ${target.download}`, [125, 150]);
            control.send('ABOR');
            control.send('NOOP');
            // 426 and 226, or 226 and 225 when the transfer won the race: the NOOP's 200 ends either.
            for (
              let reply = await control.next('ABOR');
              reply.code !== 200;
              reply = await control.next('ABOR')
            ) {
              if (reply.code >= 500) throw new Error(`ABOR: ${reply.text}`);
            }
            tally.add('ABORs answered');
          } finally {
            link.close();
          }
        }
      }),
    100,
  );

export const ABUSERS: readonly Abuser[] = [guesser, squatter, flooder, vanisher, aborter];
