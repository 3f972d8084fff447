/**
 * `graph-tokens sign-in` as a process (docs/delegated.md) in an MFA tenant: the device code flow
 * approved through the sandbox's control route while the CLI waits, the loopback browser flow driven
 * with fetch against the sandbox sign-in page, a wrong account refused (exit 1, code and hint), and
 * then a new process serving the stored token with no identity-provider request.
 */
import { spawn } from 'node:child_process';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../../src/sandbox';
import { BIN, runCli, STACK_FRAME, tempDir } from './helpers';

jest.setTimeout(90_000);

const ADMIN = 'admin@contoso.example';
let sandbox: Sandbox;
let env: Record<string, string>;

beforeAll(async () => {
  sandbox = await startSandbox({
    idp: {
      users: [
        { username: SANDBOX_DEFAULTS.username, password: SANDBOX_DEFAULTS.password },
        { username: ADMIN, password: 'Admin-Passw0rd!' },
      ],
      deviceCodeIntervalSeconds: 1,
    },
  });
  sandbox.idp.setMfaRequired(true);
  const { GRAPH_PASSWORD: _password, ...rest } = sandbox.env;
  env = {
    ...rest,
    GRAPH_TOKEN_TYPE: 'delegated',
    NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? '',
  };
});
afterAll(() => sandbox?.close());

interface Running {
  done: Promise<{ code: number; stdout: string; stderr: string }>;
  /** Resolves with the first match of `pattern` in stderr. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
}

/** The CLI as a process whose stderr is read while it waits. */
function start(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: tempDir(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve: (m: RegExpExecArray) => void }> = [];
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(stderr);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    }),
  );
  return {
    done,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const match = pattern.exec(stderr);
        if (match) return resolve(match);
        waiters.push({ pattern, resolve });
        void done.then(() => reject(new Error(`CLI exited before ${pattern}: ${stderr}`)));
      }),
  };
}

async function approve(userCode: string, username: string): Promise<void> {
  const response = await fetch(`${sandbox.idp.authorityHost}/_sandbox/device/approve`, {
    method: 'POST',
    body: JSON.stringify({ user_code: userCode, username }),
  });
  expect(response.status).toBe(204);
}

test('sign-in --device-code prints the message, waits for approval, stores the token, exits 0', async () => {
  sandbox.idp.resetCounts();
  const cli = start(['sign-in', '--device-code', '--json']);
  const [, userCode] = await cli.waitFor(/enter the code ([A-Z0-9]{9}) to authenticate/);
  await approve(userCode!, SANDBOX_DEFAULTS.username);
  const result = await cli.done;
  expect(result.code).toBe(0);
  expect(result.stderr).toMatch(
    /To sign in, use a web browser to open the page https:\/\/localhost:\d+\/devicelogin/,
  );
  const json = JSON.parse(result.stdout) as { success: boolean; account: string; token: { source: string } };
  expect(json).toMatchObject({
    success: true,
    account: SANDBOX_DEFAULTS.username,
    token: { source: 'sign_in' },
  });
  expect(result.stdout + result.stderr).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  expect(sandbox.idp.counts.password).toBe(0);

  // Another process serves it from storage: no identity-provider request at all.
  sandbox.idp.resetCounts();
  const status = await runCli(['acquire', '--json'], { env, cwd: tempDir() });
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ token: { token_type: 'delegated', source: 'storage' } });
  expect(sandbox.idp.counts.token).toBe(0);

  // Status says where the delegated token comes from, not "password from none".
  const text = await runCli(['status'], { env, cwd: tempDir() });
  expect(text.stdout).toMatch(/^Configuration\s+valid \(delegated: signed in interactively, no password\)$/m);
});

test('sign-in --device-code approved as another user exits 1 with SIGN_IN_WRONG_ACCOUNT', async () => {
  const cli = start(['sign-in', '--device-code']);
  const [, userCode] = await cli.waitFor(/enter the code ([A-Z0-9]{9})/);
  await approve(userCode!, ADMIN);
  const result = await cli.done;
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('code: SIGN_IN_WRONG_ACCOUNT');
  expect(result.stderr).toMatch(/hint: .*service account/);
  expect(result.stderr).not.toMatch(STACK_FRAME);
});

test('sign-in runs the browser flow with a loopback redirect, printing the URL', async () => {
  sandbox.idp.resetCounts();
  const cli = start(['sign-in', '--no-browser']);
  const [url] = await cli.waitFor(/https:\/\/localhost:\d+\/\S+\/oauth2\/v2\.0\/authorize\?\S+/);
  const page = await fetch(url);
  const html = await page.text();
  const requestId = /name="request" value="([^"]+)"/.exec(html)![1]!;
  const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
  const redirect = await fetch(new URL(action.replace(/&amp;/g, '&'), url), {
    method: 'POST',
    body: new URLSearchParams({ request: requestId, username: SANDBOX_DEFAULTS.username, action: 'sign_in' }),
    redirect: 'manual',
  });
  const back = await fetch(redirect.headers.get('location')!);
  expect(await back.text()).toContain(`Signed in as ${SANDBOX_DEFAULTS.username}`);
  const result = await cli.done;
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(`Signed in  ${SANDBOX_DEFAULTS.username} (delegated)`);
  expect(sandbox.idp.counts).toMatchObject({ authorization_code: 1, password: 0 });
});
