/**
 * A crash loop never locks the account (docs/architecture.md write-ahead, docs/architecture.md): real worker processes are killed
 * (SIGKILL) while the sandbox identity provider holds their password grant, generation after
 * generation, and the test counts the password grants the identity provider *received*. Each generation's
 * clock runs 31 s further ahead (fixtures/crashWorker.js), past CREDENTIAL_UNCERTAIN_RETRY_SECONDS=30
 * and the killed holder's 15 s lease, so no one sleeps.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { freshEnv, rawTable } from './helpers';

jest.setTimeout(180_000);

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => {
  sandbox.idp.clearFaults();
  sandbox.idp.resetCounts();
});

const STEP_MS = 31_000;
const received = (): number => sandbox.idp.counts.password;

interface Generation {
  /** The worker's answer, or `killed` when it was killed while its grant was held. */
  outcome: 'killed' | { id?: string; source?: string; error?: string; retryAfterSeconds?: number };
}

/**
 * Runs one worker at `offsetMs`; kills it (SIGKILL) as soon as the identity provider has received a
 * password grant from it, i.e. while the grant is held and unanswered.
 */
async function generation(env: Record<string, string>, offsetMs: number, kill: boolean): Promise<Generation> {
  const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'crashWorker.js')], {
    env: { ...process.env, ...env, WORKER_CLOCK_OFFSET_MS: String(offsetMs) },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const before = received();
  child.stdin.end('go\n');
  let killed = false;
  let running = true;
  void exited.then(() => (running = false));
  while (running) {
    if (kill && received() > before) {
      child.kill('SIGKILL');
      killed = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await exited;
  if (killed) return { outcome: 'killed' };
  return { outcome: JSON.parse(out.trim().split('\n').pop() || '{}') as Generation['outcome'] };
}

/** Holds every password grant long enough to kill its sender (then answers into a closed socket). */
const holdPasswordGrants = (times?: number): void =>
  sandbox.idp.injectFault({ kind: 'delay', ms: 4000, grant: 'password', ...(times ? { times } : {}) });

const loopEnv = (extra: Record<string, string> = {}): Record<string, string> =>
  freshEnv(sandbox, { CREDENTIAL_UNCERTAIN_RETRY_SECONDS: '30', TOKEN_LEASE_SECONDS: '15', ...extra });

it('a wrong password in a crash loop of 8 killed generations is sent 3 times in all', async () => {
  const env = loopEnv({ GRAPH_PASSWORD: 'Wrong-Passw0rd!' });
  holdPasswordGrants();
  const outcomes: Generation['outcome'][] = [];
  for (let g = 0; g < 8; g++) {
    outcomes.push((await generation(env, g * STEP_MS, true)).outcome);
    if (g === 0) {
      // A successor past the lease but inside the uncertain window is told how long to wait, and
      // sends nothing.
      const early = (await generation(env, 16_000, true)).outcome;
      expect(early).toMatchObject({ error: 'IDENTITY_PROVIDER_UNAVAILABLE' });
      const wait = (early as { retryAfterSeconds: number }).retryAfterSeconds;
      expect(wait).toBeGreaterThanOrEqual(10);
      expect(wait).toBeLessThanOrEqual(15);
    }
  }
  expect(outcomes.slice(0, 3)).toEqual(['killed', 'killed', 'killed']);
  for (const later of outcomes.slice(3)) expect(later).toEqual({ error: 'CREDENTIALS_BLOCKED' });
  expect(received()).toBe(3);
  // The identity provider answers normally again: the blocked credential is still never sent.
  sandbox.idp.clearFaults();
  expect((await generation(env, 9 * STEP_MS, false)).outcome).toEqual({ error: 'CREDENTIALS_BLOCKED' });
  expect(received()).toBe(3);
  const row = await rawTable(env).getEntity<{ credentials: string }>('ropc', '~state');
  const state = JSON.parse(row.credentials) as { rejected: { rejections: number; code: string }[] };
  expect(state.rejected[0]).toMatchObject({ code: 'IDENTITY_PROVIDER_UNAVAILABLE', rejections: 1 });
  expect(row.credentials).not.toContain('Wrong-Passw0rd!');
});

it('the right password in a crash loop: 2 killed generations, the 3rd gets the token, 3 sends in all', async () => {
  const env = loopEnv();
  holdPasswordGrants(2);
  const outcomes: Generation['outcome'][] = [];
  for (let g = 0; g < 8; g++) outcomes.push((await generation(env, g * STEP_MS, g < 2)).outcome);
  expect(outcomes.slice(0, 2)).toEqual(['killed', 'killed']);
  expect(outcomes[2]).toMatchObject({ source: 'ropc' });
  const id = (outcomes[2] as { id: string }).id;
  for (const later of outcomes.slice(3)) expect(later).toEqual({ id, source: 'storage' });
  expect(received()).toBe(3);
  // The success replaced the write-ahead record and ended the uncertain streak.
  const row = await rawTable(env).getEntity<{ credentials: string }>('ropc', '~state');
  expect(JSON.parse(row.credentials)).toMatchObject({ uncertain: null, rejected: [] });
  expect(JSON.parse(row.credentials).attempt).toBeUndefined();
});

it('the right password with every generation killed: 3 sends, then the credential is blocked', async () => {
  const env = loopEnv();
  holdPasswordGrants();
  for (let g = 0; g < 8; g++) await generation(env, g * STEP_MS, true);
  expect(received()).toBe(3);
  sandbox.idp.clearFaults();
  expect((await generation(env, 9 * STEP_MS, false)).outcome).toEqual({ error: 'CREDENTIALS_BLOCKED' });
  expect(received()).toBe(3);
});
