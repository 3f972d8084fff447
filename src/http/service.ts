import type { TokenServiceApi } from '../lib/api';
import { loadConfig, type Config } from '../lib/config';

let config: Config | undefined;
let obtained: TokenServiceApi | undefined;

/**
 * The function app's configuration, parsed once from the environment — the very object the token
 * service is then built with. Reading it loads no SDK, so the start-up check (`appStart`) stays cheap.
 */
export function appConfig(): Config {
  config ??= obtained?.config ?? loadConfig();
  return config;
}

/**
 * The process-wide token service, created on first use. The service core (and with it the Azure SDKs and
 * MSAL) is loaded only then, not when the worker loads the function app: a cold start registers the
 * functions without paying for clients the first request may not even need (docs/architecture.md).
 */
export function tokenService(): TokenServiceApi {
  if (obtained === undefined) {
    const lib = library();
    obtained = lib.getTokenService(config === undefined ? {} : { config });
    config = obtained.config;
  }
  return obtained;
}

/** The library with the service core, loaded on first use (see `tokenService`). */
export function library(): typeof import('../lib') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy, see tokenService
  return require('../lib') as typeof import('../lib');
}

/** The service if a function has used it, so shutdown can close it without creating one. */
export function existingTokenService(): TokenServiceApi | undefined {
  return obtained;
}
