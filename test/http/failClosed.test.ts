/**
 * Fail closed in Azure, in process with the real @azure/functions objects (docs/operations.md): with
 * WEBSITE_INSTANCE_ID set and the sandbox's loopback endpoints, the library entry refuses without any
 * network, routes answer 503 CONFIGURATION_INVALID, the timers log once and do nothing, and the identity
 * provider and Key Vault stand-ins see no request. (test/e2e/failClosed runs the same through the local
 * host process.)
 */
import { HttpRequest, InvocationContext, type Timer } from '@azure/functions';
import type * as Lib from '../../src/lib';
import type * as StatusFunction from '../../src/functions/tokenStatus';
import type * as Timers from '../../src/functions/timers';
import { ensureSandboxCertificate, SandboxIdentityProvider, SandboxKeyVault } from '../../src/sandbox';

let idp: SandboxIdentityProvider;
let vault: SandboxKeyVault;
const requests: string[] = [];
const saved = { ...process.env };
let lib: typeof Lib;
let timers: typeof Timers;
let status: typeof StatusFunction;

beforeAll(async () => {
  const certificate = ensureSandboxCertificate();
  const onRequest = (e: { service: string; path: string }): number => requests.push(`${e.service} ${e.path}`);
  idp = await SandboxIdentityProvider.start({ certificate, onRequest });
  vault = await SandboxKeyVault.start({ identityProvider: idp, certificate, onRequest });
  Object.assign(process.env, {
    WEBSITE_INSTANCE_ID: 'instance-1',
    GRAPH_CLIENT_ID: idp.clientId,
    GRAPH_TENANT: idp.tenant,
    GRAPH_USERNAME: idp.usernames[0],
    GRAPH_AUTHORITY_HOST: idp.authorityHost,
    KEY_VAULT_URL: vault.url,
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    API_AUDIENCE: idp.apiAudience,
  });
  delete process.env.GRAPH_PASSWORD;
  delete process.env.TOKEN_ENCRYPTION_KEY;
  // Outside the Functions worker, @azure/functions warns that it skips each registration: expected here.
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports -- fresh modules for this environment */
      lib = require('../../src/lib') as typeof Lib;
      timers = require('../../src/functions/timers') as typeof Timers;
      status = require('../../src/functions/tokenStatus') as typeof StatusFunction;
      /* eslint-enable @typescript-eslint/no-require-imports */
    });
  } finally {
    warn.mockRestore();
  }
});

afterAll(async () => {
  process.env = saved;
  await vault?.close();
  await idp?.close();
});

it('the library entry rejects with CONFIGURATION_INVALID naming the variables, without network', async () => {
  const refused = await lib.getGraphAccessToken().then(
    () => null,
    (error: unknown) => error as Lib.GraphTokenError,
  );
  expect(refused?.code).toBe('CONFIGURATION_INVALID');
  expect(refused?.status).toBe(503);
  for (const name of ['GRAPH_AUTHORITY_HOST', 'KEY_VAULT_URL', 'TOKEN_TABLE_ENDPOINT']) {
    expect(refused?.message).toContain(name);
  }
  expect(() => lib.createTokenService()).toThrow(/configuration is invalid in Azure/);
  // Outside Azure the same settings only report the problem (a laptop's CLI `status` shows it).
  const { WEBSITE_INSTANCE_ID: _omit, ...local } = process.env;
  expect(lib.loadConfig(local).failClosed).toBe(false);
  expect(requests).toEqual([]);
});

it('a route answers 503 problem+json and the timers log once and do nothing', async () => {
  const response = await status.tokenStatus(
    new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/graph-tokens/status' }),
    new InvocationContext({ functionName: 'tokenStatus' }),
  );
  expect(response.status).toBe(503);
  expect((response.headers as Record<string, string>)['content-type']).toBe('application/problem+json');
  expect(JSON.parse(response.body as string)).toMatchObject({ code: 'CONFIGURATION_INVALID' });

  const lines: string[] = [];
  const timer = { isPastDue: false } as Timer;
  for (let run = 0; run < 3; run++) {
    const context = new InvocationContext({
      functionName: 'refreshTimer',
      logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
    });
    await timers.refreshTimer(timer, context);
    await timers.cleanupTimer(timer, context);
  }
  const events = lines.map((l) => JSON.parse(l) as { event: string; job: string; variables: string[] });
  expect(events.map((e) => `${e.event} ${e.job}`)).toEqual([
    'timer.disabled refresh',
    'timer.disabled cleanup',
  ]);
  expect(events[0]!.variables).toEqual(expect.arrayContaining(['GRAPH_AUTHORITY_HOST', 'KEY_VAULT_URL']));
  expect(requests).toEqual([]);
});
