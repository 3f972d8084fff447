#!/usr/bin/env node
/**
 * `node dist/bench/loadEntry.js <file>...`: loads function-app entry files the way the Functions worker
 * does at start-up (`require`, with `@azure/functions-core` provided — here by the local host's stand-in)
 * and prints one JSON line: how long the `require`s took, the RSS afterwards, how many modules they
 * loaded, and what they registered. `npm run bench` (cold start) and test/package/deploy.test.ts use it;
 * run it in a fresh process per measurement.
 */
import { installFunctionsCore } from '../host/capture';
import { registeredFunctions, registeredHooks } from '../host/functionsCore';

export interface EntryLoad {
  requireMs: number;
  rssMiB: number;
  modules: number;
  functions: { name: string; bindings: Record<string, unknown> }[];
  hooks: Record<string, number>;
}

function main(): void {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node dist/bench/loadEntry.js <file>...');
    process.exit(2);
  }
  installFunctionsCore();
  const before = Object.keys(require.cache).length;
  const started = process.hrtime.bigint();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  for (const file of files) require(file);
  const requireMs = Number(process.hrtime.bigint() - started) / 1e6;
  const modules = Object.keys(require.cache).length - before;
  const rssMiB = process.memoryUsage().rss / 2 ** 20;
  const result: EntryLoad = {
    requireMs,
    rssMiB,
    modules,
    functions: registeredFunctions()
      .map((r) => ({ name: r.metadata.name, bindings: r.metadata.bindings }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    hooks: Object.fromEntries(
      ['appStart', 'appTerminate', 'preInvocation', 'postInvocation'].map((h) => [
        h,
        registeredHooks(h).length,
      ]),
    ),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // The worker would go on serving; a measurement is done here (open handles must not keep it alive).
  process.exit(0);
}

main();
