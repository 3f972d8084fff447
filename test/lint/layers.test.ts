/**
 * The layers and the one-reader-of-the-environment rule (docs/architecture.md) are ESLint rules, so a
 * wrong import fails `npm run lint`. Each case lints a snippet as if it were a file at a real path of
 * the project (`lintText` with a `filePath`), so no file on disk has to break the rules.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');

/**
 * ESLint's Node API in a separate Node process: it loads eslint.config.mjs with a dynamic `import()`,
 * which Jest's module sandbox does not run. One process lints every case.
 */
const LINTER = `
const { ESLint } = require('eslint');
const path = require('node:path');
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = [];
  for (const c of JSON.parse(input)) {
    if (c.code === null) {
      const results = await eslint.lintFiles([c.file]);
      out.push(results.flatMap((r) => r.messages.map((m) => ({ rule: m.ruleId, file: r.filePath, message: m.message, fatal: !!m.fatal }))));
    } else {
      const [r] = await eslint.lintText(c.code, { filePath: path.join(process.cwd(), c.file) });
      out.push(r.messages.map((m) => ({ rule: m.ruleId, file: r.filePath, message: m.message, fatal: !!m.fatal })));
    }
  }
  process.stdout.write(JSON.stringify(out));
});
`;

interface Message {
  rule: string | null;
  file: string;
  message: string;
  fatal: boolean;
}

function lint(cases: Array<{ file: string; code: string | null }>): Promise<Message[][]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['-e', LINTER],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 110_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`eslint failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as Message[][]);
      },
    );
    child.stdin!.end(JSON.stringify(cases));
  });
}

const LAYER_RULE = 'import-x/no-restricted-paths';

const FORBIDDEN_IMPORTS: Array<[string, string]> = [
  ['src/lib/fixture.ts', "import { HttpProblem } from '../http/problem';"],
  ['src/lib/service/fixture.ts', "import { ENDPOINTS } from '../../http/routes';"],
  ['src/lib/fixture.ts', "import { runCli } from '../cli/program';"],
  ['src/lib/fixture.ts', "import { startSandbox } from '../sandbox';"],
  ['src/http/fixture.ts', "import { acquireToken } from '../functions/acquireToken';"],
  ['src/http/fixture.ts', "import { runCli } from '../cli/program';"],
  ['src/http/fixture.ts', "import { startLocalHost } from '../host/localHost';"],
  ['src/functions/fixture.ts', "import { issueDevToken } from '../sandbox/devToken';"],
  ['src/functions/fixture.ts', "import { parseNcrontab } from '../host/ncrontab';"],
  ['src/functions/fixture.ts', "import { runCli } from '../cli/program';"],
  ['src/functions/fixture.ts', "export const load = () => import('../sandbox/devToken');"],
  ['src/functions/fixture.ts', "export const load = () => require('../bench/worker');"],
  ['src/cli/fixture.ts', "import { issueDevToken } from '../sandbox/devToken';"],
  ['src/cli/fixture.ts', "import { adminPage } from '../functions/admin';"],
  ['src/admin/page/fixture.ts', "import { render } from '../../cli/render';"],
  ['src/admin/page/fixture.ts', "import { signingKeyPath } from '../../sandbox/devToken';"],
  ['src/newfolder/fixture.ts', "import { startSandbox } from '../sandbox';"],
  // A path through the project root resolves to the same file: still refused.
  ['src/lib/fixture.ts', "import { HttpProblem } from '../../src/http/problem';"],
];

const ALLOWED_IMPORTS: Array<[string, string]> = [
  ['src/lib/fixture.ts', "import { loadConfig } from './config';\nexport const c = loadConfig;\n"],
  ['src/lib/service/fixture.ts', "import { ERRORS } from '../errors';\nexport const e = ERRORS;\n"],
  ['src/http/fixture.ts', "import { loadConfig } from '../lib/config';\nexport const c = loadConfig;\n"],
  [
    'src/functions/fixture.ts',
    "import { handleEndpoint } from '../http/pipeline';\nexport const h = handleEndpoint;\n",
  ],
  [
    'src/functions/fixture.ts',
    "import { createJsonLogger } from '../lib';\nexport const l = createJsonLogger;\n",
  ],
  ['src/cli/fixture.ts', "import { ROLES } from '../http/auth';\nexport const r = ROLES;\n"],
  [
    'src/admin/page/fixture.ts',
    "import { expiresIn } from '../../lib/format';\nexport const f = expiresIn;\n",
  ],
  [
    'src/host/fixture.ts',
    "import { issueDevToken } from '../sandbox/devToken';\nexport const i = issueDevToken;\n",
  ],
  [
    'src/sandbox/fixture.ts',
    "import { applySettings } from '../host/appFiles';\nexport const a = applySettings;\n",
  ],
  [
    'test/lib/fixture.test.ts',
    "import { startSandbox } from '../../src/sandbox';\nexport const s = startSandbox;\n",
  ],
];

const FORBIDDEN_ENV: Array<[string, string, string]> = [
  ['src/lib/fixture.ts', 'export const a = process.env.API_AUDIENCE;\n', 'no-restricted-properties'],
  ['src/http/fixture.ts', "export const a = process.env['PORT'];\n", 'no-restricted-properties'],
  ['src/functions/fixture.ts', 'export const e = process.env;\n', 'no-restricted-properties'],
  ['src/cli/context.ts', 'export const { env } = process;\n', 'no-restricted-syntax'],
  ['src/host/localHost.ts', 'export const p = process.env.PORT;\n', 'no-restricted-properties'],
  ['src/sandbox/graph.ts', 'export const p = process.env.PORT;\n', 'no-restricted-properties'],
];

const ENV_READERS = [
  'src/lib/config.ts',
  'src/cli/index.ts',
  'src/host/main.ts',
  'src/sandbox/start.ts',
  'src/bench/index.ts',
  'test/lib/fixture.test.ts',
];
const READ_PORT = 'export const p = process.env.PORT;\n';

const results = new Map<string, Message[]>();
let project: Message[] = [];

beforeAll(async () => {
  const cases = [
    ...FORBIDDEN_IMPORTS,
    ...ALLOWED_IMPORTS,
    ...FORBIDDEN_ENV.map(([file, code]) => [file, code] as [string, string]),
    ...ENV_READERS.map((file) => [file, READ_PORT] as [string, string]),
  ];
  const linted = await lint([...cases.map(([file, code]) => ({ file, code })), { file: 'src', code: null }]);
  cases.forEach(([file, code], i) => results.set(`${file}\n${code}`, linted[i]!));
  project = linted[cases.length]!;
});

/** The rule ids that fire for `code` placed at `file` (relative to the project). */
function violations(file: string, code: string): string[] {
  const messages = results.get(`${file}\n${code}`);
  if (messages === undefined) throw new Error(`not linted: ${file}`);
  const fatal = messages.filter((m) => m.fatal);
  if (fatal.length > 0) throw new Error(`${file} did not parse: ${fatal.map((m) => m.message).join('; ')}`);
  return messages.map((m) => m.rule ?? 'none');
}

describe('layers', () => {
  test.each(FORBIDDEN_IMPORTS)('%s: %s is refused', (file, code) => {
    expect(violations(file, code)).toContain(LAYER_RULE);
  });

  test.each(ALLOWED_IMPORTS)('%s: %s is allowed', (file, code) => {
    expect(violations(file, code)).toEqual([]);
  });

  test('the project itself passes every rule (layers and environment included)', () => {
    expect(project.map((m) => `${m.file}: ${m.rule}: ${m.message}`)).toEqual([]);
  });
});

describe('configuration is read once', () => {
  test.each(FORBIDDEN_ENV)('%s: %s is refused', (file, code, rule) => {
    expect(violations(file, code)).toContain(rule);
  });

  test.each(ENV_READERS)('%s may read process.env', (file) => {
    expect(violations(file, READ_PORT)).toEqual([]);
  });
});
