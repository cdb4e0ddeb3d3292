// The ftpkit client (FtpClient) against one real server, in both data modes: the same suite runs
// for every peer, so a difference between servers shows up as one failing row of the matrix. Every
// transfer is checked by SHA-256 on both sides (the server's file on disk and what came back), and
// every test proves from the client's own protocol log which data mode it really used.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, chmod, mkdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { FtpClient, FtpReplyError, type DataMode, type ProtocolLine } from '../../src/client/index.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/certificates.js';
import { makeRandomFile, sha256File } from '../helpers/hash.js';
import type { PeerTls } from '../helpers/peer-servers.js';
import { requirePeer, type PeerName } from '../helpers/peers.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { MODES, requireHost, type LoopbackHost } from './helpers.js';

/** A few MiB and not a multiple of any buffer size, so a lost or doubled tail chunk shows. */
const PAYLOAD_BYTES = 3 * 1024 * 1024 + 4321;
/** Where the truncated copies of the resume tests end. */
const PARTIAL_BYTES = 1_234_567;
/**
 * Large enough that no server can have pushed it all into the socket buffers before the abort
 * (loopback buffers reach a few MiB). Sparse, so it costs no disk and no time to make.
 */
const BIG_BYTES = 256 * 1024 * 1024;
/** Rounds of the download abort test. */
const ABORT_ROUNDS = 3;
/**
 * A server that never answers after an abort fails the test in this time rather than the client's
 * default 30 s (the answers of a working server take milliseconds).
 */
const ABORT_REPLY_TIMEOUT_MS = 5000;
/** The upload abort tests' source: one shared chunk, so an endless upload costs no memory. */
const UPLOAD_CHUNK = Buffer.alloc(64 * 1024, 0x61);
/** More than loopback socket buffers hold, so the server has surely received data by then. */
const MID_TRANSFER_BYTES = 16 * 1024 * 1024;
const UPLOAD_CAP = 128 * 1024 * 1024;
const TEXT = 'first line\nsecond line, ünïcödé ✓\n\nlast line without a newline';

/** A server under test, as its starter returns it. */
export interface RunningPeer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The FTP path of a directory the account may write to ('/' unless the server forbids it). */
  readonly writableDir: string;
  /** The server's output or log so far, for failure messages. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

export interface PeerProfile {
  /** Shown in the suite titles. */
  readonly name: string;
  /** An external program the suite needs: skipped locally when missing, a failure under CI=true. */
  readonly requires?: PeerName;
  readonly hosts: readonly LoopbackHost[];
  /**
   * Starts the server with its FTP root at the (empty) local directory `root`, serving FTPS only
   * with `tls`'s certificate when the profile has `secure`.
   */
  start(host: LoopbackHost, root: string, tls?: PeerTls): Promise<RunningPeer>;
  /**
   * FTPS: the whole suite runs again over TLS, the client trusting the test CA that signed the
   * server's certificate, and every test checks that its data connections were TLS too.
   */
  readonly secure?: 'explicit' | 'implicit';
  /** The listing command the client should pick: MLSD where the server offers MLST. */
  readonly listVerb: 'MLSD' | 'LIST';
  /** FEAT entries the server is known to offer, which the client must have read. */
  readonly features: readonly string[];
  /** What the server answers to RETR of a missing file. */
  readonly missingFileCode: number;
  /**
   * Why the test that aborts an upload before its first byte is skipped in a mode: the server's
   * own bug, which the client cannot work around.
   */
  readonly earlyUploadAbortSkip?: Partial<Record<DataMode, string>>;
}

/** Collects a download's bytes into a hash, without holding them. */
class HashSink extends Writable {
  readonly #hash = createHash('sha256');
  bytes = 0;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    callback();
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}

/** Collects a (small) download as text. */
class TextSink extends Writable {
  readonly #chunks: Buffer[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.#chunks.push(chunk);
    callback();
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/** The upper-case verbs the client sent, in order. */
export function sentVerbs(lines: readonly ProtocolLine[]): string[] {
  return lines
    .filter((line) => line.direction === 'sent')
    .map((line) => (/^\S+/.exec(line.text)?.[0] ?? '').toUpperCase());
}

export function transcript(lines: readonly ProtocolLine[], last = 60): string {
  return lines
    .slice(-last)
    .map((line) => `${line.direction === 'sent' ? 'C>' : 'S<'} ${line.text}`)
    .join('\n');
}

/**
 * The session set up its data connections in `mode` only: EPRT/PORT (the server connected to us)
 * and never EPSV/PASV in active mode, the reverse in passive mode.
 */
export function expectDataMode(lines: readonly ProtocolLine[], mode: DataMode): void {
  const verbs = sentVerbs(lines);
  const [used, unused] =
    mode === 'active'
      ? [
          ['EPRT', 'PORT'],
          ['EPSV', 'PASV'],
        ]
      : [
          ['EPSV', 'PASV'],
          ['EPRT', 'PORT'],
        ];
  const message = `${mode} mode, exchange:\n${transcript(lines)}`;
  expect(
    verbs.some((verb) => used.includes(verb)),
    message,
  ).to.equal(true);
  for (const verb of unused) expect(verbs, message).not.to.include(verb);
}

/**
 * The session is FTPS the way `secure` says, data included: the password went out only after TLS
 * (AUTH TLS first for explicit, nothing in clear for implicit), then PBSZ 0 and PROT P.
 */
function expectProtected(
  client: FtpClient,
  lines: readonly ProtocolLine[],
  secure: 'explicit' | 'implicit',
): void {
  const sent = lines.filter((line) => line.direction === 'sent').map((line) => line.text);
  const message = `FTPS ${secure}, exchange:\n${transcript(lines)}`;
  const first = [...(secure === 'explicit' ? ['AUTH TLS'] : []), 'PBSZ 0', 'PROT P'];
  expect(sent.slice(0, first.length), message).to.deep.equal(first);
  expect(sent[first.length], message).to.match(/^USER /);
  expect(client.tls?.dataProtected, message).to.equal(true);
  expect(client.tls?.version, message).to.match(/^TLSv1\.[23]$/);
}

/** Whether a local path exists (a refused transfer must not have created it). */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail');
}

/** Registers the suites for one peer: each host it supports, each data mode. */
export function describeClientInterop(profile: PeerProfile): void {
  const security = profile.secure === undefined ? '' : ` (FTPS ${profile.secure})`;
  for (const host of profile.hosts) {
    describe(`client interop: FtpClient against ${profile.name}${security} over ${host}`, function () {
      let certificates: TestCertificates | undefined;
      let peer: RunningPeer | undefined;
      let serverRoot: TempDir | undefined;
      let localDir: TempDir | undefined;
      let payloadHash = '';
      const tag = `client-${profile.name.replace(/\W/g, '')}`;

      const running = (): RunningPeer => {
        if (peer === undefined) throw new Error('server not started');
        return peer;
      };
      const local = (name: string): string => {
        if (localDir === undefined) throw new Error('no temp dir');
        return join(localDir.path, name);
      };
      /** Where the server keeps the file the FTP path names. */
      const onServer = (ftpPath: string): string => {
        if (serverRoot === undefined) throw new Error('no server root');
        return join(serverRoot.path, ftpPath);
      };

      before(async function () {
        if (profile.requires !== undefined) requirePeer(this, profile.requires);
        await requireHost(this, host);
        localDir = await makeTempDir(`${tag}-local`);
        serverRoot = await makeTempDir(`${tag}-root`);
        if (profile.secure !== undefined) {
          certificates = await makeTestCertificates();
          peer = await profile.start(host, serverRoot.path, { mode: profile.secure, ...certificates.valid });
        } else {
          peer = await profile.start(host, serverRoot.path);
        }
        payloadHash = await makeRandomFile(local('payload.bin'), PAYLOAD_BYTES);
        await writeFile(local('text.txt'), TEXT);
        const big = onServer(`${peer.writableDir}/big.bin`);
        await mkdir(onServer(peer.writableDir), { recursive: true });
        await writeFile(big, '');
        await truncate(big, BIG_BYTES);
        // vsftpd serves anonymous users only world-readable files, whatever our umask.
        await chmod(big, 0o644);
      });

      after(async function () {
        await peer?.stop();
        await serverRoot?.remove();
        await localDir?.remove();
        await certificates?.remove();
      });

      for (const mode of MODES) {
        describe(`${mode} mode`, function () {
          const base = (): string => `${running().writableDir.replace(/\/$/, '')}/${mode}`;

          /**
           * A fresh logged-in client for one test, closed afterwards; a failure carries the
           * exchange so far, which is what a report about another server needs.
           */
          async function session(
            test: (client: FtpClient, lines: ProtocolLine[]) => Promise<void>,
            options: { replyTimeoutMs?: number } = {},
          ): Promise<ProtocolLine[]> {
            const lines: ProtocolLine[] = [];
            const target = running();
            const client = await FtpClient.connect({
              host: target.host,
              port: target.port,
              user: target.user,
              password: target.password,
              mode,
              replyTimeoutMs: options.replyTimeoutMs ?? 10_000,
              dataTimeoutMs: 10_000,
              onProtocol: (line) => lines.push(line),
              ...(profile.secure === undefined || certificates === undefined
                ? {}
                : { secure: profile.secure, ca: certificates.ca }),
            });
            try {
              if (profile.secure !== undefined) expectProtected(client, lines, profile.secure);
              await test(client, lines);
            } catch (error) {
              if (error instanceof Error) {
                error.message += `\n--- exchange (${profile.name}, ${host}, ${mode}):\n${transcript(lines)}`;
                error.message += `\n--- server log:\n${(await target.log()).slice(-3000)}`;
              }
              throw error;
            } finally {
              await client.close();
            }
            return lines;
          }

          it('logs in and reads the working directory and the features', async function () {
            await session(async (client) => {
              expect(client.isLoggedIn).to.equal(true);
              expect(client.user).to.equal(running().user);
              expect(await client.pwd()).to.equal('/');
              for (const feature of profile.features) expect([...client.features.keys()]).to.include(feature);
              expect(client.features.has('MLST')).to.equal(profile.listVerb === 'MLSD');
            });
          });

          it('creates nested directories, then uploads and downloads by path and by stream, byte-exact', async function () {
            const dir = `${base()}/nested/deeper/deepest`;
            const lines = await session(async (client) => {
              await client.mkdir(dir, { parents: true });
              // Existing directories on the way are fine the second time.
              await client.mkdir(dir, { parents: true });
              const byPath = await client.upload(local('payload.bin'), `${dir}/by-path.bin`);
              const byStream = await client.upload(
                createReadStream(local('payload.bin')),
                `${dir}/by-stream.bin`,
              );
              expect(byPath.bytes).to.equal(PAYLOAD_BYTES);
              expect(byStream.bytes).to.equal(PAYLOAD_BYTES);
              expect(await sha256File(onServer(`${dir}/by-path.bin`))).to.equal(payloadHash);
              expect(await sha256File(onServer(`${dir}/by-stream.bin`))).to.equal(payloadHash);

              const copy = local(`copy-${mode}.bin`);
              const toFile = await client.download(`${dir}/by-stream.bin`, copy);
              expect(toFile.bytes).to.equal(PAYLOAD_BYTES);
              expect(await sha256File(copy)).to.equal(payloadHash);
              const sink = new HashSink();
              const toStream = await client.download(`${dir}/by-path.bin`, sink);
              expect(toStream.bytes).to.equal(PAYLOAD_BYTES);
              expect(sink.bytes).to.equal(PAYLOAD_BYTES);
              expect(sink.digest()).to.equal(payloadHash);
            });
            expect(sentVerbs(lines).filter((verb) => verb === 'STOR')).to.have.lengthOf(2);
            expect(sentVerbs(lines).filter((verb) => verb === 'RETR')).to.have.lengthOf(2);
            expectDataMode(lines, mode);
          });

          it(`reports size and modification time, and lists the file (${profile.listVerb})`, async function () {
            const dir = `${base()}/facts`;
            const lines = await session(async (client) => {
              await client.mkdir(`${dir}/subdir`, { parents: true });
              await client.upload(local('payload.bin'), `${dir}/file.bin`);
              expect(await client.size(`${dir}/file.bin`)).to.equal(PAYLOAD_BYTES);
              const modified = await client.modifiedTime(`${dir}/file.bin`);
              const onDisk = (await stat(onServer(`${dir}/file.bin`))).mtimeMs;
              // MDTM is UTC with whole seconds (some servers add milliseconds).
              expect(Math.abs(modified.getTime() - onDisk), `MDTM ${modified.toISOString()}`).to.be.below(
                1000,
              );

              const entries = await client.list(dir);
              const file = entries.find((entry) => entry.name === 'file.bin');
              expect(file, JSON.stringify(entries)).not.to.equal(undefined);
              expect(file?.type).to.equal('file');
              expect(file?.size).to.equal(PAYLOAD_BYTES);
              expect(entries.find((entry) => entry.name === 'subdir')?.type).to.equal('dir');
              expect(entries.map((entry) => entry.name)).not.to.include.members(['.', '..']);
              // And relative to the working directory, without a path.
              await client.cd(dir);
              expect(await client.pwd()).to.equal(dir);
              expect((await client.list()).map((entry) => entry.name).sort()).to.deep.equal([
                'file.bin',
                'subdir',
              ]);
            });
            const verbs = sentVerbs(lines);
            expect(verbs).to.include(profile.listVerb);
            expect(verbs).not.to.include(profile.listVerb === 'MLSD' ? 'LIST' : 'MLSD');
            expectDataMode(lines, mode);
          });

          it('renames and removes files, and removes a directory tree recursively', async function () {
            const dir = `${base()}/tree`;
            const lines = await session(async (client) => {
              await client.mkdir(`${dir}/a/b`, { parents: true });
              await client.mkdir(`${dir}/empty`, { parents: true });
              await client.upload(Readable.from(['one\n']), `${dir}/one.txt`);
              await client.upload(Readable.from(['two\n']), `${dir}/two.txt`);
              await client.upload(Readable.from(['three\n']), `${dir}/a/b/three.txt`);

              await client.rename(`${dir}/one.txt`, `${dir}/renamed.txt`);
              expect(await readFile(onServer(`${dir}/renamed.txt`), 'utf8')).to.equal('one\n');
              expect(await exists(onServer(`${dir}/one.txt`))).to.equal(false);
              const missing = await rejection(client.size(`${dir}/one.txt`));
              expect(missing).to.be.instanceOf(FtpReplyError);

              await client.remove(`${dir}/renamed.txt`);
              expect(await exists(onServer(`${dir}/renamed.txt`))).to.equal(false);

              await client.removeDir(dir, { recursive: true });
              expect(await exists(onServer(dir))).to.equal(false);
              expect((await client.list(base())).map((entry) => entry.name)).not.to.include('tree');
            });
            const verbs = sentVerbs(lines);
            expect(verbs).to.include.members(['RNFR', 'RNTO']);
            // renamed.txt, then two.txt and a/b/three.txt; a/b, a, empty and the tree itself.
            expect(verbs.filter((verb) => verb === 'DELE')).to.have.lengthOf(3);
            expect(verbs.filter((verb) => verb === 'RMD')).to.have.lengthOf(4);
            expectDataMode(lines, mode);
          });

          it('resumes a download after a truncated local copy (REST) and an upload after a truncated remote one (APPE)', async function () {
            const dir = `${base()}/resume`;
            const full = await readFile(local('payload.bin'));
            const lines = await session(async (client) => {
              await client.mkdir(dir, { parents: true });
              await client.upload(local('payload.bin'), `${dir}/source.bin`);

              const partial = local(`partial-${mode}.bin`);
              await writeFile(partial, full.subarray(0, PARTIAL_BYTES));
              const rest = await client.download(`${dir}/source.bin`, partial, { resume: true });
              expect(rest.bytes).to.equal(PAYLOAD_BYTES - PARTIAL_BYTES);
              expect(await sha256File(partial)).to.equal(payloadHash);

              const head = local(`head-${mode}.bin`);
              await writeFile(head, full.subarray(0, PARTIAL_BYTES));
              await client.upload(head, `${dir}/target.bin`);
              expect(await client.size(`${dir}/target.bin`)).to.equal(PARTIAL_BYTES);
              const appended = await client.upload(local('payload.bin'), `${dir}/target.bin`, {
                resume: true,
              });
              expect(appended.bytes).to.equal(PAYLOAD_BYTES - PARTIAL_BYTES);
              expect(await sha256File(onServer(`${dir}/target.bin`))).to.equal(payloadHash);
              const sink = new HashSink();
              await client.download(`${dir}/target.bin`, sink);
              expect(sink.digest()).to.equal(payloadHash);
            });
            const sent = lines.filter((line) => line.direction === 'sent').map((line) => line.text);
            expect(sent).to.include(`REST ${PARTIAL_BYTES}`);
            expect(sent).to.include(`APPE ${dir}/target.bin`);
            expectDataMode(lines, mode);
          });

          it('round-trips LF text in ASCII mode', async function () {
            const dir = `${base()}/ascii`;
            const lines = await session(async (client) => {
              await client.mkdir(dir, { parents: true });
              await client.upload(local('text.txt'), `${dir}/by-path.txt`, { type: 'ascii' });
              client.type = 'ascii';
              await client.upload(Readable.from([Buffer.from(TEXT)]), `${dir}/by-stream.txt`);
              const viaPath = local(`text-${mode}.txt`);
              await client.download(`${dir}/by-path.txt`, viaPath);
              expect(await readFile(viaPath, 'utf8')).to.equal(TEXT);
              const sink = new TextSink();
              await client.download(`${dir}/by-stream.txt`, sink, { type: 'ascii' });
              expect(sink.text()).to.equal(TEXT);
              // Back to binary: bytes as they are again (and SIZE, which some servers refuse in ASCII).
              client.type = 'binary';
              await client.upload(local('payload.bin'), `${dir}/binary.bin`);
              expect(await sha256File(onServer(`${dir}/binary.bin`))).to.equal(payloadHash);
            });
            const sent = lines.filter((line) => line.direction === 'sent').map((line) => line.text);
            expect(sent).to.include('TYPE A');
            expect(sent.lastIndexOf('TYPE I')).to.be.above(sent.lastIndexOf('TYPE A'));
            expectDataMode(lines, mode);
          });

          it('rejects a missing file with a reply error and keeps working', async function () {
            const dir = `${base()}/errors`;
            await session(async (client) => {
              await client.mkdir(dir, { parents: true });
              const target = local(`missing-${mode}.bin`);
              const error = await rejection(client.download(`${dir}/no-such-file.bin`, target));
              expect(error).to.be.instanceOf(FtpReplyError);
              const replyError = error as FtpReplyError;
              expect(replyError.replyCode, replyError.message).to.equal(profile.missingFileCode);
              expect(replyError.command).to.equal(`RETR ${dir}/no-such-file.bin`);
              // A refused download must not leave (or truncate) a local file.
              expect(await exists(target)).to.equal(false);

              expect(await client.pwd()).to.equal('/');
              await client.upload(Readable.from(['still here\n']), `${dir}/after.txt`);
              const sink = new TextSink();
              await client.download(`${dir}/after.txt`, sink);
              expect(sink.text()).to.equal('still here\n');
            });
          });

          /**
           * An abort settles once the server has answered, in milliseconds: a wait as long as the
           * reply timeout means an answer the client never got (or never matched).
           */
          function expectPrompt(started: number, what: string): void {
            const elapsed = Math.round(performance.now() - started);
            expect(elapsed, `${what}: the abort took ${elapsed} ms`).to.be.below(
              ABORT_REPLY_TIMEOUT_MS - 500,
            );
          }

          /** After an abort the session must carry on: the working directory, then a small download. */
          async function expectUsable(client: FtpClient, path: string): Promise<void> {
            expect(client.isOpen, 'the control connection is still open after the abort').to.equal(true);
            expect(await client.pwd()).to.equal('/');
            const after = new TextSink();
            await client.download(path, after);
            expect(after.text()).to.equal('small\n');
          }

          it('aborts a big download after the first progress event and keeps working (three rounds)', async function () {
            const big = `${running().writableDir.replace(/\/$/, '')}/big.bin`;
            const dir = `${base()}/abort-download`;
            const lines = await session(
              async (client) => {
                await client.mkdir(dir, { parents: true });
                await client.upload(Readable.from(['small\n']), `${dir}/small.txt`);
                // Whether the server sees the data connection reset or closed depends on what the
                // client's kernel still held at that moment: a few rounds cover both.
                for (let round = 1; round <= ABORT_ROUNDS; round++) {
                  const controller = new AbortController();
                  const sink = new HashSink();
                  let events = 0;
                  const started = performance.now();
                  const error = await rejection(
                    client.download(big, sink, {
                      signal: controller.signal,
                      onProgress: (progress) => {
                        events++;
                        if (!progress.done) controller.abort();
                      },
                    }),
                  );
                  expect((error as Error).name, `round ${round}: ${String(error)}`).to.equal('AbortError');
                  expectPrompt(started, `round ${round}`);
                  expect(events).to.be.at.least(1);
                  expect(sink.bytes).to.be.below(BIG_BYTES);
                  await expectUsable(client, `${dir}/small.txt`);
                }
              },
              { replyTimeoutMs: ABORT_REPLY_TIMEOUT_MS },
            );
            expect(sentVerbs(lines).filter((verb) => verb === 'ABOR')).to.have.lengthOf(ABORT_ROUNDS);
            expectDataMode(lines, mode);
          });

          /**
           * Uploads an endless-looking source and aborts it: `when` decides at which point. The
           * source ends after UPLOAD_CAP bytes, so an abort that does nothing fails the test
           * instead of filling the disk.
           */
          async function abortUpload(
            client: FtpClient,
            remotePath: string,
            when: 'first progress event' | 'mid-transfer',
          ): Promise<void> {
            const controller = new AbortController();
            const started = performance.now();
            let produced = 0;
            const source = new Readable({
              read(): void {
                if (produced >= UPLOAD_CAP) {
                  this.push(null);
                  return;
                }
                produced += UPLOAD_CHUNK.length;
                this.push(UPLOAD_CHUNK);
                if (when === 'mid-transfer' && produced >= MID_TRANSFER_BYTES) controller.abort();
              },
            });
            const error = await rejection(
              client.upload(source, remotePath, {
                signal: controller.signal,
                onProgress: (progress) => {
                  if (when === 'first progress event' && !progress.done) controller.abort();
                },
              }),
            );
            expect((error as Error).name, String(error)).to.equal('AbortError');
            expectPrompt(started, 'upload');
            expect(source.destroyed).to.equal(true);
          }

          it('aborts an upload mid-transfer and keeps working', async function () {
            const dir = `${base()}/abort-upload`;
            const lines = await session(
              async (client) => {
                await client.mkdir(dir, { parents: true });
                await client.upload(Readable.from(['small\n']), `${dir}/small.txt`);
                await abortUpload(client, `${dir}/aborted.bin`, 'mid-transfer');
                // What is left of the file differs: a server that reads no commands during a
                // transfer takes the closed connection for the end of the file.
                await expectUsable(client, `${dir}/small.txt`);
              },
              { replyTimeoutMs: ABORT_REPLY_TIMEOUT_MS },
            );
            expect(sentVerbs(lines)).to.include('ABOR');
            expectDataMode(lines, mode);
          });

          const earlySkip = profile.earlyUploadAbortSkip?.[mode];
          (earlySkip === undefined ? it : it.skip)(
            `aborts an upload before its first byte is sent and keeps working${earlySkip === undefined ? '' : ` (skipped: ${earlySkip})`}`,
            async function () {
              const dir = `${base()}/abort-early`;
              const lines = await session(
                async (client) => {
                  await client.mkdir(dir, { parents: true });
                  await client.upload(Readable.from(['small\n']), `${dir}/small.txt`);
                  // The server has the data connection but no data: some answer ABOR alone, with
                  // no final reply to the STOR.
                  await abortUpload(client, `${dir}/aborted.bin`, 'first progress event');
                  await expectUsable(client, `${dir}/small.txt`);
                },
                { replyTimeoutMs: ABORT_REPLY_TIMEOUT_MS },
              );
              expect(sentVerbs(lines)).to.include('ABOR');
              expectDataMode(lines, mode);
            },
          );
        });
      }
    });
  }
}
