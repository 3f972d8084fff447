import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureSandboxCertificate,
  SandboxIdentityProvider,
  startAzurite,
  type AzuriteHandle,
} from '../../src/sandbox';
import { sandboxSettings } from '../../src/sandbox/start';

/**
 * `npm start` with WEBSITE_SITE_NAME in its environment (docs/operations.md, "Fail closed in Azure"):
 * it starts (does not refuse), starts no stand-in for the endpoints it is given, and serves in
 * fail-closed mode — the identity provider its settings name receives nothing.
 */

const ROOT = join(__dirname, '..', '..');

let dir: string;
let azurite: AzuriteHandle;
let idp: SandboxIdentityProvider;
const idpRequests: string[] = [];
let child: ChildProcess;
let output = '';

beforeAll(async () => {
  azurite = await startAzurite();
  idp = await SandboxIdentityProvider.start({
    certificate: ensureSandboxCertificate(),
    onRequest: (e) => idpRequests.push(`${e.method} ${e.path}`),
  });
  dir = mkdtempSync(join(tmpdir(), 'gtm-start-azure-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ main: join(ROOT, 'dist', 'functions', '*.js') }));
  copyFileSync(join(ROOT, 'host.json'), join(dir, 'host.json'));
  const settings = sandboxSettings();
  Object.assign(settings.Values, {
    GRAPH_AUTHORITY_HOST: idp.authorityHost,
    GRAPH_API_BASE_URL: 'https://localhost:1/v1.0',
    AzureWebJobsStorage: azurite.connectionString,
  });
  writeFileSync(join(dir, 'local.settings.json'), JSON.stringify(settings));
  child = spawn(process.execPath, [join(ROOT, 'dist', 'sandbox', 'start.js'), '--local-host'], {
    cwd: dir,
    env: { ...process.env, PORT: '0', WEBSITE_SITE_NAME: 'gtm-start-azure' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 40_000);
    child.stdout!.on('data', () => {
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`npm start exited:\n${output}`)));
  });
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
  }
  await idp?.close();
  await azurite?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

it('serves in fail-closed mode, with no stand-in started and nothing sent', async () => {
  const api = /^ {2}API\s+(\S+)/m.exec(output)![1]!.replace('//localhost:', '//127.0.0.1:');
  expect(output).toMatch(
    /^ {2}Identity\s+https:\/\/localhost:\d+\/\S+ {2}\(as in Azure: no sandbox started\)/m,
  );
  expect(output).toMatch(/^ {2}Fail closed\s+running as in Azure/m);
  expect(output).not.toContain('sandbox identity provider');

  const health = await fetch(`${api}/health`);
  expect(health.status).toBe(503);
  expect(await health.json()).toMatchObject({ status: 'failing', failing_checks: ['configuration'] });
  const status = await fetch(`${api}/graph-tokens/status`, { headers: { authorization: 'Bearer x.y.z' } });
  expect(status.status).toBe(503);
  const problem = (await status.json()) as { code: string; detail: string };
  expect(problem.code).toBe('CONFIGURATION_INVALID');
  expect(problem.detail).toMatch(/GRAPH_AUTHORITY_HOST.*GRAPH_PASSWORD|GRAPH_PASSWORD.*GRAPH_AUTHORITY_HOST/);
  expect(idpRequests).toEqual([]);
}, 30_000);
