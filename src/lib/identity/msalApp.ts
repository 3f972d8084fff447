import { LogLevel, type Configuration, type ICachePlugin, type TokenCacheContext } from '@azure/msal-node';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { RecordingNetwork, type AuthorityMetadata, type CallState } from './network';

/**
 * The MSAL configuration of one call. Each identity call gets its own MSAL application, whose cache
 * plugin and network module belong to that call alone: nothing of one exchange can leak into a
 * concurrent one (another token type's flow), without AsyncLocalStorage — which in Node 20 would add
 * promise hooks to every `await` of the process, the token hot path included.
 */
export function msalConfiguration(options: {
  config: Config;
  logger: Logger;
  state: CallState;
  metadata: AuthorityMetadata;
  auth?: Partial<Configuration['auth']>;
}): Configuration {
  const { config, logger, state, metadata } = options;
  // MSAL keeps no cache of its own between calls: the snapshot stored (encrypted) with the active token
  // is loaded before each cache access and the new one captured after, so the refresh token lives only
  // in Table Storage, shared by every instance.
  const plugin: ICachePlugin = {
    beforeCacheAccess: async (ctx: TokenCacheContext) => {
      ctx.tokenCache.deserialize(state.snapshot || '{}');
    },
    afterCacheAccess: async (ctx: TokenCacheContext) => {
      if (ctx.cacheHasChanged) state.captured = ctx.tokenCache.serialize();
    },
  };
  const learned = metadata.json;
  return {
    auth: {
      clientId: config.clientId,
      authority: `${config.authorityHost}/${config.tenant}`,
      // Naming the host as known skips instance discovery against the public cloud (national clouds and
      // the local sandbox work the same way); the learned OpenID configuration skips discovery itself.
      knownAuthorities: [new URL(config.authorityHost).host],
      ...(learned ? { authorityMetadata: learned } : {}),
      ...options.auth,
    },
    cache: { cachePlugin: plugin },
    system: {
      networkClient: new RecordingNetwork(30_000, state, metadata),
      loggerOptions: {
        // MSAL's own logs can contain PII; only warnings and errors, without PII.
        logLevel: LogLevel.Warning,
        piiLoggingEnabled: false,
        loggerCallback: (_level, message) => logger.log('warn', 'msal', { message }),
      },
    },
  };
}
