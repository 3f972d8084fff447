import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { SETTINGS, loadConfig, portSetting } from '../lib/config';
import { DEV_SIGN_IN_ROUTE, devSignInAllowed, handleDevSignIn } from './devSignIn';
import { applySettings, readLocalSettings, readRoutePrefix, resolveEntryPoints } from './appFiles';
import { installFunctionsCore } from './capture';
import { registeredFunctions, setSystemLog, type Registration } from './functionsCore';
import { createHttpServer, httpRoutes, type HttpRoute, type LocalRoute } from './httpServer';
import { FunctionInvoker, type HostLog } from './invoker';
import { TimerScheduler, timerFunctions, type TimerFunction } from './timerScheduler';

/**
 * The project's own Functions host, for machines without Azure Functions Core Tools. It loads the same
 * compiled registration files the Functions host loads (`package.json` `main`), captures what
 * `@azure/functions` registers, serves the HTTP functions and fires the timers.
 */

export interface LocalHostOptions {
  /** The function app folder (`package.json`, `host.json`). Default: the current directory. */
  scriptRoot?: string;
  /** Port; 0 picks a free one. Default: `PORT`, then local.settings.json `Host.LocalHttpPort`, then 7071. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`: the sandbox accepts dev tokens, keep it off the network. */
  hostname?: string;
  /**
   * local.settings.json to apply; `null` for none. Default: `<scriptRoot>/local.settings.json`, else the
   * one in the working directory.
   */
  settingsFile?: string | null;
  /** Where log lines go. Default: stdout. */
  write?: (line: string) => void;
  /**
   * The process environment the functions read their settings from: the settings file's `Values` are
   * added to it (a variable already set wins), as Core Tools does. The entry point passes `process.env`.
   */
  env: NodeJS.ProcessEnv;
}

export interface LocalHost {
  /** `http://localhost:<port>/<routePrefix>` */
  readonly url: string;
  readonly port: number;
  readonly httpRoutes: readonly HttpRoute[];
  readonly timers: readonly TimerFunction[];
  nextOccurrence(timer: TimerFunction): Date | undefined;
  /** Stops listening and scheduling, lets requests in flight finish, runs `appTerminate` hooks. */
  close(): Promise<void>;
}

const SYSTEM_LEVELS = new Set(['warning', 'error', 'critical']);

export function jsonLineLog(write: (line: string) => void): HostLog {
  return (entry) => {
    if (entry.category === 'system' && !SYSTEM_LEVELS.has(entry.level) && entry.function === undefined)
      return;
    let fields: Record<string, unknown> = { message: entry.message };
    if (entry.message.startsWith('{')) {
      try {
        const parsed = JSON.parse(entry.message) as unknown;
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
          fields = parsed as Record<string, unknown>;
      } catch {
        // not JSON: keep it as the message
      }
    }
    write(
      JSON.stringify({
        time: new Date().toISOString(),
        level: entry.level,
        ...(entry.function !== undefined ? { function: entry.function } : {}),
        ...(entry.invocation_id !== undefined ? { invocation_id: entry.invocation_id } : {}),
        ...fields,
      }),
    );
  };
}

function loadRegistrations(scriptRoot: string): Registration[] {
  installFunctionsCore();
  const files = resolveEntryPoints(scriptRoot);
  if (files.length === 0) {
    throw new Error(`package.json "main" in ${scriptRoot} names no files. Build first: npm run build.`);
  }
  for (const file of files) {
    try {
      // Registration files are CommonJS modules loaded for their side effects, as the worker loads them.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(file);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`Loading ${relative(scriptRoot, file)} failed: ${reason}`, { cause: error });
    }
  }
  return registeredFunctions();
}

/** `local.settings.json` of the app folder, else of the working directory (where `npm start` writes it). */
function defaultSettingsFile(scriptRoot: string): string {
  const own = join(scriptRoot, 'local.settings.json');
  return existsSync(own) ? own : join(process.cwd(), 'local.settings.json');
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const env = options.env;
  const scriptRoot = resolve(options.scriptRoot ?? process.cwd());
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const log = jsonLineLog(write);
  setSystemLog((level, category, message) => log({ level, category, message }));

  const settingsFile =
    options.settingsFile === undefined ? defaultSettingsFile(scriptRoot) : options.settingsFile;
  const settings =
    settingsFile === null ? { values: {}, localHttpPort: undefined } : readLocalSettings(settingsFile);
  applySettings(settings.values, env);

  const registrations = loadRegistrations(scriptRoot);
  if (registrations.length === 0) {
    log({
      level: 'warning',
      category: 'system',
      message: `No functions were registered by package.json "main" in ${scriptRoot}. This project's function app is dist/app (--script-root dist/app).`,
    });
  }
  const routes = httpRoutes(registrations);
  const defaults = Object.fromEntries(
    SETTINGS.filter((s) => s.default !== undefined).map((s) => [s.name, s.default]),
  );
  const timers = timerFunctions(registrations, env, defaults, {
    timeZone: env.WEBSITE_TIME_ZONE?.trim().toUpperCase() === 'UTC' ? 'utc' : 'local',
    warn: (message) => log({ level: 'warning', category: 'system', message }),
  });

  const invoker = new FunctionInvoker(log);
  await invoker.runAppHooks('appStart');

  const routePrefix = readRoutePrefix(scriptRoot);
  // The dev sign-in is the host's own route (never a function), and only in front of the sandbox.
  const config = loadConfig(env);
  const localRoutes: LocalRoute[] = devSignInAllowed(config)
    ? [
        {
          path: DEV_SIGN_IN_ROUTE,
          handle: (req, res) => handleDevSignIn(req, res, { config, env, cwd: process.cwd() }),
        },
      ]
    : [];
  const server = createHttpServer({ routes, routePrefix, invoker, log, localRoutes });
  const port = options.port ?? portSetting(env) ?? settings.localHttpPort ?? 7071;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got "${port}"`);
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, options.hostname ?? '127.0.0.1', () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;

  const scheduler = new TimerScheduler(timers, invoker, log);
  scheduler.start();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const serverClosed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await scheduler.stop(4_000);
      await Promise.race([serverClosed, new Promise((r) => setTimeout(r, 4_000).unref())]);
      server.closeAllConnections();
      await Promise.race([
        invoker.runAppHooks('appTerminate').catch((error: unknown) =>
          log({
            level: 'error',
            category: 'system',
            message: `appTerminate hook failed: ${String(error)}`,
          }),
        ),
        new Promise((r) => setTimeout(r, 3_000).unref()),
      ]);
    })();
    return closing;
  };

  return {
    url: `http://localhost:${actualPort}${routePrefix === '' ? '' : `/${routePrefix}`}`,
    port: actualPort,
    httpRoutes: routes,
    timers,
    nextOccurrence: (timer) => scheduler.nextOccurrence(timer),
    close,
  };
}
