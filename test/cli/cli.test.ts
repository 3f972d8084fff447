/**
 * `graph-tokens` as operators run it: a separate Node process, configured by its environment or by
 * local.settings.json, against the sandbox (identity provider over HTTPS, Graph, Azurite).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import {
  acquireResultSchema,
  cleanupSummarySchema,
  problemSchema,
  refreshSummarySchema,
  statusReportSchema,
  tokenListSchema,
  tokenRecordSchema,
  validateSummarySchema,
} from '../../src/http/schemas';
import { ensureSandboxCertificate, startSandbox, type Sandbox } from '../../src/sandbox';
import { runCli, STACK_FRAME, tempDir, type CliRun } from './helpers';

jest.setTimeout(120_000);

let sandbox: Sandbox;
let cwd: string;
let keyFile: string;
/** The sandbox's variables plus what the CLI process needs to trust the sandbox certificate. */
let env: Record<string, string>;
const secrets: string[] = [];

beforeAll(async () => {
  cwd = tempDir();
  keyFile = join(cwd, 'idp-signing-key.json');
  sandbox = await startSandbox({ idp: { signingKeyPath: keyFile } });
  env = {
    ...sandbox.env,
    NODE_EXTRA_CA_CERTS: ensureSandboxCertificate().certPath,
    SANDBOX_SIGNING_KEY_FILE: keyFile,
  };
  secrets.push(sandbox.env.GRAPH_PASSWORD!, sandbox.env.TOKEN_ENCRYPTION_KEY!);
});

afterAll(async () => {
  await sandbox?.close();
});

function cli(args: string[], extraEnv: Record<string, string> = {}, dir = cwd): Promise<CliRun> {
  return runCli(args, { env: { ...env, ...extraEnv }, cwd: dir });
}

/** No run may print a secret or a stack trace, whatever happens. */
function expectClean(run: CliRun): void {
  for (const secret of secrets) {
    expect(run.stdout).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
  }
  expect(run.stderr).not.toMatch(STACK_FRAME);
  expect(run.stdout).not.toMatch(STACK_FRAME);
}

function json(run: CliRun): unknown {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
  }
}

describe('usage', () => {
  test.each([
    [[]],
    ['status'],
    ['acquire'],
    ['refresh'],
    ['cleanup'],
    ['validate'],
    ['list'],
    ['deactivate'],
    ['rotate-key'],
    ['dev-token'],
  ])('--help on %s exits 0 and describes --json', async (command) => {
    const run = await cli([...([] as string[]).concat(command), '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: graph-tokens/);
    if (command.length > 0) expect(run.stdout).toContain('--json');
  });

  test('an unknown token type is a usage error naming --token-type', async () => {
    const run = await cli(['acquire', '--token-type', 'device_kode']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--token-type');
    expect(run.stderr).toMatch(/^error: /m);
    expectClean(run);
  });

  test('bad arguments exit 2 and name the argument', async () => {
    const limit = await cli(['list', '--limit', 'many']);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('--limit');
    const unknownOption = await cli(['status', '--verbosee']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain('--verbosee');
    const unknownCommand = await cli(['aquire']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toMatch(/unknown command 'aquire'/);
    const missingArgument = await cli(['deactivate']);
    expect(missingArgument.code).toBe(2);
    expect(missingArgument.stderr).toContain("missing required argument 'id'");
    const noCommand = await cli([]);
    expect(noCommand.code).toBe(2);
  });

  test('--version prints the package version', async () => {
    const run = await cli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('configuration errors', () => {
  test('a missing variable exits 2 and is named, for every command', async () => {
    const { GRAPH_CLIENT_ID: _omit, ...withoutClientId } = env;
    for (const command of ['status', 'acquire', 'list', 'refresh', 'validate', 'cleanup', 'rotate-key']) {
      const run = await runCli([command], { env: withoutClientId, cwd });
      expect({ command, code: run.code }).toEqual({ command, code: 2 });
      expect(run.stderr).toContain('GRAPH_CLIENT_ID');
      expect(run.stderr).toMatch(/^hint: /m);
      expectClean(run);
    }
  });

  test('with --json the error is problem details on stdout', async () => {
    const { GRAPH_USERNAME: _omit, ...withoutUser } = env;
    const run = await runCli(['acquire', '--json'], { env: withoutUser, cwd });
    expect(run.code).toBe(2);
    const problem = problemSchema.parse(json(run));
    expect(problem.code).toBe('CONFIGURATION_INVALID');
    expect(problem.detail).toContain('GRAPH_USERNAME');
  });

  test('a broken local.settings.json is a configuration error, not a crash', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'local.settings.json'), '{ "Values": ');
    const run = await cli(['status'], {}, dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('local.settings.json');
    expectClean(run);
  });
});

describe('dev-token', () => {
  test('prints a token the sandbox identity provider verifies, with the roles asked for', async () => {
    const run = await cli(['dev-token', '--role', 'GraphTokens.Read', '--role', 'Events.Create', '--json']);
    expect(run.code).toBe(0);
    const body = json(run) as { access_token: string; roles: string[]; audience: string; expires_in: number };
    expect(body.roles).toEqual(['GraphTokens.Read', 'Events.Create']);
    expect(body.audience).toBe(sandbox.env.API_AUDIENCE);
    const check = await sandbox.idp.verifyToken(body.access_token, { audience: sandbox.env.API_AUDIENCE });
    expect(check.ok).toBe(true);
    if (check.ok) {
      expect(check.claims.roles).toEqual(['GraphTokens.Read', 'Events.Create']);
      expect(check.claims.iss).toBe(`${sandbox.env.GRAPH_AUTHORITY_HOST}/${sandbox.env.GRAPH_TENANT}/v2.0`);
    }
  });

  test('without --json prints only the token, so $(graph-tokens dev-token) works', async () => {
    const run = await cli(['dev-token']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const check = await sandbox.idp.verifyToken(run.stdout.trim(), { audience: sandbox.env.API_AUDIENCE });
    expect(check.ok).toBe(true);
    if (check.ok) expect(check.claims.roles).toEqual(['GraphTokens.Admin']);
  });

  test('a negative --expires-in gives an expired token', async () => {
    const run = await cli(['dev-token', '--expires-in', '-120', '--audience', 'api://other']);
    expect(run.code).toBe(0);
    const check = await sandbox.idp.verifyToken(run.stdout.trim(), { audience: 'api://other' });
    expect(check).toEqual({ ok: false, reason: 'expired' });
  });

  test('is refused with a real tenant (exit 2, says why)', async () => {
    const run = await cli(['dev-token'], { GRAPH_AUTHORITY_HOST: 'https://login.microsoftonline.com' });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('GRAPH_AUTHORITY_HOST');
    expect(run.stderr).toMatch(/sandbox/);
    expect(run.stderr).toContain('code: DEV_TOKEN_REFUSED');
  });

  test('a missing signing key names where it was looked for', async () => {
    const run = await cli(['dev-token'], { SANDBOX_SIGNING_KEY_FILE: join(cwd, 'nope.json') });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nope.json');
    expect(run.stderr).toContain('npm start');
  });

  test('rejects a malformed role and an out-of-range lifetime', async () => {
    expect((await cli(['dev-token', '--role', 'Graph Tokens'])).code).toBe(2);
    const run = await cli(['dev-token', '--expires-in', '10d']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--expires-in');
  });
});

describe('token lifecycle', () => {
  let tokenId: string;

  test('acquire gets a token by password and prints the API shape', async () => {
    const run = await cli(['acquire', '--json']);
    expect(run.code).toBe(0);
    const result = acquireResultSchema.parse(json(run));
    expect(result.token.source).toBe('ropc');
    expect(result.token.account).toBe(sandbox.env.GRAPH_USERNAME);
    tokenId = result.token.id;
    expect(run.stdout).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // never the access token itself
    expectClean(run);
  });

  test('a second acquire in a new process is served from storage', async () => {
    const run = await cli(['acquire']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(tokenId);
    expect(run.stdout).toMatch(/Source\s+Table Storage/);
  });

  test('status shows the configuration, counts and the current token', async () => {
    const asJson = await cli(['status', '--json']);
    expect(asJson.code).toBe(0);
    const status = statusReportSchema.parse(json(asJson));
    expect(status.configuration.valid).toBe(true);
    expect(status.current?.id).toBe(tokenId);
    expect(status.tokens.active).toBe(1);

    const text = await cli(['status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Configuration\s+valid \(password from environment\)/m);
    expect(text.stdout).toMatch(/^Current token\s+\S+ \(ropc, /m);
    expect(text.stdout).toContain('Recent audit');
    expectClean(text);
  });

  test('list prints a table and the API list shape', async () => {
    const text = await cli(['list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ID\s+TYPE\s+ACCOUNT\s+ACTIVE\s+EXPIRES IN\s+USAGE\s+ERRORS\s+LAST ERROR$/m);
    expect(text.stdout).toContain(tokenId);

    const asJson = await cli(['list', '--json', '--limit', '10']);
    const list = tokenListSchema.parse(json(asJson));
    expect(list.items.map((t) => t.id)).toContain(tokenId);
  });

  test('validate checks the token against Graph', async () => {
    const run = await cli(['validate', '--json']);
    expect(run.code).toBe(0);
    const summary = validateSummarySchema.parse(json(run));
    expect(summary).toMatchObject({ success: true, validated: 1, valid: 1, invalid: 0 });
    const text = await cli(['validate', '--id', tokenId]);
    expect(text.stdout).toMatch(/Validated 1: 1 valid, 0 invalid, 0 unreachable\./);
  });

  test('refresh skips a token that is not due; --id refreshes it through the refresh token', async () => {
    const due = await cli(['refresh', '--json', '--token-type', 'ropc']);
    expect(due.code).toBe(0);
    const skipped = refreshSummarySchema.parse(json(due));
    expect(skipped).toMatchObject({ success: true, refreshed: 0, failed: 0 });
    expect(skipped.results).toEqual([expect.objectContaining({ id: tokenId, outcome: 'skipped' })]);
    const text = await cli(['refresh']);
    expect(text.stdout).toContain('not due yet');

    const run = await cli(['refresh', '--json', '--id', tokenId]);
    expect(run.code).toBe(0);
    const summary = refreshSummarySchema.parse(json(run));
    expect(summary.refreshed).toBe(1);
    expect(summary.results[0]!.source).toBe('refresh');
    const status = statusReportSchema.parse(json(await cli(['status', '--json'])));
    expect(status.current?.id).not.toBe(tokenId);
    expect(status.tokens.inactive).toBeGreaterThanOrEqual(1);
  });

  test('cleanup reports its counts', async () => {
    const run = await cli(['cleanup', '--json']);
    expect(run.code).toBe(0);
    cleanupSummarySchema.parse(json(run));
    const text = await cli(['cleanup']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Deactivated \d+ expired tokens?\.$/m);
  });

  test('rotate-key re-encrypts the stored tokens', async () => {
    const run = await cli(['rotate-key', '--json']);
    expect(run.code).toBe(0);
    const summary = json(run) as { success: boolean; key_version: string; rotated: number };
    expect(summary.success).toBe(true);
    expect(typeof summary.key_version).toBe('string');
    expect(summary.rotated).toBeGreaterThanOrEqual(0);
    expectClean(run);
  });

  test('a rejected password is an operation failure (exit 1) with code and hint', async () => {
    // No refresh token to fall back on, and the password is refused: the acquire must fail. The active
    // token goes first: a forced call within 10 s of an earlier forced refresh would share that token.
    const status = json(await cli(['status', '--json'])) as { current: { id: string } | null };
    if (status.current) expect((await cli(['deactivate', status.current.id])).code).toBe(0);
    sandbox.idp.revokeRefreshTokens();
    sandbox.idp.injectFault({ kind: 'aadsts', code: 50126, grant: 'password' });
    try {
      const run = await cli(['acquire', '--force']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: .*AADSTS50126/m);
      expect(run.stderr).toMatch(/^code: INVALID_CREDENTIALS$/m);
      expect(run.stderr).toMatch(/^hint: Wrong username or password/m);
      expect(run.stderr).toMatch(/^correlation id: [\w-]+$/m);
      expectClean(run);

      // Forcing never resends a rejected password: the credential is blocked now.
      const asJson = await cli(['acquire', '--force', '--json']);
      expect(asJson.code).toBe(1);
      const problem = problemSchema.parse(json(asJson));
      expect(problem.code).toBe('CREDENTIALS_BLOCKED');
      expect(sandbox.idp.counts.password).toBeGreaterThanOrEqual(1);
      const passwordGrants = sandbox.idp.counts.password;
      const status = statusReportSchema.parse(json(await cli(['status', '--json'])));
      expect(status.blocked?.description).toMatch(/rejected 1 time/);
      expect(sandbox.idp.counts.password).toBe(passwordGrants);
    } finally {
      sandbox.idp.clearFaults();
    }
    // The explicit override sends it once more; it is accepted now, which lifts the block.
    const retried = await cli(['acquire', '--retry-blocked-password', '--json']);
    expect(retried.code).toBe(0);
    expect(acquireResultSchema.parse(json(retried)).token.source).toBe('ropc');
    expect(statusReportSchema.parse(json(await cli(['status', '--json']))).blocked).toBeNull();
  });

  test('deactivate takes a token out of service; an unknown id fails with exit 1', async () => {
    const status = statusReportSchema.parse(json(await cli(['status', '--json'])));
    const id = status.current!.id;
    const run = await cli(['deactivate', id, '--reason', 'test', '--json']);
    expect(run.code).toBe(0);
    const record = tokenRecordSchema.parse(json(run));
    expect(record).toMatchObject({ id, is_active: false, deactivation_reason: 'manual' });

    const unknown = await cli(['deactivate', 'no-such-token']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^code: TOKEN_NOT_FOUND$/m);
  });
});

describe('shared configuration', () => {
  test('local.settings.json Values configure the CLI like the functions (the npm start case)', async () => {
    // A second "terminal": no sandbox variables in the environment, only the settings file npm start writes.
    const dir = tempDir();
    writeFileSync(
      join(dir, 'local.settings.json'),
      JSON.stringify({ IsEncrypted: false, Values: sandbox.env }),
    );
    const viaFile = await runCli(['list', '--json'], {
      env: { NODE_EXTRA_CA_CERTS: env.NODE_EXTRA_CA_CERTS! },
      cwd: dir,
    });
    expect(viaFile.code).toBe(0);
    const viaEnv = await cli(['list', '--json']);
    expect(
      tokenListSchema
        .parse(json(viaFile))
        .items.map((t) => t.id)
        .sort(),
    ).toEqual(
      tokenListSchema
        .parse(json(viaEnv))
        .items.map((t) => t.id)
        .sort(),
    );
  });

  test('the bin trusts the sandbox certificate by itself when NODE_EXTRA_CA_CERTS is not set', async () => {
    const { NODE_EXTRA_CA_CERTS: _omit, ...withoutCa } = env;
    const run = await runCli(['acquire', '--force', '--json'], { env: withoutCa, cwd });
    expect(run.code).toBe(0);
    acquireResultSchema.parse(json(run));
  });

  test('...also when NODE_EXTRA_CA_CERTS already names another bundle (it is kept)', async () => {
    const other = join(tempDir(), 'corporate-root.pem');
    writeFileSync(other, `${rootCertificates[0]}\n`);
    const run = await cli(['status', '--json'], { NODE_EXTRA_CA_CERTS: other });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    statusReportSchema.parse(json(run));
  });
});
