import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireResultSchema, healthReportSchema } from '../../src/http/schemas';
import { signWithStoredKey, startAzurite, type AzuriteHandle } from '../../src/sandbox';
import { sandboxSettings } from '../../src/sandbox/start';

/**
 * `npm start` (dist/sandbox/start.js) as a user runs it, in a scratch function-app folder whose
 * local.settings.json asks for free ports (0) instead of the fixed ones, so the test binds nothing fixed:
 * it starts the sandbox identity provider and Graph, the local host, serves the API, and stops
 * everything on SIGINT within 10 seconds.
 */

const ROOT = join(__dirname, '..', '..');

let dir: string;
let azurite: AzuriteHandle;
let child: ChildProcess;
let output = '';

beforeAll(async () => {
  azurite = await startAzurite();
  dir = mkdtempSync(join(tmpdir(), 'gtm-start-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ main: join(ROOT, 'dist', 'functions', '*.js') }));
  copyFileSync(join(ROOT, 'host.json'), join(dir, 'host.json'));
  const settings = sandboxSettings();
  Object.assign(settings.Values, {
    GRAPH_AUTHORITY_HOST: 'https://localhost:0',
    GRAPH_API_BASE_URL: 'https://localhost:0/v1.0',
    AzureWebJobsStorage: azurite.connectionString,
    TOKEN_TABLE_NAME: `StartTest${Date.now()}`,
  });
  writeFileSync(join(dir, 'local.settings.json'), JSON.stringify(settings));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    // Reuse the project's sandbox certificate; keep this run's signing key in the scratch folder.
    GRAPH_SANDBOX_DIR: join(ROOT, '.sandbox'),
    SANDBOX_SIGNING_KEY_FILE: join(dir, 'idp-signing-key.json'),
  };
  child = spawn(process.execPath, [join(ROOT, 'dist', 'sandbox', 'start.js'), '--local-host'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 40_000);
    const check = (): void => {
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', () => reject(new Error(`npm start exited:\n${output}`)));
  });
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await azurite?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function summary(label: string): string {
  const m = new RegExp(`^  ${label}\\s+(\\S+)`, 'm').exec(output);
  if (!m) throw new Error(`no ${label} line in:\n${output}`);
  return m[1]!;
}

function refused(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: Number(u.port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

it('serves the API with the sandbox and stops everything on Ctrl-C within 10 s', async () => {
  const api = summary('API').replace('//localhost:', '//127.0.0.1:');
  const issuer = summary('Identity');
  expect(issuer).toMatch(/^https:\/\/localhost:\d+\/11111111-1111-4111-8111-111111111111\/v2\.0$/);
  expect(output).toContain("the project's local host");
  expect(output).toContain('docs/sandbox.md');

  // Before the first token and timer run the health is `degraded` and 200: a platform probe would keep
  // this new instance (docs/operations.md, "Health").
  const health = await fetch(`${api}/health`);
  const report = healthReportSchema.parse(await health.json());
  expect(health.status).toBe(200);
  expect(report).toMatchObject({ status: 'degraded', failing_checks: ['token.ropc'] });
  expect(report.checks).toBeUndefined();

  // A token signed with the key npm start persisted, as `graph-tokens dev-token` signs it.
  const token = await signWithStoredKey(join(dir, 'idp-signing-key.json'), issuer, {
    roles: ['GraphTokens.Admin'],
    audience: 'api://graph-token-manager',
  });
  const acquired = await fetch(`${api}/graph-tokens/acquire_token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(acquired.status).toBe(200);
  expect(acquireResultSchema.parse(await acquired.json()).token.source).toBe('ropc');

  const started = Date.now();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(await refused(api)).toBe(true);
  expect(await refused(issuer)).toBe(true);
}, 60_000);
