import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applySettings,
  readLocalSettings,
  readRoutePrefix,
  resolveEntryPoints,
} from '../../src/host/appFiles';
import type { Registration } from '../../src/host/functionsCore';
import type { FunctionInvoker } from '../../src/host/invoker';
import { TimerScheduler, resolveSchedule, timerFunctions } from '../../src/host/timerScheduler';

describe('app files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gtm-host-'));
  mkdirSync(join(dir, 'dist', 'functions', 'nested'), { recursive: true });
  for (const f of ['a.js', 'b.js', 'a.js.map', 'a.d.ts', 'nested/c.js'])
    writeFileSync(join(dir, 'dist', 'functions', f), '');

  it('expands package.json main globs as the worker does', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ main: 'dist/functions/*.js' }));
    expect(resolveEntryPoints(dir).map((f) => f.slice(dir.length + 1))).toEqual([
      'dist/functions/a.js',
      'dist/functions/b.js',
    ]);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ main: 'dist/functions/**/*.js' }));
    expect(resolveEntryPoints(dir)).toHaveLength(3);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ main: 'dist/functions/{a,b}.js' }));
    expect(resolveEntryPoints(dir)).toHaveLength(2);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ main: 'dist/functions/a.js' }));
    expect(resolveEntryPoints(dir)).toEqual([join(dir, 'dist', 'functions', 'a.js')]);
  });

  it('reads local.settings.json and lets the environment win', () => {
    const file = join(dir, 'local.settings.json');
    writeFileSync(
      file,
      JSON.stringify({ Values: { A: 'from-file', B: 'from-file', N: 5 }, Host: { LocalHttpPort: 7000 } }),
    );
    const settings = readLocalSettings(file);
    expect(settings).toEqual({ values: { A: 'from-file', B: 'from-file', N: '5' }, localHttpPort: 7000 });
    const env: NodeJS.ProcessEnv = { A: 'from-env' };
    applySettings(settings.values, env);
    expect(env).toEqual({ A: 'from-env', B: 'from-file', N: '5' });
    expect(readLocalSettings(join(dir, 'missing.json')).values).toEqual({});
  });

  it('reads the route prefix from host.json', () => {
    expect(readRoutePrefix(dir)).toBe('api');
    writeFileSync(
      join(dir, 'host.json'),
      JSON.stringify({ version: '2.0', extensions: { http: { routePrefix: '/v1/' } } }),
    );
    expect(readRoutePrefix(dir)).toBe('v1');
  });
});

describe('timer schedules', () => {
  it('resolves %NAME% from the settings, else from a named default, else fails as the host does', () => {
    expect(resolveSchedule('%S%', { S: '*/2 * * * * *' })).toEqual({
      expression: '*/2 * * * * *',
      defaulted: [],
    });
    expect(resolveSchedule('%S%', {}, { S: '0 */5 * * * *' })).toEqual({
      expression: '0 */5 * * * *',
      defaulted: ['S'],
    });
    expect(resolveSchedule('0 0 * * * *', {})).toEqual({ expression: '0 0 * * * *', defaulted: [] });
    expect(() => resolveSchedule('%S%', {})).toThrow(/does not resolve/);
  });

  it('runs a missed occurrence once, after the busy run, with isPastDue', async () => {
    const registration: Registration = {
      metadata: {
        name: 'tick',
        bindings: { myTimer: { type: 'timerTrigger', direction: 'in', schedule: '%TICK%' } },
      },
      callback: () => undefined,
    };
    const inputs: { IsPastDue: boolean }[] = [];
    const invoker = {
      invoke: async (_r: Registration, data: { data: { json?: unknown } }[]) => {
        inputs.push(JSON.parse(String(data[0]!.data.json)) as { IsPastDue: boolean });
        // The first run outlasts two occurrences.
        if (inputs.length === 1) await new Promise((r) => setTimeout(r, 2_300));
        return undefined;
      },
    } as unknown as FunctionInvoker;
    const timers = timerFunctions(
      [registration],
      { TICK: '* * * * * *' },
      {},
      { timeZone: 'utc', warn: () => undefined },
    );
    const scheduler = new TimerScheduler(timers, invoker, () => undefined);
    scheduler.start();
    await new Promise((r) => setTimeout(r, 4_200));
    await scheduler.stop();
    expect(inputs[0]?.IsPastDue).toBe(false);
    // Occurrences during the busy run collapse into one past-due run right after it.
    expect(inputs[1]?.IsPastDue).toBe(true);
    expect(inputs.filter((i) => i.IsPastDue)).toHaveLength(1);
  });
});
