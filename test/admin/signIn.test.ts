/**
 * The delegated sign-in from the admin page in headless Chromium (docs/delegated.md): an MFA tenant
 * where every password grant is refused; the administrator clicks "Sign in the service account", signs in
 * on the sandbox identity provider's page, and comes back with the token stored — and a sign-in as
 * anyone else is refused with nothing stored.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureSandboxCertificate, SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../../src/sandbox';
import { launchChromium, type RunningHost, startHost } from './harness';

jest.setTimeout(90_000);

const ADMIN = 'admin@contoso.example';
let sandbox: Sandbox;
let host: RunningHost;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'graph-tokens-sign-in-'));
  const keyFile = join(dir, 'idp-signing-key.json');
  sandbox = await startSandbox({
    idp: {
      signingKeyPath: keyFile,
      users: [
        { username: SANDBOX_DEFAULTS.username, password: SANDBOX_DEFAULTS.password },
        { username: ADMIN, password: 'Admin-Passw0rd!' },
      ],
    },
  });
  sandbox.idp.setMfaRequired(true);
  const { GRAPH_PASSWORD: _password, ...env } = sandbox.env;
  host = await startHost({
    ...env,
    GRAPH_TOKEN_TYPE: 'delegated',
    NODE_EXTRA_CA_CERTS: ensureSandboxCertificate().certPath,
    SANDBOX_SIGNING_KEY_FILE: keyFile,
  });
  origin = new URL(host.url).origin;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await sandbox?.close();
});

/** Admin page → "Sign in the service account" → the sandbox sign-in page as `username` → back. */
async function signInServiceAccount(page: Page, username: string): Promise<void> {
  await page.waitForSelector('#action-sign-in-service:not([disabled])');
  await page.click('#action-sign-in-service');
  await page.waitForSelector('#confirm[open]');
  await Promise.all([page.waitForURL((url) => url.origin !== origin), page.click('#confirm-ok')]);
  await page.check(`input[name="username"][value="${username}"]`);
  await Promise.all([
    page.waitForURL((url) => url.origin === origin && url.pathname === '/api/admin'),
    page.click('button[value="sign_in"]'),
  ]);
}

test('an administrator signs the service account in from the admin page; anyone else is refused', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  try {
    await page.goto(`${origin}/api/admin`);
    await page.click('#sign-in-admin');
    await page.waitForSelector('#status-list');
    expect(await page.getAttribute('#token-types [data-type="delegated"]', 'data-state')).toBe('none');
    // Delegated: the page points at the sign-in, never at Acquire, and has no password to speak of.
    expect(await page.textContent('#current-token')).toBe('none — use "Sign in the service account"');
    expect(await page.textContent('#tokens-empty')).toContain('Sign in the service account');
    expect(await page.textContent('#status-list')).toContain(
      'delegated: signed in interactively, no password',
    );
    expect(await page.textContent('#status-list')).not.toContain('password from');

    // The administrator picks their own account: refused, nothing stored.
    await signInServiceAccount(page, ADMIN);
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toContain('SIGN_IN_WRONG_ACCOUNT');
    await page.waitForSelector('#status-list');
    expect(await page.getAttribute('#token-types [data-type="delegated"]', 'data-state')).toBe('none');

    // The service account: stored, shown, and no password grant anywhere.
    sandbox.idp.resetCounts();
    await signInServiceAccount(page, SANDBOX_DEFAULTS.username);
    await page.waitForSelector('#result:not([hidden])');
    expect(await page.textContent('#result')).toContain(`signed in as ${SANDBOX_DEFAULTS.username}`);
    expect(new URL(page.url()).search).toBe('');
    await page.waitForSelector('#token-types [data-type="delegated"][data-state="ok"]');
    expect(await page.textContent('#tokens tbody')).toContain('delegated');
    expect(sandbox.idp.counts).toMatchObject({ authorization_code: 1, password: 0 });

    // The delegated token creates a group event (the reason it exists), still without any password.
    const events = await fetch(`${origin}/api/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await sandbox.idp.signApiToken({ roles: ['Events.Create'] })}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        subject: 'Open day',
        start: '2026-12-01T09:00:00+01:00',
        end: '2026-12-01T11:00:00+01:00',
      }),
    });
    expect(events.status).toBe(201);
    expect(sandbox.graph.events.at(-1)).toMatchObject({ body: { subject: 'Open day' } });
    expect(sandbox.idp.counts.password).toBe(0);

    // A callback replayed without this browser's cookie is refused.
    const replay = await fetch(`${origin}/api/sign-in/callback?code=x&state=y`, { redirect: 'manual' });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toContain('code=SIGN_IN_STATE_INVALID');
    expect(problems).toEqual([]);
  } finally {
    await context.close();
  }
});
