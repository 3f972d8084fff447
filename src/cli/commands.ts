/**
 * The seed's management commands, one per service operation. Each is a thin adapter: parse options,
 * call the service in-process, print. Business rules live in `src/lib`.
 */
import type { Command } from 'commander';
import type { TokenType } from '../lib/types';
import { type CliDeps, type CommonOptions, runServiceCommand } from './context';
import { EXIT, type ExitCode } from './failure';
import { idOption, integer, tokenTypeOption, withCommonOptions } from './options';
import {
  renderAcquire,
  renderCleanup,
  renderRecord,
  renderRefresh,
  renderRotateKey,
  renderStatus,
  renderTokens,
  renderValidate,
} from './render';

type Done = (code: ExitCode) => void;

interface TypeOptions extends CommonOptions {
  tokenType?: TokenType;
}

interface IdsOptions extends TypeOptions {
  id?: string[];
}

export function registerServiceCommands(program: Command, deps: CliDeps, done: Done): void {
  withCommonOptions(
    program
      .command('status')
      .description('show configuration check, token counts, the current token and recent audit entries')
      .addHelpText(
        'after',
        '\nExits 2 when the configuration is invalid (the missing variables are listed), else 0.',
      ),
  ).action(async (options: CommonOptions) => {
    done(
      await runServiceCommand(deps, options, {
        progress: 'Reading status',
        allowInvalidConfig: true,
        run: (service) => service.getTokenStatus(),
        render: renderStatus,
        exitCode: (status) => (status.configuration.valid ? EXIT.ok : EXIT.usage),
      }),
    );
  });

  withCommonOptions(
    program
      .command('acquire')
      .description('get a valid token: memory, storage, refresh token, then password (ROPC)')
      .addOption(tokenTypeOption('ropc'))
      .option(
        '--force',
        'skip the cache and stored token and go to the identity provider (never sends a blocked password)',
      )
      .option(
        '--retry-blocked-password',
        'send a password Entra ID rejected once more (audited; never after 3 rejections of the same password)',
      )
      .addHelpText('after', '\nExample:\n  graph-tokens acquire --force --json'),
  ).action(async (options: TypeOptions & { force?: boolean; retryBlockedPassword?: boolean }) => {
    done(
      await runServiceCommand(deps, options, {
        progress: 'Acquiring token',
        run: (service, ctx) =>
          service.acquireToken(
            {
              tokenType: options.tokenType,
              forceRefresh: options.force === true,
              retryBlockedPassword: options.retryBlockedPassword === true,
            },
            ctx,
          ),
        render: renderAcquire,
      }),
    );
  });

  withCommonOptions(
    program
      .command('refresh')
      .description('refresh active tokens now (refresh token first, password only if needed)')
      .addOption(tokenTypeOption())
      .addOption(idOption('refresh')),
  ).action(async (options: IdsOptions) => {
    done(
      await runServiceCommand(deps, options, {
        progress: 'Refreshing tokens',
        run: (service, ctx) => service.refreshTokens({ tokenType: options.tokenType, ids: options.id }, ctx),
        render: renderRefresh,
      }),
    );
  });

  withCommonOptions(
    program
      .command('cleanup')
      .description('deactivate expired tokens, delete old inactive tokens and old audit entries')
      .addOption(tokenTypeOption()),
  ).action(async (options: TypeOptions) => {
    done(
      await runServiceCommand(deps, options, {
        progress: 'Cleaning up',
        run: (service, ctx) => service.cleanupOldTokens({ tokenType: options.tokenType }, ctx),
        render: (summary) => renderCleanup(summary),
      }),
    );
  });

  withCommonOptions(
    program
      .command('validate')
      .description('check active tokens against Microsoft Graph (GET /me)')
      .addOption(tokenTypeOption())
      .addOption(idOption('validate'))
      .addHelpText('after', '\nExits 1 when a token is invalid or Graph is unreachable.'),
  ).action(async (options: IdsOptions) => {
    done(
      await runServiceCommand(deps, options, {
        progress: 'Validating tokens',
        run: (service, ctx) => service.validateTokens({ tokenType: options.tokenType, ids: options.id }, ctx),
        render: (summary) => renderValidate(summary),
      }),
    );
  });

  withCommonOptions(
    program
      .command('list')
      .description('list stored tokens (public fields only, never the token itself)')
      .addOption(tokenTypeOption())
      .option('--limit <n>', 'at most this many tokens per page', integer(1, 1000))
      .option('--continuation-token <token>', 'the page after a previous `list`'),
  ).action(async (options: TypeOptions & { limit?: number; continuationToken?: string }) => {
    done(
      await runServiceCommand(deps, options, {
        progress: 'Listing tokens',
        run: (service) =>
          service.listTokens({
            tokenType: options.tokenType,
            limit: options.limit,
            continuationToken: options.continuationToken,
          }),
        render: renderTokens,
        exitCode: () => EXIT.ok,
      }),
    );
  });

  withCommonOptions(
    program
      .command('deactivate')
      .description('deactivate one token (reason "manual")')
      .argument('<id>', 'token id, as shown by `graph-tokens list`')
      .option('--reason <text>', 'note stored in the audit entry'),
  ).action(async (id: string, options: CommonOptions & { reason?: string }) => {
    done(
      await runServiceCommand(deps, options, {
        progress: 'Deactivating token',
        run: (service, ctx) => service.deactivateToken(id, options.reason, ctx),
        render: renderRecord,
        exitCode: () => EXIT.ok,
      }),
    );
  });

  withCommonOptions(
    program
      .command('rotate-key')
      .description('re-encrypt every stored token with the current data key version'),
  ).action(async (options: CommonOptions) => {
    done(
      await runServiceCommand(deps, options, {
        progress: 'Re-encrypting tokens',
        run: (service, ctx) => service.rotateKey(ctx),
        render: (summary) => renderRotateKey(summary),
      }),
    );
  });
}
