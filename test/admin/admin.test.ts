/**
 * The admin page (docs/admin.md) in headless Chromium, served by the local Functions host (a separate process)
 * in front of the sandbox: dev sign-in, the token table, actions with confirmation, errors with their
 * hint, and a read-only user who can look but not act. Screenshots go to test-artifacts/admin/; with
 * UPDATE_SCREENSHOTS=1 the one in docs/ is refreshed too.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureSandboxCertificate, startSandbox, type Sandbox } from '../../src/sandbox';
import { ARTIFACTS, launchChromium, ROOT, type RunningHost, startHost } from './harness';

jest.setTimeout(120_000);

let sandbox: Sandbox;
let host: RunningHost;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'graph-tokens-admin-'));
  const keyFile = join(dir, 'idp-signing-key.json');
  sandbox = await startSandbox({ idp: { signingKeyPath: keyFile } });
  host = await startHost({
    ...sandbox.env,
    NODE_EXTRA_CA_CERTS: ensureSandboxCertificate().certPath,
    SANDBOX_SIGNING_KEY_FILE: keyFile,
    // The page's own actions are under test: the refresh timer must not acquire a token on a 5-minute
    // boundary in the middle of them (once a year, on 1 January at midnight).
    REFRESH_SCHEDULE: '0 0 0 1 1 *',
  });
  origin = new URL(host.url).origin;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await sandbox?.close();
});

/** Deactivates the active token through the API, so the next forced refresh goes to the identity provider. */
async function deactivateActiveToken(): Promise<void> {
  const headers = {
    authorization: `Bearer ${await sandbox.idp.signApiToken({ roles: ['GraphTokens.Admin'] })}`,
  };
  const status = (await (await fetch(`${origin}/api/graph-tokens/status`, { headers })).json()) as {
    current: { id: string } | null;
  };
  if (!status.current) return;
  const answer = await fetch(`${origin}/api/graph-tokens/${status.current.id}/deactivate`, {
    method: 'POST',
    headers,
  });
  expect(answer.status).toBe(200);
}

/** A page that fails the test on any script error or Content-Security-Policy violation. */
async function openPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of (401|403|409|502|503)/.test(message.text())) {
      problems.push(`console: ${message.text()}`);
    }
  });
  await page.goto(`${origin}/api/admin`);
  return { page, problems };
}

async function signIn(page: Page, who: 'admin' | 'read'): Promise<void> {
  await page.click(who === 'admin' ? '#sign-in-admin' : '#sign-in-read');
  await page.waitForSelector('#content:not([hidden])');
  await page.waitForSelector('#status-list');
}

/** Clicks an action, checks the confirmation dialog, confirms, and waits for the result or the error. */
async function act(page: Page, button: string, expectTitle: RegExp): Promise<'result' | 'error'> {
  await page.click(button);
  const dialog = page.locator('#confirm');
  await dialog.waitFor({ state: 'visible' });
  expect(await page.textContent('#confirm-title')).toMatch(expectTitle);
  await page.click('#confirm-ok');
  await dialog.waitFor({ state: 'hidden' });
  const outcome = await Promise.race([
    page.waitForSelector('#result:not([hidden])').then(() => 'result' as const),
    page.waitForSelector('#error:not([hidden])').then(() => 'error' as const),
  ]);
  await page.waitForFunction(() => document.querySelector('main')?.getAttribute('aria-busy') === 'false');
  return outcome;
}

async function rows(page: Page): Promise<Array<{ id: string; active: boolean; text: string }>> {
  return page.$$eval('#tokens tbody tr', (trs) =>
    trs.map((tr) => ({
      id: (tr as HTMLElement).dataset.id ?? '',
      active: (tr as HTMLElement).dataset.active === 'true',
      text: tr.textContent ?? '',
    })),
  );
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe('serving', () => {
  test('the page comes with a strict Content-Security-Policy and no inline script or style', async () => {
    for (const path of ['/api/admin', '/api/admin/']) {
      const response = await fetch(`${origin}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = response.headers.get('content-security-policy') ?? '';
      for (const directive of [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ]) {
        expect(csp).toContain(directive);
      }
      expect(csp).toContain(`connect-src 'self' ${new URL(sandbox.env.GRAPH_AUTHORITY_HOST!).origin}`);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-correlation-id')).toBeTruthy();
      const html = await response.text();
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
      expect(html).not.toMatch(/\sstyle=/i);
      expect(html).not.toMatch(/\son[a-z]+=/i);
      expect(html).not.toMatch(/https?:\/\/(?!localhost)/); // no CDN
    }
    const js = await fetch(`${origin}/api/admin/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    // Read every body: an unread one holds its connection open (paused) past the end of the file, which
    // kept the jest worker from exiting.
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(0);
    for (const path of ['/api/admin/../package.json', '/api/admin/main.ts']) {
      const missing = await fetch(`${origin}${path}`);
      await missing.arrayBuffer();
      expect(missing.status).toBe(404);
    }
  });

  test('config.json tells the page how to sign in', async () => {
    const response = await fetch(`${origin}/api/admin/config.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      mode: 'sandbox',
      authority: `${sandbox.env.GRAPH_AUTHORITY_HOST}/${sandbox.env.GRAPH_TENANT}`,
      clientId: null,
      scopes: [`${sandbox.env.API_AUDIENCE}/.default`],
    });
  });

  test('dev sign-in issues a short-lived token for a known role only', async () => {
    const ok = await fetch(`${origin}/api/admin/dev-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'GraphTokens.Read' }),
    });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { access_token: string; roles: string[]; expires_in: number };
    expect(body.roles).toEqual(['GraphTokens.Read']);
    expect(body.expires_in).toBeLessThanOrEqual(3600);
    const check = await sandbox.idp.verifyToken(body.access_token, { audience: sandbox.env.API_AUDIENCE });
    expect(check.ok).toBe(true);

    const bad = await fetch(`${origin}/api/admin/dev-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'Global.Administrator' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('INVALID_REQUEST');
    const text = await fetch(`${origin}/api/admin/dev-sign-in`, { method: 'POST', body: 'role=x' });
    expect(text.status).toBe(415);
    const get = await fetch(`${origin}/api/admin/dev-sign-in`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});

describe('an administrator', () => {
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ({ page, problems } = await openPage(context));
  });

  afterAll(async () => {
    await context?.close();
  });

  afterEach(() => {
    expect(problems).toEqual([]);
  });

  test('signs in without a password in the sandbox and sees an empty table', async () => {
    // The page shows its sign-in buttons once config.json has loaded: wait for that, not a fixed moment.
    await page.waitForSelector('#sign-in-admin', { state: 'visible' });
    expect(await page.isVisible('#sign-in-admin')).toBe(true);
    expect(await page.isVisible('#sign-in-read')).toBe(true);
    expect(await page.textContent('#mode')).toBe('Local sandbox');
    await screenshot(page, '01-signed-out');
    await signIn(page, 'admin');
    expect(await page.textContent('#user')).toContain('Admin');
    expect(await page.isVisible('#tokens-empty')).toBe(true);
    expect(await page.textContent('#tokens-empty')).toContain('Use Acquire');
    expect(await page.textContent('#status-list')).toContain('password from environment');
    // ropc never needs the interactive sign-in of the service account: not offered.
    expect(await page.isVisible('#action-sign-in-service')).toBe(false);
    expect(await page.isDisabled('#action-acquire')).toBe(false);
    expect(await page.isDisabled('#bulk-validate')).toBe(true); // nothing selected
  });

  test('says which role does what', async () => {
    await page.click('#roles summary');
    const roles = (await page.textContent('#roles')) ?? '';
    for (const role of [
      'GraphTokens.Read',
      'GraphTokens.Admin',
      'Events.Read',
      'Events.Create',
      'Events.Manage',
    ])
      expect(roles).toContain(role);
    expect(roles).toMatch(/Events\.Create\s*create events; read, change, cancel and delete its own/);
    expect(await page.isVisible('#roles table')).toBe(true);
    await page.click('#roles summary');
  });

  test('acquires a token and sees it in the table and the audit', async () => {
    expect(await act(page, '#action-acquire', /Acquire/)).toBe('result');
    expect(await page.textContent('#result')).toMatch(/from a password \(ROPC\) grant, expires in/);
    const table = await rows(page);
    expect(table).toHaveLength(1);
    expect(table[0]!.active).toBe(true);
    expect(table[0]!.text).toContain(sandbox.env.GRAPH_USERNAME);
    expect(await page.textContent('#current-token')).toContain(sandbox.env.GRAPH_USERNAME);
    expect(await page.textContent('#audit')).toContain('dev-admin@sandbox.localhost');
    await screenshot(page, '02-acquired');
  });

  test('force refresh replaces the token; bulk-validate checks the two selected rows', async () => {
    expect(await act(page, '#action-force-refresh', /Force refresh/)).toBe('result');
    let table = await rows(page);
    expect(table).toHaveLength(2);
    expect(table.filter((r) => r.active)).toHaveLength(1);

    for (const row of table) await page.check(`#tokens input[data-id="${row.id}"]`);
    expect(await page.textContent('#selection-count')).toBe('2 tokens selected');
    expect(await page.isDisabled('#bulk-validate')).toBe(false);
    expect(await act(page, '#bulk-validate', /Validate selected/)).toBe('result');
    const result = (await page.textContent('#result')) ?? '';
    expect(result).toContain('Validated 2: 2 valid, 0 invalid, 0 unreachable.');
    for (const row of table) expect(result).toContain(row.id);
    table = await rows(page);
    expect(table).toHaveLength(2);
    await screenshot(page, '03-bulk-validated');
  });

  test('Escape cancels a confirmation and sends nothing', async () => {
    const posts: string[] = [];
    const listener = (request: { method(): string; url(): string }): void => {
      if (request.method() === 'POST') posts.push(request.url());
    };
    page.on('request', listener);
    await page.focus('#action-cleanup');
    await page.keyboard.press('Enter');
    await page.locator('#confirm').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-cancel');
    await page.keyboard.press('Escape');
    await page.locator('#confirm').waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('action-cleanup');
    await page.waitForTimeout(300);
    page.off('request', listener);
    expect(posts).toEqual([]);
  });

  test('sees the error code and its hint when the identity provider refuses the password', async () => {
    // No refresh token to fall back on, and the password is refused (AADSTS50126). The active token goes
    // first: a forced refresh within 10 s of an earlier one would share that token instead of sending.
    await deactivateActiveToken();
    sandbox.idp.revokeRefreshTokens();
    sandbox.idp.injectFault({ kind: 'aadsts', code: 50126, grant: 'password' });
    try {
      expect(await act(page, '#action-force-refresh', /Force refresh/)).toBe('error');
      const error = (await page.textContent('#error')) ?? '';
      expect(error).toContain('INVALID_CREDENTIALS');
      expect(error).toContain('AADSTS50126');
      expect(error).toMatch(/Hint: Wrong username or password/);
      expect(error).toMatch(/Correlation id: \S+/);
      // The status summary carries the credential block with the same hint.
      await page.waitForSelector('#blocked');
      expect(await page.textContent('#blocked')).toMatch(
        /INVALID_CREDENTIALS[\s\S]*Hint: Wrong username or password/,
      );
      await screenshot(page, '04-error-with-hint');
      if (process.env.UPDATE_SCREENSHOTS === '1') {
        copyFileSync(join(ARTIFACTS, '04-error-with-hint.png'), join(ROOT, 'docs', 'admin-page.png'));
      }
    } finally {
      sandbox.idp.clearFaults();
    }
  });

  test('force refresh never resends the blocked password; "Try the password again" needs a typed confirmation', async () => {
    const before = sandbox.idp.counts.password;
    expect(await act(page, '#action-force-refresh', /Force refresh/)).toBe('error');
    expect(await page.textContent('#error')).toContain('CREDENTIALS_BLOCKED');
    expect(sandbox.idp.counts.password).toBe(before);
    await page.waitForSelector('#blocked-description');
    expect(await page.textContent('#blocked-description')).toMatch(
      /GRAPH_PASSWORD for svc-graph@contoso\.example rejected 1 time/,
    );
    await page.waitForSelector('#action-retry-password', { state: 'visible' });
    await page.click('#action-retry-password');
    await page.locator('#confirm').waitFor({ state: 'visible' });
    expect(await page.textContent('#confirm-title')).toBe('Try the password again');
    expect(await page.isDisabled('#confirm-ok')).toBe(true);
    await page.fill('#confirm-typed', 'retry');
    expect(await page.isDisabled('#confirm-ok')).toBe(true);
    await page.fill('#confirm-typed', 'RETRY');
    expect(await page.isDisabled('#confirm-ok')).toBe(false);
    await screenshot(page, '05-retry-password-confirmation');
    await page.click('#confirm-ok');
    await page.waitForSelector('#result:not([hidden])');
    await page.waitForFunction(() => document.querySelector('main')?.getAttribute('aria-busy') === 'false');
    expect(await page.textContent('#result')).toMatch(/from a password \(ROPC\) grant/);
    expect(sandbox.idp.counts.password).toBe(before + 1);
    expect(await page.isVisible('#blocked')).toBe(false);
    expect(await page.isVisible('#action-retry-password')).toBe(false);
  });

  test('bulk-deactivates the selected active token', async () => {
    const active = (await rows(page)).find((r) => r.active)!;
    await page.uncheck('#select-all').catch(() => undefined);
    await page.check(`#tokens input[data-id="${active.id}"]`);
    expect(await act(page, '#bulk-deactivate', /Deactivate selected/)).toBe('result');
    expect(await page.textContent('#result')).toContain(`${active.id}: deactivated (manual)`);
    const after = (await rows(page)).find((r) => r.id === active.id)!;
    expect(after.active).toBe(false);
    expect(after.text).toContain('no (manual)');
  });

  test('every control has an accessible name', async () => {
    const unnamed = await page.$$eval('button, input, select, textarea', (elements) =>
      elements
        .filter((e) => {
          const label = e.getAttribute('aria-label') ?? e.textContent?.trim() ?? '';
          const labelled = e.id ? document.querySelector(`label[for="${e.id}"]`) : null;
          return label === '' && !labelled;
        })
        .map((e) => e.outerHTML),
    );
    expect(unnamed).toEqual([]);
  });
});

describe('a read-only user', () => {
  test('sees tokens and audit, cannot act, and is refused by the API when trying anyway', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const { page, problems } = await openPage(context);
      await signIn(page, 'read');
      expect(await page.textContent('#user')).toContain('Read-only');
      expect(await page.isVisible('#read-only-note')).toBe(true);
      expect((await rows(page)).length).toBeGreaterThan(0);
      const enabled = await page.$$eval('.admin-action', (buttons) =>
        buttons.filter((b) => !(b as HTMLButtonElement).disabled).map((b) => b.id),
      );
      expect(enabled).toEqual([]);
      expect(await page.getAttribute('#action-acquire', 'title')).toContain('GraphTokens.Admin');
      await screenshot(page, '05-read-only');

      // A determined user re-enables the button: the API still says no, and the page shows why.
      await page.evaluate(() => {
        (document.getElementById('action-acquire') as HTMLButtonElement).disabled = false;
      });
      expect(await act(page, '#action-acquire', /Acquire/)).toBe('error');
      const error = (await page.textContent('#error')) ?? '';
      expect(error).toContain('FORBIDDEN');
      expect(error).toContain('403');
      expect(error).toMatch(/Hint: /);
      expect(await page.isDisabled('#action-acquire')).toBe(true);
      await screenshot(page, '06-read-only-refused');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('Entra ID sign-in (authorization code + PKCE, MSAL Browser)', () => {
  /**
   * The sandbox identity provider has no interactive /authorize page, so this test plays Entra ID's
   * part of the browser flow: it answers /authorize with a redirect carrying a code, and /token with
   * a token only if the PKCE verifier matches the challenge. Everything in the page is the real thing:
   * the bundled MSAL, the redirect bridge page, the CSP, and API calls with the access token.
   */
  test('signs in through the redirect bridge and calls the API with the access token', async () => {
    const idp = new URL(sandbox.env.GRAPH_AUTHORITY_HOST!).origin;
    const tenant = sandbox.env.GRAPH_TENANT!;
    const clientId = 'aaaaaaaa-0000-4000-8000-00000000a0a0';
    const scope = `${sandbox.env.API_AUDIENCE}/.default`;
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      ignoreHTTPSErrors: true,
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    let authorize: URL | undefined;
    let tokenForm: URLSearchParams | undefined;
    try {
      await page.route('**/api/admin/config.json', (route) =>
        route.fulfill({
          contentType: 'application/json',
          body: JSON.stringify({ mode: 'entra', authority: `${idp}/${tenant}`, clientId, scopes: [scope] }),
        }),
      );
      // Entra ID answers discovery with CORS headers; the sandbox's server-to-server stand-in does not.
      await page.route(`${idp}/**`, async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, headers: { ...response.headers(), ...corsHeaders() } });
      });
      await page.route(`${idp}/${tenant}/oauth2/v2.0/authorize**`, async (route) => {
        authorize = new URL(route.request().url());
        const back = new URL(authorize.searchParams.get('redirect_uri')!);
        const params = new URLSearchParams({
          code: 'sandbox-auth-code',
          state: authorize.searchParams.get('state')!,
        });
        if (authorize.searchParams.get('response_mode') === 'query') back.search = params.toString();
        else back.hash = params.toString();
        await route.fulfill({ status: 302, headers: { location: back.toString() } });
      });
      await page.route(`${idp}/${tenant}/oauth2/v2.0/token**`, async (route) => {
        if (route.request().method() === 'OPTIONS') {
          await route.fulfill({ status: 204, headers: corsHeaders() });
          return;
        }
        tokenForm = new URLSearchParams(route.request().postData() ?? '');
        const verifier = tokenForm.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (
          tokenForm.get('code') !== 'sandbox-auth-code' ||
          challenge !== authorize?.searchParams.get('code_challenge')
        ) {
          await route.fulfill({ status: 400, headers: corsHeaders(), json: { error: 'invalid_grant' } });
          return;
        }
        const user = {
          oid: '66666666-6666-4666-8666-666666666666',
          upn: 'ana@contoso.example',
          name: 'Ana Admin',
        };
        const accessToken = await sandbox.idp.signApiToken({ roles: ['GraphTokens.Admin'], ...user });
        const now = Math.floor(Date.now() / 1000);
        const idToken = unsignedJwt({
          aud: clientId,
          iss: `${sandbox.env.GRAPH_AUTHORITY_HOST}/${tenant}/v2.0`,
          iat: now,
          nbf: now,
          exp: now + 3600,
          nonce: authorize!.searchParams.get('nonce'),
          oid: user.oid,
          sub: user.oid,
          tid: tenant,
          name: user.name,
          preferred_username: user.upn,
          ver: '2.0',
        });
        await route.fulfill({
          headers: corsHeaders(),
          json: {
            token_type: 'Bearer',
            scope,
            expires_in: 3600,
            ext_expires_in: 3600,
            access_token: accessToken,
            id_token: idToken,
            client_info: Buffer.from(JSON.stringify({ uid: user.oid, utid: tenant })).toString('base64url'),
          },
        });
      });

      await page.goto(`${origin}/api/admin`);
      await page.waitForSelector('#sign-in:not([hidden])');
      expect(await page.textContent('#mode')).toBe('Entra ID');
      expect(await page.isVisible('#sign-in-admin')).toBe(false); // no dev sign-in outside the sandbox
      await page.click('#sign-in');
      await page.waitForSelector('#content:not([hidden])', { timeout: 30_000 });

      expect(authorize).toBeDefined();
      expect(authorize!.searchParams.get('client_id')).toBe(clientId);
      expect(authorize!.searchParams.get('response_type')).toBe('code');
      expect(authorize!.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorize!.searchParams.get('redirect_uri')).toBe(`${origin}/api/admin/redirect.html`);
      expect(authorize!.searchParams.get('scope')?.split(' ')).toContain(scope);
      expect(tokenForm?.get('grant_type')).toBe('authorization_code');
      expect(tokenForm?.has('client_secret')).toBe(false); // a public client: PKCE, no secret

      expect(await page.textContent('#user')).toContain('Ana Admin');
      expect(await page.textContent('#user')).toContain('Admin');
      await page.waitForSelector('#status-list');
      // The API accepted the access token: status rendered, no problem shown.
      expect(await page.textContent('#config-state')).toBe('valid');
      expect(await page.isVisible('#error')).toBe(false);
      await screenshot(page, '07-entra-signed-in');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

function corsHeaders(): Record<string, string> {
  return {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': '*',
    'access-control-allow-methods': 'POST, OPTIONS',
  };
}

function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  // MSAL Browser does not verify the ID token's signature (it came straight from the token endpoint).
  return `${part({ alg: 'RS256', typ: 'JWT', kid: 'test' })}.${part(claims)}.c2lnbmF0dXJl`;
}
