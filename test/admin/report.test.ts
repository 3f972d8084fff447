/**
 * The admin page's Report view and a token table of 10 000 rows, in headless Chromium against the local
 * host: the month's chart and figures (strict CSP: any violation fails the test), the active token
 * first, paging with "Load more". Screenshot: test-artifacts/admin/08-report.png, and with
 * UPDATE_SCREENSHOTS=1 docs/admin-report.png.
 */
import { TableClient, type TransactionAction } from '@azure/data-tables';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createTokenService } from '../../src/lib';
import { ensureSandboxCertificate, startSandbox, type Sandbox } from '../../src/sandbox';
import { FastClock, CapturingLogger } from '../lib/helpers';
import { ARTIFACTS, launchChromium, ROOT, type RunningHost, startHost } from './harness';

jest.setTimeout(120_000);

let sandbox: Sandbox;
let host: RunningHost;
let browser: Browser;
let env: Record<string, string>;
let activeId: string;

const DAY = 86_400_000;
const MONTH_START = Date.UTC(2026, 10, 1); // November 2026

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'graph-tokens-report-'));
  const keyFile = join(dir, 'idp-signing-key.json');
  sandbox = await startSandbox({ idp: { signingKeyPath: keyFile } });
  env = { ...sandbox.env, TOKEN_TABLE_NAME: `Report${Date.now().toString(36)}` };
  await seedMonth();
  await seedRows(10_000);
  host = await startHost({
    ...env,
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

/** November on the injected clock: a refresh most days, an outage on days 9–10, a blocked password on 20–21. */
async function seedMonth(): Promise<void> {
  const clock = new FastClock();
  const svc = createTokenService({ env, clock, logger: new CapturingLogger() });
  const to = (time: number): void => clock.advance(time - clock.now());
  const timer = { actor: 'timer', correlationId: randomUUID() };
  for (let day = 1; day <= 30; day++) {
    to(MONTH_START + (day - 1) * DAY + 8 * 3600_000);
    if (day === 9 || day === 10) sandbox.idp.injectFault({ kind: 'status', status: 503 });
    if (day === 20) {
      sandbox.idp.revokeRefreshTokens();
      sandbox.idp.injectFault({ kind: 'aadsts', code: 50126, grant: 'password' });
    }
    await svc.acquireToken({ forceRefresh: true, retryBlockedPassword: day === 22 }).catch(() => undefined);
    if (day % 3 === 0) await svc.refreshTokens({}, timer);
    sandbox.idp.clearFaults();
  }
  // Today: the active token the table shows first.
  clock.offset = 0;
  activeId = (await svc.acquireToken({ forceRefresh: true })).token.id;
  await svc.close();
}

/** Inactive rows straight into the table, 100 per entity-group transaction. */
async function seedRows(n: number): Promise<void> {
  const table = TableClient.fromConnectionString(env.AzureWebJobsStorage!, env.TOKEN_TABLE_NAME!, {
    allowInsecureConnection: true,
  });
  const old = new Date(Date.now() - 20 * DAY).toISOString();
  const batches: TransactionAction[][] = [];
  for (let i = 0; i < n; i += 100) {
    batches.push(
      Array.from({ length: Math.min(100, n - i) }, (): TransactionAction => [
        'create',
        {
          partitionKey: 'ropc',
          rowKey: randomUUID(),
          account: env.GRAPH_USERNAME,
          scopes: 'https://graph.microsoft.com/User.Read',
          is_active: false,
          created_at: old,
          updated_at: old,
          expires_at: old,
          deactivated_at: old,
          deactivation_reason: 'superseded',
          access_token_enc: '',
          key_version: 'seed',
        },
      ]),
    );
  }
  for (let i = 0; i < batches.length; i += 4) {
    await Promise.all(batches.slice(i, i + 4).map((b) => table.submitTransaction(b)));
  }
}

async function open(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${new URL(host.url).origin}/api/admin`);
  await page.waitForSelector('#sign-in-admin', { state: 'visible' });
  await page.click('#sign-in-admin');
  await page.waitForSelector('#status-list');
  return { page, problems };
}

test('the token table of 10 000 rows shows the active token first and pages with Load more', async () => {
  const { page, problems } = await open();
  await page.waitForSelector('#tokens tbody tr[data-active="true"]');
  const first = await page.$eval('#tokens tbody tr', (tr) => (tr as HTMLElement).dataset.id);
  expect(first).toBe(activeId);
  const count = async (): Promise<number> => page.$$eval('#tokens tbody tr', (trs) => trs.length);
  const before = await count();
  expect(before).toBeGreaterThanOrEqual(200);
  expect(await page.textContent('#tokens-count')).toMatch(/shown, more stored/);
  await page.click('#tokens-more');
  await page.waitForFunction((n) => document.querySelectorAll('#tokens tbody tr').length > n, before);
  expect(await count()).toBeGreaterThanOrEqual(before + 199);
  expect(await page.$eval('#tokens tbody tr', (tr) => (tr as HTMLElement).dataset.id)).toBe(activeId);
  expect(problems).toEqual([]);
  await page.context().close();
});

test('the Report view draws the month: chart, figures, errors with hints, block periods', async () => {
  const { page, problems } = await open();
  // The month starts on the current one (an empty month input renders as "--------- ----").
  expect(await page.inputValue('#report-month')).toBe(new Date().toISOString().slice(0, 7));
  await page.fill('#report-month', '2026-11');
  await page.click('#report-show');
  await page.waitForSelector('#report-summary');
  await page.waitForSelector('#report-chart');
  // The chart really drew: the canvas has pixels that are not transparent.
  const painted = await page.$eval('#report-chart', (canvas) => {
    const c = canvas as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });
  expect(painted).toBeGreaterThan(1000);
  const errors = (await page.textContent('#report-errors')) ?? '';
  expect(errors).toContain('INVALID_CREDENTIALS');
  expect(errors).toMatch(/Wrong username or password/);
  expect(await page.textContent('#report-blocks')).toMatch(/ropc: 2026-11-20T08:00[\s\S]*2026-11-22T08:00/);
  expect(await page.textContent('#report-no-token')).toMatch(/\d+ min/);
  // Layout at 1280 px: the chart uses the page's width, and no table is wider than its frame or the page.
  const layout = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth - window.innerWidth,
    chart: document.querySelector('.chart-box')!.getBoundingClientRect().width,
    section: document.querySelector('#report')!.getBoundingClientRect().width,
    overflowing: [...document.querySelectorAll('#report .table-wrap, #audit')].filter((el) => {
      const wrap = el.closest('.table-wrap')!;
      return wrap.scrollWidth > wrap.clientWidth;
    }).length,
  }));
  expect(layout.page).toBeLessThanOrEqual(0);
  expect(layout.chart).toBeGreaterThanOrEqual(layout.section - 1);
  expect(layout.overflowing).toBe(0);
  await page.locator('#report-heading').scrollIntoViewIfNeeded();
  const section = page.locator('section', { has: page.locator('#report-heading') });
  await section.screenshot({ path: join(ARTIFACTS, '08-report.png') });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    copyFileSync(join(ARTIFACTS, '08-report.png'), join(ROOT, 'docs', 'admin-report.png'));
  }
  expect(problems).toEqual([]);
  await page.context().close();
});
