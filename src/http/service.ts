import { getTokenService } from '../lib';
import type { TokenServiceApi } from '../lib/api';

let obtained: TokenServiceApi | undefined;

/** The process-wide token service (built from the environment on first use). */
export function tokenService(): TokenServiceApi {
  obtained ??= getTokenService();
  return obtained;
}

/** The service if a function has used it, so shutdown can close it without creating one. */
export function existingTokenService(): TokenServiceApi | undefined {
  return obtained;
}
