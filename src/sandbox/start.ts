#!/usr/bin/env node
/**
 * `npm start`: the whole product on this machine (docs/sandbox.md).
 *
 * - No local.settings.json yet: writes one that points at the sandbox (fixed ports, so the CLI in another
 *   terminal and the API agree), with a random local encryption key.
 * - A loopback GRAPH_AUTHORITY_HOST (the sandbox): starts the sandbox identity provider and Graph on the
 *   ports the settings name, signing with the key persisted under `.sandbox/` (so `graph-tokens dev-token`
 *   signs tokens the API accepts). A real tenant: starts neither.
 * - Development storage (`UseDevelopmentStorage=true`) with nothing on 127.0.0.1:10002: embedded Azurite.
 * - The functions: `func start` when Azure Functions Core Tools are on PATH, else the project's local host.
 * - `WEBSITE_SITE_NAME` or `WEBSITE_INSTANCE_ID` in the environment: the app runs as in Azure. No identity
 *   provider or Graph stand-in starts (whatever GRAPH_AUTHORITY_HOST and GRAPH_API_BASE_URL say, they are
 *   used as given), and an invalid configuration serves in fail-closed mode (docs/operations.md) instead
 *   of refusing to start, so that mode can be seen and tested here.
 * - Ctrl-C stops everything it started within 10 seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { signingKeyPath } from './devToken';
import { applySettings, readLocalSettings } from '../host/appFiles';
import { SETTINGS, isLoopback, loadConfig, portSetting, type Config } from '../lib/config';
import { startAzurite, type AzuriteHandle } from './azurite';
import { ensureSandboxCertificate } from './certs';
import { DEFAULT_GROUP_ID, SandboxGraph } from './graph';
import { SANDBOX_DEFAULTS, SandboxIdentityProvider } from './identityProvider';

/** Fixed local ports: the API (docs/sandbox.md), then the sandbox identity provider and Graph next to it. */
export const LOCAL_PORTS = Object.freeze({
  api: 7071,
  identityProvider: 7072,
  graph: 7073,
  azuriteTable: 10002,
});
const STOP_WITHIN_MS = 8_000;

const USAGE = `Usage: npm start [-- --local-host] [-- --mfa]

Starts the API on http://localhost:$PORT/api (default 7071) with the local sandbox:
  --local-host   use the project's local Functions host even when Core Tools (func) are installed
  --mfa          the sandbox tenant requires MFA: every password grant is refused (AADSTS50076), so only
                 the delegated token type works (GRAPH_TOKEN_TYPE=delegated, docs/delegated.md)`;

/** A second sandbox user: an administrator who must never become the service account (docs/delegated.md). */
export const SANDBOX_ADMIN_USER = Object.freeze({
  username: 'admin@contoso.example',
  password: 'Admin-Passw0rd!',
});

function defaultSetting(name: string): string {
  return SETTINGS.find((s) => s.name === name)?.default ?? '';
}

/** local.settings.json for the sandbox: what a fresh clone runs with. */
export function sandboxSettings(): { IsEncrypted: false; Values: Record<string, string> } {
  return {
    IsEncrypted: false,
    Values: {
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AzureWebJobsFeatureFlags: 'EnableWorkerIndexing',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      GRAPH_CLIENT_ID: SANDBOX_DEFAULTS.clientId,
      GRAPH_TENANT: SANDBOX_DEFAULTS.tenant,
      GRAPH_USERNAME: SANDBOX_DEFAULTS.username,
      // `delegated` for the MFA walk-through (docs/delegated.md); GRAPH_PASSWORD is then not used.
      GRAPH_TOKEN_TYPE: 'ropc',
      GRAPH_PASSWORD: SANDBOX_DEFAULTS.password,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      GRAPH_GROUP_ID: DEFAULT_GROUP_ID,
      GRAPH_AUTHORITY_HOST: `https://localhost:${LOCAL_PORTS.identityProvider}`,
      GRAPH_API_BASE_URL: `https://localhost:${LOCAL_PORTS.graph}/v1.0`,
      API_AUDIENCE: SANDBOX_DEFAULTS.apiAudience,
      TOKEN_TABLE_NAME: defaultSetting('TOKEN_TABLE_NAME'),
      REFRESH_SCHEDULE: defaultSetting('REFRESH_SCHEDULE'),
      CLEANUP_SCHEDULE: defaultSetting('CLEANUP_SCHEDULE'),
      VALIDATE_SCHEDULE: defaultSetting('VALIDATE_SCHEDULE'),
    },
  };
}

function isDevelopmentStorage(config: Config): boolean {
  return (
    config.storage.kind === 'connectionString' &&
    /^UseDevelopmentStorage=true;?$/i.test(config.storage.connectionString.replace(/\s+/g, ''))
  );
}

function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function portOf(url: string, fallback: number): number {
  const u = new URL(url);
  return u.port === '' ? fallback : Number(u.port);
}

/** `func` on PATH (Azure Functions Core Tools, global or as the project's optional dependency). */
function findCoreTools(projectDir: string): string | undefined {
  const dirs = [join(projectDir, 'node_modules', '.bin'), ...(process.env.PATH ?? '').split(delimiter)];
  const names = process.platform === 'win32' ? ['func.cmd', 'func.exe'] : ['func'];
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

interface Started {
  idp?: SandboxIdentityProvider;
  graph?: SandboxGraph;
  azurite?: AzuriteHandle;
  host?: ChildProcess;
}

async function stopAll(started: Started): Promise<void> {
  const host = started.host;
  if (host && host.exitCode === null && host.signalCode === null) {
    const exited = new Promise<void>((r) => host.once('exit', () => r()));
    host.kill('SIGINT');
    const timer = setTimeout(() => host.kill('SIGKILL'), STOP_WITHIN_MS - 2_000);
    await exited;
    clearTimeout(timer);
  }
  await Promise.allSettled([started.graph?.close(), started.idp?.close(), started.azurite?.stop()]);
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      'local-host': { type: 'boolean' },
      mfa: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const projectDir = process.cwd();
  const settingsFile = join(projectDir, 'local.settings.json');
  let wroteSettings = false;
  if (!existsSync(settingsFile)) {
    writeFileSync(settingsFile, `${JSON.stringify(sandboxSettings(), null, 2)}\n`, { mode: 0o600 });
    wroteSettings = true;
  }
  // As Core Tools does: the settings become environment variables, a variable already set wins.
  applySettings(readLocalSettings(settingsFile).values, process.env);
  const config = loadConfig(process.env);
  const port = portSetting(process.env) ?? LOCAL_PORTS.api;

  const started: Started = {};
  let stopping: Promise<void> | undefined;
  const stop = (signal: string, exitCode = 0): void => {
    if (stopping) return;
    console.log(`\n${signal}: stopping everything npm start started…`);
    setTimeout(() => {
      console.error('Some process did not stop in time; exiting anyway.');
      process.exit(1);
    }, STOP_WITHIN_MS + 1_000).unref();
    stopping = stopAll(started).then(() => process.exit(exitCode));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  const lines: [string, string][] = [];
  // As in Azure: every endpoint variable is used as given, none is replaced by a stand-in.
  const sandboxed = config.isSandbox && !config.inAzure;
  try {
    if (sandboxed) {
      const certificate = ensureSandboxCertificate();
      childEnv.NODE_EXTRA_CA_CERTS = certificate.certPath;
      const audience = config.apiAudience ?? SANDBOX_DEFAULTS.apiAudience;
      started.idp = await SandboxIdentityProvider.start({
        port: portOf(config.authorityHost, LOCAL_PORTS.identityProvider),
        tenant: config.tenant || SANDBOX_DEFAULTS.tenant,
        clientId: config.clientId || SANDBOX_DEFAULTS.clientId,
        // The account's "real" password is the sandbox's: change GRAPH_PASSWORD to see a wrong-password error.
        users: [
          { username: config.username || SANDBOX_DEFAULTS.username, password: SANDBOX_DEFAULTS.password },
          SANDBOX_ADMIN_USER,
        ],
        apiAudience: audience,
        signingKeyPath: signingKeyPath(process.env, projectDir),
        certificate,
      });
      childEnv.GRAPH_AUTHORITY_HOST = started.idp.authorityHost;
      if (args.mfa) started.idp.setMfaRequired(true);
      const graphUrl = new URL(config.graphBaseUrl);
      if (isLoopback(graphUrl.hostname)) {
        started.graph = await SandboxGraph.start({
          identityProvider: started.idp,
          // Every allowed calendar (GRAPH_GROUP_IDS, or GRAPH_GROUP_ID) is a group the sandbox knows.
          groupIds: config.calendars.length
            ? [...new Set(config.calendars.map((c) => c.groupId))]
            : [config.groupId ?? DEFAULT_GROUP_ID],
          port: portOf(config.graphBaseUrl, LOCAL_PORTS.graph),
          certificate,
        });
        childEnv.GRAPH_API_BASE_URL = started.graph.baseUrl;
        lines.push([
          'Graph',
          `${started.graph.baseUrl}  (sandbox Graph, ${
            config.calendars.length > 1
              ? `groups ${config.calendars.map((c) => `${c.alias}=${c.groupId}`).join(', ')}`
              : `group ${config.groupId ?? DEFAULT_GROUP_ID}`
          })`,
        ]);
      } else {
        lines.push(['Graph', `${config.graphBaseUrl}`]);
      }
      lines.splice(0, 0, ['Identity', `${started.idp.issuer}  (sandbox identity provider)`]);
    } else {
      lines.push([
        'Identity',
        `${config.authorityHost}/${config.tenant}  (${config.inAzure ? 'as in Azure' : 'real Entra ID'}: no sandbox started)`,
      ]);
      lines.push(['Graph', config.graphBaseUrl]);
    }

    if (isDevelopmentStorage(config)) {
      if (await portInUse(LOCAL_PORTS.azuriteTable)) {
        lines.push([
          'Storage',
          `development storage already running on 127.0.0.1:${LOCAL_PORTS.azuriteTable}`,
        ]);
      } else {
        started.azurite = await startAzurite({ port: LOCAL_PORTS.azuriteTable });
        // Same table endpoint as UseDevelopmentStorage=true (the CLI uses that), plus the Blob and Queue
        // endpoints the Functions host needs for timer locks.
        childEnv.AzureWebJobsStorage = started.azurite.connectionString;
        lines.push([
          'Storage',
          `Azurite in memory, tables at ${started.azurite.tableEndpoint} (data is lost on exit)`,
        ]);
      }
    } else {
      lines.push([
        'Storage',
        config.storage.kind === 'endpoint' ? config.storage.endpoint : 'AzureWebJobsStorage',
      ]);
    }

    const func = args['local-host'] ? undefined : findCoreTools(projectDir);
    const hostEntry = join(__dirname, '..', 'host', 'main.js');
    // The function app folder (scripts/build-local-app.js): the project's package.json is the library's.
    const appDir = join(__dirname, '..', 'app');
    const [command, commandArgs] =
      func !== undefined
        ? [func, ['start', '--script-root', appDir, '--port', String(port)]]
        : [
            process.execPath,
            [hostEntry, '--script-root', appDir, '--settings', 'none', '--port', String(port)],
          ];
    const host = spawn(command, commandArgs, {
      cwd: projectDir,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    started.host = host;
    // The local host prints the URL it listens on (the port it picked for PORT=0); Core Tools does not.
    const ready = new Promise<string>((resolve, reject) => {
      let buffered = '';
      host.stdout!.on('data', (chunk: Buffer) => {
        process.stdout.write(chunk);
        buffered = (buffered + chunk.toString('utf8')).slice(-4096);
        const listening = /Listening on (http:\/\/\S+)/.exec(buffered);
        if (listening) resolve(listening[1]!);
        else if (/Host lock lease acquired|Worker process started and initialized/.test(buffered)) {
          resolve(`http://localhost:${port}/api`);
        }
      });
      host.once('exit', (code, signal) => {
        reject(new Error(`the functions host exited (${signal ?? `code ${code}`})`));
        if (!stopping) stop('The functions host exited', 1);
      });
      host.once('error', reject);
    });
    const api = await ready;
    const summary: [string, string][] = [
      ['API', `${api}  (OpenAPI ${api}/openapi.json, health ${api}/health)`],
      ['Admin page', `${api}/admin`],
      [
        'Functions',
        func !== undefined
          ? `Azure Functions Core Tools (${func})`
          : "the project's local host (Core Tools not found)",
      ],
      ...lines,
      [
        'Settings',
        `${relative(projectDir, settingsFile)}${wroteSettings ? ' (written now with sandbox values)' : ''}`,
      ],
    ];
    if (sandboxed) {
      summary.push(['Dev token', 'npx graph-tokens dev-token --role GraphTokens.Admin']);
      summary.push([
        'Try',
        `curl -H "Authorization: Bearer $(npx graph-tokens dev-token --role GraphTokens.Admin)" ${api}/graph-tokens/status`,
      ]);
      summary.push([
        'Sign-in',
        config.tokenType === 'delegated'
          ? `delegated: the admin page's "Sign in the service account", or npx graph-tokens sign-in [--device-code] (docs/delegated.md)${args.mfa ? '; MFA tenant: password grants are refused' : ''}`
          : args.mfa
            ? 'ropc (password) — but --mfa refuses every password grant: set "GRAPH_TOKEN_TYPE": "delegated" in local.settings.json and restart (docs/delegated.md)'
            : 'ropc (password); GRAPH_TOKEN_TYPE=delegated for the MFA walk-through (docs/delegated.md)',
      ]);
      // The control routes hang off the identity provider's origin, not off the issuer printed above.
      summary.push([
        'Faults',
        `IDP=${started.idp?.authorityHost ?? config.authorityHost}; curl -k $IDP/_sandbox/faults … (docs/sandbox.md: wrong password, MFA, 429, 5xx, slow responses, short token lifetimes)`,
      ]);
    }
    if (!config.report.valid) {
      summary.push([
        'Config',
        `problems: ${[...config.report.missing.map((m) => `${m} missing`), ...config.report.problems].join('; ')}`,
      ]);
    }
    if (config.failClosed) {
      summary.push([
        'Fail closed',
        'running as in Azure (WEBSITE_SITE_NAME/WEBSITE_INSTANCE_ID) with an invalid configuration: every route but health answers 503 CONFIGURATION_INVALID, timers do nothing, nothing is sent (docs/operations.md)',
      ]);
    }
    console.log(
      [
        '',
        'Graph Token Manager is running:',
        ...summary.map(([k, v]) => `  ${k.padEnd(11)} ${v}`),
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof Error && /EADDRINUSE/.test(error.message)) {
      console.error(
        'A port is taken: is another `npm start` running? Stop it, or change the ports in local.settings.json.',
      );
    }
    await stopAll(started);
    process.exit(1);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
