#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startLocalHost, type LocalHost } from './localHost';

/**
 * `node dist/host/main.js [--port N] [--script-root DIR] [--settings FILE|none] [--hostname H]`
 *
 * Serves the function app like `func start` does, for machines without Core Tools. Prints
 * `Listening on <url>` once it serves (with `--port 0`, the port it picked). SIGINT/SIGTERM stop it.
 */

const USAGE = `Usage: node dist/host/main.js [--port N] [--script-root DIR] [--settings FILE|none] [--hostname HOST]

  --port         port to listen on (0 = any free port); default PORT, then local.settings.json, then 7071
  --script-root  function app folder with package.json and host.json; default: the current directory
  --settings     local.settings.json whose Values become environment variables ("none" for none)
  --hostname     interface to listen on; default 127.0.0.1`;

function describe(host: LocalHost): string {
  const lines = ['Functions:'];
  const origin = host.url.replace(/\/[^/]*$/, '');
  for (const route of host.httpRoutes) {
    const methods = route.methods === null ? 'ALL' : [...route.methods].join(',');
    lines.push(
      `  ${route.registration.metadata.name}: [${methods}] ${host.url}/${route.template.template}`.replace(
        `${origin}//`,
        `${origin}/`,
      ),
    );
  }
  for (const timer of host.timers) {
    lines.push(
      `  ${timer.registration.metadata.name}: timerTrigger "${timer.expression}" (next ${host.nextOccurrence(timer)?.toISOString() ?? '-'})`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'script-root': { type: 'string' },
      settings: { type: 'string' },
      hostname: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = values.port !== undefined ? Number(values.port) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    console.error(`--port must be a port number\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const host = await startLocalHost({
    env: process.env,
    ...(values['script-root'] !== undefined ? { scriptRoot: values['script-root'] } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(values.hostname !== undefined ? { hostname: values.hostname } : {}),
    ...(values.settings !== undefined
      ? { settingsFile: values.settings === 'none' ? null : values.settings }
      : {}),
  });
  console.log(describe(host));
  console.log(`Listening on ${host.url}`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the local host`);
    // Never outlive the 10 s the local run allows (docs/http.md), whatever a hook does.
    setTimeout(() => process.exit(0), 8_000).unref();
    host.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`Local host failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
