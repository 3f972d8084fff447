import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../lib/config';
import { API_ROLES } from '../lib/roles';
import {
  type CliDeps,
  type CommonOptions,
  isDevTokenRefusal,
  loadEnvironment,
  reportFailure,
} from './context';
import { CliError, EXIT, type ExitCode } from './failure';
import { duration } from '../lib/format';
import { integer, withCommonOptions } from './options';

interface DevTokenOptions extends CommonOptions {
  role?: string[];
  expiresIn: number;
  audience?: string;
  upn?: string;
  oid?: string;
  app?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function guid(value: string): string {
  if (!GUID.test(value)) throw new InvalidArgumentError('Not a GUID (e.g. $(uuidgen)).');
  return value.toLowerCase();
}

function role(value: string, previous: string[] | undefined): string[] {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(value)) {
    throw new InvalidArgumentError(`Not an app role name (known roles: ${API_ROLES.join(', ')}).`);
  }
  return [...(previous ?? []), value];
}

export function registerDevTokenCommand(
  program: Command,
  deps: CliDeps,
  done: (code: ExitCode) => void,
): void {
  withCommonOptions(
    program
      .command('dev-token')
      .description(
        'print a bearer token the local API accepts (local sandbox only; refused for a real tenant)',
      )
      .option(
        '--role <role>',
        `app role in the token (repeatable; default GraphTokens.Admin; known: ${API_ROLES.join(', ')})`,
        role,
      )
      .option(
        '--expires-in <seconds>',
        'lifetime in seconds; negative gives an already expired token',
        integer(-86400, 86400),
        3600,
      )
      .option('--audience <aud>', 'audience (default: API_AUDIENCE)')
      .option('--upn <upn>', 'user name in the token (shown beside the actor in audit entries)')
      .option('--oid <guid>', "the caller's object id (default: stable per --upn or --app)", guid)
      .option('--app <client id>', 'an application caller (idtyp app, no user) with this client id', guid)
      .addHelpText(
        'after',
        `
Examples:
  TOKEN=$(graph-tokens dev-token --role GraphTokens.Admin)
  curl -H "Authorization: Bearer $TOKEN" http://localhost:7071/api/graph-tokens/status
  graph-tokens dev-token --role GraphTokens.Read --expires-in -60   # expired, for tests
  graph-tokens dev-token --role Events.Create --upn bo@sandbox.localhost   # a second owner
  graph-tokens dev-token --role Events.Create --app 11111111-2222-4333-8444-555555555555   # an app`,
      ),
  ).action(async (options: DevTokenOptions) => {
    done(await devToken(deps, options));
  });
}

async function devToken(deps: CliDeps, options: DevTokenOptions): Promise<ExitCode> {
  try {
    const env = loadEnvironment(deps);
    const config = loadConfig(env);
    if (deps.devTokens === undefined) {
      throw new CliError(
        'dev-token needs the local sandbox, which is not part of this installation',
        EXIT.usage,
        'DEV_TOKEN_UNAVAILABLE',
        'Run it in a clone of graph-token-manager after `npm start`; against Entra ID, get a token with az ' +
          'account get-access-token --resource <API_AUDIENCE>.',
      );
    }
    const { issueDevToken } = await deps.devTokens();
    const token = await issueDevToken(
      config,
      env,
      deps.cwd,
      {
        roles: options.role ?? ['GraphTokens.Admin'],
        expiresInSeconds: options.expiresIn,
        audience: options.audience,
        upn: options.upn,
        oid: options.oid,
        app: options.app,
      },
      deps.now(),
    );
    if (options.json) {
      deps.stdout.write(`${JSON.stringify(token, null, 2)}\n`);
    } else {
      // The token alone on stdout, so `$(graph-tokens dev-token)` works; the description goes to stderr.
      deps.stdout.write(`${token.access_token}\n`);
      if (deps.stderr.isTTY) {
        const life =
          token.expires_in >= 0 ? `expires in ${duration(token.expires_in)}` : 'already expired (as asked)';
        deps.stderr.write(
          `Bearer token for ${token.upn}, roles ${token.roles.join(', ') || '(none)'}, audience ${token.audience}, ${life}.\n`,
        );
      }
    }
    return EXIT.ok;
  } catch (error) {
    const failure = isDevTokenRefusal(error)
      ? new CliError(error.message, EXIT.usage, error.code, error.hint)
      : error;
    return reportFailure(deps, options, failure);
  }
}
