/** The admin page's "Last syncs" in headless Chromium: a sync through the API shows up with its counts. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ensureSandboxCertificate, startSandbox, type Sandbox } from '../../src/sandbox';
import { launchChromium, type RunningHost, startHost } from './harness';

jest.setTimeout(90_000);

let sandbox: Sandbox;
let host: RunningHost;
let browser: Browser;

beforeAll(async () => {
  const keyFile = join(mkdtempSync(join(tmpdir(), 'graph-tokens-syncs-')), 'idp-signing-key.json');
  sandbox = await startSandbox({ keyVault: false, idp: { signingKeyPath: keyFile } });
  // The dev sign-in signs with the sandbox's key file.
  host = await startHost({
    ...sandbox.env,
    NODE_EXTRA_CA_CERTS: ensureSandboxCertificate().certPath,
    SANDBOX_SIGNING_KEY_FILE: keyFile,
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await sandbox?.close();
});

test('a sync appears under Last syncs with its scope, calendar and counts', async () => {
  const token = await sandbox.idp.signApiToken({ roles: ['Events.Create'] });
  const events = [1, 2, 3].map((n) => ({
    external_id: `adm-${n}`,
    subject: `Lecture ${n}`,
    start: `2027-09-0${n}T09:00:00Z`,
    end: `2027-09-0${n}T10:00:00Z`,
  }));
  const response = await fetch(`${host.url}/events/sync`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ scope: 'admin-page', events }),
  });
  expect(response.status).toBe(200);

  const page = await (await browser.newContext()).newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${new URL(host.url).origin}/api/admin`);
  await page.click('#sign-in-admin');
  await page.waitForSelector('#last-syncs tbody tr td:nth-child(3)');
  const cells = await page.$$eval('#last-syncs tbody tr:first-child td', (tds) =>
    tds.map((td) => td.textContent),
  );
  expect(cells.slice(2)).toEqual(['admin-page', 'default', '3', '0', '0', '0', '0', 'success']);
  expect(await page.textContent('#last-syncs-heading')).toBe('Last syncs');
  expect(problems).toEqual([]);
});
