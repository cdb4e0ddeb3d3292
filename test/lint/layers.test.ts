// The layer rules in eslint.config.js, run through ESLint's own API against the real config: each
// forbidden import is put into a real file of the layer it would break, and the tree as it stands
// must break none of them.
import { expect } from 'chai';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LAYER_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax']);

// Type information is for the type-aware rules, which the filter leaves out; without it a lint of
// the whole of src takes seconds instead of most of a minute.
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => LAYER_RULES.has(ruleId),
});

async function layerMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${filePath}` });
  expect(result, filePath).to.not.equal(undefined);
  return result!.messages.map((message) => `${message.ruleId ?? 'parse'}: ${message.message}`);
}

interface Case {
  file: string;
  code: string;
  complaint: string;
}

const FORBIDDEN: Case[] = [
  {
    file: 'src/protocol/reply.ts',
    code: "import { FtpServer } from '../server/index.js';\nexport const x = FtpServer;\n",
    complaint: 'src/protocol is shared by both sides and imports neither',
  },
  {
    file: 'src/protocol/listing/unix.ts',
    code: "import type { ClientOptions } from '../../client/options.js';\nexport type X = ClientOptions;\n",
    complaint: 'src/protocol is shared by both sides and imports neither',
  },
  {
    file: 'src/protocol/reply.ts',
    code: "export { FtpClient } from 'ftpkit';\n",
    complaint: 'src/protocol is shared by both sides and imports neither',
  },
  {
    file: 'src/protocol/reply.ts',
    code: "export const load = () => import('../client/index.js');\n",
    complaint: 'src/protocol is shared by both sides and imports neither',
  },
  {
    file: 'src/server/session.ts',
    code: "import { FtpClient } from '../client/index.js';\nexport const x = FtpClient;\n",
    complaint: 'src/server never imports src/client',
  },
  {
    file: 'src/server/commands/transfer.ts',
    code: "export const load = () => import('../../client/client.js');\n",
    complaint: 'src/server never imports src/client',
  },
  {
    file: 'src/client/control.ts',
    code: "import { FtpServer } from 'ftpkit/server';\nexport const x = FtpServer;\n",
    complaint: 'src/client never imports src/server',
  },
  {
    file: 'src/server/session.ts',
    code: "import { Reply } from '../protocol/reply-codes.js';\nexport const x = Reply;\n",
    complaint: 'Import protocol code from its barrel',
  },
  {
    file: 'src/client/data/active.ts',
    code: "export { decodeEprt } from '../../protocol/address/eprt.js';\n",
    complaint: 'Import protocol code from its barrel',
  },
];

describe('eslint.config.js: layers', function () {
  this.timeout(60_000);

  for (const { file, code, complaint } of FORBIDDEN) {
    it(`refuses in ${file}: ${code.split('\n')[0] ?? ''}`, async () => {
      const messages = await layerMessages(file, code);
      expect(messages).to.have.length(1);
      expect(messages[0]).to.contain(complaint).and.contain('docs/ARCHITECTURE.md');
    });
  }

  it('allows the barrel, and names that merely contain a layer', async () => {
    const code = [
      "import { Reply } from '../protocol/index.js';",
      "import { ServerSide } from './server-side.js';",
      "import { clientName } from './client-name.js';",
      'export const x = [Reply, ServerSide, clientName];',
      '',
    ].join('\n');
    expect(await layerMessages('src/server/session.ts', code)).to.deep.equal([]);
    expect(await layerMessages('src/client/control.ts', code)).to.deep.equal([]);
  });

  it('finds nothing to refuse in src as it stands', async () => {
    const results = await eslint.lintFiles(['src']);
    expect(results.length).to.be.greaterThan(100);
    const found = results.flatMap((result) =>
      result.messages.map((message) => `${result.filePath}:${message.line}: ${message.message}`),
    );
    expect(found).to.deep.equal([]);
  });
});
