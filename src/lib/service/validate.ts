import { ERRORS, GraphTokenError, summarize } from '../errors';
import { graphError } from '../graph';
import type { TokenEntity } from '../store';
import type { OperationContext, TokenType, ValidateResult, ValidateSummary } from '../types';
import { TOKEN_TYPES } from '../types';
import { audit } from './audit';
import type { ServiceCore } from './context';
import { recordError, resetErrors } from './errorRule';
import { notFound } from './notFound';
import { unseal } from './sealing';

/**
 * Validate (weekly and on demand): `GET /me` with each active token. 200 → valid (resets the error
 * count); 401/403 → a token error; Graph unreachable → `unreachable`, not counted against the token.
 */
export async function validateTokens(
  core: ServiceCore,
  options: { tokenType?: TokenType; ids?: string[] },
  ctx: OperationContext,
): Promise<ValidateSummary> {
  const targets: TokenEntity[] = [];
  const results: ValidateResult[] = [];
  if (options.ids) {
    for (const id of options.ids) {
      const token = await core.store.findToken(id);
      if (token && (!options.tokenType || token.token_type === options.tokenType)) targets.push(token);
      else
        results.push({
          id,
          token_type: options.tokenType ?? 'ropc',
          outcome: 'invalid',
          status: null,
          error: summarize(notFound(id)),
        });
    }
  } else {
    for (const type of options.tokenType ? [options.tokenType] : TOKEN_TYPES) {
      const active = await core.store.getActive(type);
      if (active) targets.push(active);
    }
  }
  for (const token of targets) results.push(await validateOne(core, token, ctx));
  const count = (o: ValidateResult['outcome']) => results.filter((r) => r.outcome === o).length;
  const summary: ValidateSummary = {
    success: count('invalid') === 0 && count('unreachable') === 0,
    validated: results.length,
    valid: count('valid'),
    invalid: count('invalid'),
    unreachable: count('unreachable'),
    results,
  };
  await audit(
    core,
    ctx,
    'validate',
    options.ids ? options.ids.join(',') : (options.tokenType ?? '*'),
    summary.success ? 'success' : 'failure',
    `valid=${summary.valid} invalid=${summary.invalid} unreachable=${summary.unreachable}`,
  );
  return summary;
}

async function validateOne(
  core: ServiceCore,
  token: TokenEntity,
  ctx: OperationContext,
): Promise<ValidateResult> {
  const base = { id: token.id, token_type: token.token_type };
  let accessToken: string;
  try {
    accessToken = await unseal(core.config, token, 'access_token', token.access_token_enc, core.secrets);
  } catch (error) {
    return { ...base, outcome: 'invalid', status: null, error: summarize(error) };
  }
  try {
    const response = await core.graph.me(accessToken);
    if (response.status === 200) {
      await resetErrors(core, token);
      return { ...base, outcome: 'valid', status: 200 };
    }
    const error =
      response.status === 401 || response.status === 403
        ? new GraphTokenError(ERRORS.TOKEN_REJECTED, graphError(response).message, {
            upstreamCode: graphError(response).upstreamCode,
          })
        : graphError(response);
    if (token.is_active) await recordError(core, token, error, ctx);
    return { ...base, outcome: 'invalid', status: response.status, error: summarize(error) };
  } catch (error) {
    // Graph unreachable says nothing about the token: reported, not counted against it.
    return { ...base, outcome: 'unreachable', status: null, error: summarize(error) };
  }
}
