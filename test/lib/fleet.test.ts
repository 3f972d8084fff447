import { startSandbox, type Sandbox } from '../../src/sandbox';
import { freshEnv } from './helpers';
import { startWorker } from './workers';

jest.setTimeout(120_000);

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
});
afterAll(async () => {
  await sandbox?.close();
});

it('8 processes sharing one table send exactly one token request in total', async () => {
  const env = freshEnv(sandbox);
  sandbox.idp.resetCounts();
  const workers = Array.from({ length: 8 }, () => startWorker(env));
  await Promise.all(workers.map((w) => w.ready));
  workers.forEach((w) => w.go());
  const results = await Promise.all(workers.map((w) => w.done));
  expect(results.every((r) => r.id !== undefined)).toBe(true);
  expect(new Set(results.map((r) => r.id)).size).toBe(1);
  expect(sandbox.idp.counts.token).toBe(1);
  expect(results.filter((r) => r.source === 'ropc')).toHaveLength(1);
});
