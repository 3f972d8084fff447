import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startAzurite, type AzuriteHandle } from '../../src/sandbox';
import { LOCAL_PORTS, sandboxSettings } from '../../src/sandbox/start';
import { freePort, shellBlocks, ShellSession, type ShellBlock } from './walkthrough';

/**
 * README.md pasted block by block, as a newcomer does: `npm start` (dist/sandbox/start.js --local-host, as
 * start.test.ts runs it) in a fresh folder, then every ```bash/```sh block of the README that is not marked
 * `<!-- not run by the README test: why -->`, in order, in ONE bash session (variables carry over), with
 * `npx graph-tokens` resolving to this repository's CLI through the folder's node_modules/.bin. Each block
 * must exit 0, no command in it may fail, it may print nothing on stderr and no problem details.
 *
 * The only liberty taken: the README's fixed ports (7071 API, 7072 identity provider, 7073 Graph) are
 * rewritten to free ports, and storage is this test's own Azurite instead of the fixed 10002.
 */

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const BLOCKS = shellBlocks(README);
const RUN = BLOCKS.filter((b) => b.notRun === undefined);

let dir: string;
let azurite: AzuriteHandle;
let server: ChildProcess;
let shell: ShellSession;
let output = '';
const ports = { api: 0, identityProvider: 0, graph: 0 };

function localize(code: string): string {
  return code
    .replace(new RegExp(`localhost:${LOCAL_PORTS.api}\\b`, 'g'), `localhost:${ports.api}`)
    .replace(
      new RegExp(`localhost:${LOCAL_PORTS.identityProvider}\\b`, 'g'),
      `localhost:${ports.identityProvider}`,
    )
    .replace(new RegExp(`localhost:${LOCAL_PORTS.graph}\\b`, 'g'), `localhost:${ports.graph}`);
}

beforeAll(async () => {
  azurite = await startAzurite();
  ports.api = await freePort();
  ports.identityProvider = await freePort();
  ports.graph = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'gtm-readme-'));
  // A folder of its own with the CLI installed in it, so `npx graph-tokens` runs this clone's CLI.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-walkthrough', private: true }));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(join(ROOT, 'bin', 'graph-tokens.js'), join(dir, 'node_modules', '.bin', 'graph-tokens'));
  const settings = sandboxSettings();
  Object.assign(settings.Values, {
    GRAPH_AUTHORITY_HOST: `https://localhost:${ports.identityProvider}`,
    GRAPH_API_BASE_URL: `https://localhost:${ports.graph}/v1.0`,
    AzureWebJobsStorage: azurite.connectionString,
  });
  writeFileSync(join(dir, 'local.settings.json'), JSON.stringify(settings, null, 2));

  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(ports.api) };
  delete env.NODE_EXTRA_CA_CERTS; // a newcomer's shell has none; npm start and the CLI find the sandbox's
  server = spawn(process.execPath, [join(ROOT, 'dist', 'sandbox', 'start.js'), '--local-host'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  server.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 50_000);
    const check = (): void => {
      if (!output.includes('Press Ctrl-C to stop.')) return;
      clearTimeout(timer);
      server.off('exit', exited);
      resolve();
    };
    const exited = (): void => {
      clearTimeout(timer);
      reject(new Error(`npm start exited:\n${output}`));
    };
    server.stdout!.on('data', check);
    server.once('exit', exited);
  });

  const shellEnv: NodeJS.ProcessEnv = {
    ...process.env,
    // node and npx of this test run first; no node_modules/.bin that `npm test` put on PATH: a newcomer's
    // terminal has none, and `npx graph-tokens` must find the CLI the way it does for them.
    PATH: [
      dirname(process.execPath),
      ...(process.env.PATH ?? '').split(':').filter((d) => !d.includes('node_modules')),
    ].join(':'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
  };
  delete shellEnv.NODE_EXTRA_CA_CERTS;
  for (const name of Object.keys(shellEnv)) {
    // Variables jest or npm set for this process would not be in a newcomer's terminal.
    if (/^(npm_(lifecycle|package|config_(?!update_notifier|fund))|JEST_|INIT_CWD)/.test(name))
      delete shellEnv[name];
  }
  shell = new ShellSession(dir, shellEnv);
}, 90_000);

afterAll(async () => {
  await shell?.close();
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise<void>((r) => server.once('exit', () => r()));
    server.kill('SIGINT');
    await exited;
  }
  await azurite?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

it('finds the walk-through blocks and marks only those that cannot run here', () => {
  expect(RUN.length).toBeGreaterThanOrEqual(5);
  const anotherTerminal = README.indexOf('In another terminal');
  expect(anotherTerminal).toBeGreaterThan(0);
  // Before "In another terminal" only the install/start block, which is marked.
  const firstRun = README.split('\n').slice(0, RUN[0]!.line).join('\n').length;
  expect(firstRun).toBeGreaterThan(anotherTerminal);
  // Few, honest markers: each says why.
  for (const block of BLOCKS.filter((b) => b.notRun !== undefined)) expect(block.notRun).toMatch(/\w{4}/);
  expect(BLOCKS.length - RUN.length).toBeLessThanOrEqual(4);
});

it("prints an IDP= that the sandbox's control routes answer on when pasted (docs/delegated.md)", async () => {
  const idp = /IDP=(\S+);/.exec(output)?.[1];
  expect(idp).toBe(`https://localhost:${ports.identityProvider}`);
  const run = await shell.run(
    // In a subshell: the README blocks must not inherit these variables.
    `(\nIDP=${idp}\nCA='--cacert .sandbox/certs/localhost.crt'\ncurl -s $CA -o /dev/null -w '%{http_code}\\n' $IDP/_sandbox/counts\n)`,
    30_000,
  );
  expect(run).toEqual({ exitCode: 0, stdout: '200\n', stderr: '' });
});

describe.each(RUN.map((b): [number, ShellBlock] => [b.line, b]))(
  'README.md block at line %d',
  (_line, block) => {
    it('runs as pasted: exit 0, no failed command, nothing on stderr, no problem details', async () => {
      const run = await shell.run(localize(block.code), 120_000);
      if (process.env.README_TEST_SHOW) process.stdout.write(`${run.stdout}\n`);
      const report = `--- block ---\n${block.code}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
      expect({ exitCode: run.exitCode, stderr: run.stderr, report }).toEqual({
        exitCode: 0,
        stderr: '',
        report,
      });
      expect(run.stdout).not.toMatch(/urn:graph-token-manager:problem:|command not found|syntax error/);
    }, 150_000);
  },
);
