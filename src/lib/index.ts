/**
 * Graph Token Manager — library entry point.
 *
 * @example
 * ```ts
 * import { getGraphAccessToken } from 'graph-token-manager';
 * const token = await getGraphAccessToken(); // configured from the environment (README, Configuration)
 * await fetch('https://graph.microsoft.com/v1.0/me', { headers: { authorization: `Bearer ${token}` } });
 * ```
 */
import type { TokenServiceApi } from './api';
import { MicrosoftGraphTokenService, type TokenServiceOptions } from './service';
import type { TokenType } from './types';

export type { TokenServiceApi } from './api';
export { MicrosoftGraphTokenService, schedulePeriodSeconds, type TokenServiceOptions } from './service';
export { resolveMeter } from './service/metrics';
export { startTelemetry, stopTelemetry } from './telemetry';
export {
  loadConfig,
  readLocalEnvironment,
  SETTINGS,
  isLoopback,
  type Config,
  type SettingSpec,
  type Environment,
} from './config';
export { systemClock, ManualClock, type Clock } from './clock';
export { createJsonLogger, silentLogger, redact, type Logger, type LogLevel } from './logger';
export * from './errors';
export * from './types';

export function createTokenService(options: TokenServiceOptions = {}): MicrosoftGraphTokenService {
  return new MicrosoftGraphTokenService(options);
}

let shared: MicrosoftGraphTokenService | undefined;

/**
 * The process-wide service, created on first use from `options` (default: configured from the
 * environment). Later calls return that same service; their options are ignored.
 */
export function getTokenService(options: TokenServiceOptions = {}): MicrosoftGraphTokenService {
  shared ??= new MicrosoftGraphTokenService(options);
  return shared;
}

/** Replaces the process-wide service (hosts and tests that build their own). */
export function setTokenService(service: MicrosoftGraphTokenService | undefined): void {
  shared = service;
}

/** A valid delegated Graph access token, from memory when possible (no I/O on a hit). */
/** `tokenType` defaults to GRAPH_TOKEN_TYPE (`ropc` unless configured). */
export function getGraphAccessToken(
  tokenType?: TokenType,
  options: { forceRefresh?: boolean } = {},
): Promise<string> {
  let service: MicrosoftGraphTokenService;
  try {
    service = getTokenService();
  } catch (error) {
    // An invalid configuration in Azure refuses to build the service (CONFIGURATION_INVALID, nothing sent):
    // reported as a rejection like every other failure of this function.
    return Promise.reject(error as Error);
  }
  return service.getAccessToken(tokenType, options.forceRefresh ?? false);
}

export type { TokenServiceApi as Service };
