import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseFeatures } from '../../../src/protocol/features.js';
import { parseListing } from '../../../src/protocol/listing/detect.js';
import type { EntryType, FileEntry } from '../../../src/protocol/listing/entry.js';
import { parseQuotedPath } from '../../../src/protocol/quote.js';
import type { FtpReply } from '../../../src/protocol/reply.js';
import { ReplyDecoder } from '../../../src/protocol/reply-decoder.js';

// Listings captured from real servers by fixtures/capture/capture_listings.py; fixtures/README.md
// has the server versions and the facts below. The test runs from build/test/protocol/listing/.
const FIXTURES = new URL('../../../../fixtures/listings/', import.meta.url);

const fixture = (path: string): Buffer => readFileSync(new URL(path, FIXTURES));

type Server = 'vsftpd' | 'pyftpdlib' | 'proftpd' | 'pure-ftpd';

/** When each server's tree was made: the mtime of every entry but old.bin and future.txt. */
const CREATED: Record<Server, Date> = {
  vsftpd: new Date('2026-11-21T06:16:35Z'),
  pyftpdlib: new Date('2026-11-21T06:16:35Z'),
  proftpd: new Date('2026-11-21T06:16:35Z'),
  'pure-ftpd': new Date('2026-11-21T06:16:36Z'),
};
/** future.txt was set this far ahead of the tree's creation. */
const FUTURE_AHEAD_MS = 365 * 24 * 60 * 60 * 1000;
/** A clock a few minutes after the capture: "Mmm dd HH:MM" dates then land in 2026. */
const NOW = new Date('2026-11-21T06:20:00Z');

const UNICODE = '\u00fcn\u00efc\u00f8d\u00e9-\u540d\u524d.txt'; // ünïcødé-名前.txt, NFC
const VISIBLE = [
  'empty',
  'future.txt',
  'hello.txt',
  'link',
  'name with  spaces.txt',
  'old.bin',
  'sub dir',
  UNICODE,
];
/** Sizes of the regular files (the link's depends on how the listing shows it). */
const FILE_SIZES: Record<string, number> = {
  'hello.txt': 13,
  empty: 0,
  'name with  spaces.txt': 7,
  [UNICODE]: 8,
  '.hidden': 7,
  'old.bin': 1_234_567,
  'future.txt': 7,
};

interface Case {
  server: Server;
  file: string;
  /** Whether .hidden is listed (pyftpdlib lists dot files whatever LIST's options say). */
  hidden: boolean;
  /**
   * How the symlink appears: as a link with its target ("link -> hello.txt"), as a link with no
   * target (MLSD's OS.unix=symlink, or pure-ftpd's OS.unix=slink: with an empty one), or followed
   * (pyftpdlib's MLSD describes hello.txt under the link's name).
   */
  link: 'target' | 'bare' | 'followed';
  /** LIST only: whether the one-year-ahead file shows its year rather than a time of day. */
  futureYear?: boolean;
  /** Whether permissions are shown (always in LIST; unix.mode in MLSD). */
  modes: boolean;
}

const CASES: Case[] = [
  { server: 'vsftpd', file: 'list.txt', hidden: false, link: 'target', futureYear: true, modes: true },
  { server: 'vsftpd', file: 'list-a.txt', hidden: true, link: 'target', futureYear: true, modes: true },
  { server: 'pyftpdlib', file: 'list.txt', hidden: true, link: 'target', futureYear: false, modes: true },
  { server: 'pyftpdlib', file: 'list-a.txt', hidden: true, link: 'target', futureYear: false, modes: true },
  { server: 'pyftpdlib', file: 'mlsd.txt', hidden: true, link: 'followed', modes: false },
  { server: 'proftpd', file: 'list.txt', hidden: false, link: 'target', futureYear: false, modes: true },
  { server: 'proftpd', file: 'list-a.txt', hidden: true, link: 'target', futureYear: false, modes: true },
  { server: 'proftpd', file: 'mlsd.txt', hidden: true, link: 'bare', modes: true },
  { server: 'pure-ftpd', file: 'list.txt', hidden: false, link: 'target', futureYear: false, modes: true },
  { server: 'pure-ftpd', file: 'list-a.txt', hidden: true, link: 'target', futureYear: false, modes: true },
  { server: 'pure-ftpd', file: 'mlsd.txt', hidden: true, link: 'bare', modes: true },
];

const toMinute = (date: Date): Date => new Date(Math.floor(date.getTime() / 60_000) * 60_000);

function byName(entries: readonly FileEntry[]): Map<string, FileEntry> {
  return new Map(entries.map((entry) => [entry.name, entry]));
}

function entry(entries: ReadonlyMap<string, FileEntry>, name: string): FileEntry {
  const found = entries.get(name);
  if (found === undefined) throw new Error(`no entry named ${JSON.stringify(name)}`);
  return found;
}

function decodeReplies(bytes: Buffer): FtpReply[] {
  return new ReplyDecoder().push(bytes);
}

describe('protocol/listing on captured listings (fixtures/listings)', () => {
  for (const c of CASES) {
    const mlsd = c.file.startsWith('mlsd');
    describe(`${c.server}/${c.file}`, () => {
      const entries = parseListing(fixture(`${c.server}/${c.file}`).toString('utf8'), NOW);
      const named = byName(entries);
      const created = CREATED[c.server];

      it('yields exactly the tree, once each, names with spaces and Unicode intact', () => {
        const expected = c.hidden ? [...VISIBLE, '.hidden'] : VISIBLE;
        expect(entries.map((e) => e.name).sort()).to.deep.equal([...expected].sort());
      });

      it('gets every type right', () => {
        const linkType: EntryType = c.link === 'followed' ? 'file' : 'link';
        for (const e of entries) {
          const want = e.name === 'sub dir' ? 'dir' : e.name === 'link' ? linkType : 'file';
          expect(e.type, e.name).to.equal(want);
        }
      });

      it('gets the sizes right', () => {
        for (const [name, size] of Object.entries(FILE_SIZES)) {
          if (named.has(name)) expect(entry(named, name).size, name).to.equal(size);
        }
        // A link's own size is its target's length; followed, it is hello.txt's size.
        expect(entry(named, 'link').size).to.equal(c.link === 'followed' ? 13 : 'hello.txt'.length);
      });

      it('reads old.bin as 2019-03-04 (with the time where the format has it)', () => {
        const want = mlsd ? Date.UTC(2019, 2, 4, 5, 6, 7) : Date.UTC(2019, 2, 4);
        expect(entry(named, 'old.bin').modified?.toISOString()).to.equal(new Date(want).toISOString());
      });

      it('reads the recent entries as the capture time', () => {
        const want = (mlsd ? created : toMinute(created)).toISOString();
        for (const e of entries) {
          if (e.name === 'old.bin' || e.name === 'future.txt') continue;
          expect(e.modified?.toISOString(), e.name).to.equal(want);
        }
      });

      it('reads future.txt as far as the format tells', () => {
        const modified = entry(named, 'future.txt').modified?.toISOString();
        if (mlsd) {
          expect(modified).to.equal(new Date(created.getTime() + FUTURE_AHEAD_MS).toISOString());
        } else if (c.futureYear === true) {
          expect(modified).to.equal(new Date(Date.UTC(2027, 10, 21)).toISOString());
        } else {
          // "Nov 21 06:16" without a year: the parser can only put it in NOW's year.
          expect(modified).to.equal(toMinute(created).toISOString());
        }
      });

      it('shows the link target where the format has one', () => {
        const link = entry(named, 'link');
        if (c.link === 'target') expect(link.target).to.equal('hello.txt');
        else expect(link).not.to.have.property('target');
      });

      it('reads the permissions where they are shown', () => {
        if (!c.modes) {
          for (const e of entries) expect(e, e.name).not.to.have.property('mode');
          return;
        }
        expect(entry(named, 'hello.txt').mode).to.equal(0o644);
        expect(entry(named, 'sub dir').mode).to.equal(0o755);
        if (c.link !== 'followed') expect(entry(named, 'link').mode).to.equal(0o777);
      });

      if (mlsd) {
        it('keeps the raw facts, lower-cased', () => {
          const facts = entry(named, 'hello.txt').facts;
          expect(facts?.type).to.equal('file');
          expect(facts?.size).to.equal('13');
          expect(facts).to.have.property('modify');
        });
      }
    });
  }

  describe('NLST', () => {
    const expected: Record<Server, string[]> = {
      vsftpd: VISIBLE,
      proftpd: VISIBLE,
      pyftpdlib: [...VISIBLE, '.hidden'],
      // pure-ftpd's bare NLST lists dot files, "." and ".." included.
      'pure-ftpd': [...VISIBLE, '.hidden', '.', '..'],
    };
    for (const [server, names] of Object.entries(expected)) {
      it(`${server}: one CRLF-terminated name per line, none mistaken for a long listing`, () => {
        const text = fixture(`${server}/nlst.txt`).toString('utf8');
        expect(text.endsWith('\r\n')).to.equal(true);
        expect(text.slice(0, -2).split('\r\n').sort()).to.deep.equal([...names].sort());
        expect(parseListing(text, NOW)).to.deep.equal([]);
      });
    }
  });

  describe('control replies', () => {
    const mlst: Record<Server, boolean> = {
      vsftpd: false,
      pyftpdlib: true,
      proftpd: true,
      'pure-ftpd': true,
    };
    for (const [server, hasMlst] of Object.entries(mlst)) {
      it(`${server}: FEAT decodes, UTF8 ${hasMlst ? 'and MLST' : 'without MLST'}`, () => {
        const replies = decodeReplies(fixture(`${server}/feat.txt`));
        expect(replies.map((r) => r.code)).to.deep.equal([211]);
        const features = parseFeatures(replies[0]?.lines ?? []);
        expect(features.has('UTF8')).to.equal(true);
        expect(features.has('MLST')).to.equal(hasMlst);
        if (hasMlst) expect(features.get('MLST')?.toLowerCase()).to.include('modify*;');
      });

      it(`${server}: PWD is 257 with "/" quoted`, () => {
        const replies = decodeReplies(fixture(`${server}/pwd.txt`));
        expect(replies.map((r) => r.code)).to.deep.equal([257]);
        expect(parseQuotedPath(replies[0]?.text ?? '')).to.equal('/');
      });
    }

    it('vsftpd: MLSD is refused with 500', () => {
      expect(decodeReplies(fixture('vsftpd/mlsd-refused.txt')).map((r) => r.code)).to.deep.equal([500]);
    });
  });
});
