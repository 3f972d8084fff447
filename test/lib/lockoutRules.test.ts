import { loadConfig } from '../../src/lib/config';
import { judgeExchange, isPreSendFailure, isValidTokenAnswer } from '../../src/lib/identity/verdict';
import {
  credentialFingerprint,
  credentialLabel,
  currentRejection,
  decidePasswordSend,
  emptyCredentialState,
  MAX_REJECTIONS,
  mergeCredentialStates,
  withRejection,
  withSuccess,
  withUncertain,
} from '../../src/lib/service/lockoutRules';

const config = loadConfig({
  GRAPH_CLIENT_ID: 'client',
  GRAPH_TENANT: 'contoso.example',
  GRAPH_USERNAME: 'svc@contoso.example',
  GRAPH_PASSWORD: 'p',
  TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
});
const now = Date.parse('2026-12-01T10:00:00Z');
const at = new Date(now).toISOString();
const options = { override: false, uncertainRetryMs: 300_000 };

describe('the verdict on a token-endpoint answer (deny by default)', () => {
  const answered = (status: number, json?: Record<string, unknown>) =>
    judgeExchange({ kind: 'answered', status, json });

  it('only a 200 with a non-empty token and a sane lifetime is a success', () => {
    expect(answered(200, { access_token: 'a.b.c', expires_in: 3599 }).kind).toBe('success');
    expect(answered(200, { access_token: 'a.b.c', expires_in: '3599' }).kind).toBe('success');
    for (const body of [
      { access_token: '', expires_in: 3599 },
      { access_token: '  ', expires_in: 3599 },
      { access_token: 'a', expires_in: 0 },
      { access_token: 'a', expires_in: -5 },
      { access_token: 'a', expires_in: 10 * 86_400 },
      { access_token: 'a' },
      { expires_in: 3599 },
    ]) {
      expect(answered(200, body).kind).toBe('rejected');
    }
    expect(answered(200, undefined).kind).toBe('rejected');
  });

  it('429, 5xx and failures before sending are transient; no answer is uncertain', () => {
    expect(answered(429, {}).kind).toBe('transient');
    expect(answered(503, undefined).kind).toBe('transient');
    expect(judgeExchange({ kind: 'unsent', reason: 'ECONNREFUSED' }).kind).toBe('transient');
    expect(judgeExchange({ kind: 'uncertain', reason: 'UND_ERR_SOCKET' }).kind).toBe('uncertain');
    expect(isPreSendFailure('ECONNREFUSED')).toBe(true);
    expect(isPreSendFailure('ENOTFOUND')).toBe(true);
    expect(isPreSendFailure('ECONNRESET')).toBe(false);
    expect(isPreSendFailure('UND_ERR_SOCKET')).toBe(false);
    expect(isPreSendFailure(undefined)).toBe(false);
  });

  it('every other answer is a rejection, with the AADSTS code when there is one', () => {
    expect(answered(400, { error: 'invalid_grant', error_codes: [50064] })).toMatchObject({
      kind: 'rejected',
      aadsts: '50064',
    });
    expect(answered(400, { error: 'invalid_grant', error_description: 'AADSTS50126: bad' })).toMatchObject({
      aadsts: '50126',
    });
    expect(answered(400, { error: 'invalid_grant' })).toMatchObject({ kind: 'rejected', aadsts: undefined });
    expect(answered(400, undefined)).toMatchObject({
      kind: 'rejected',
      description: expect.stringMatching(/JSON/),
    });
    expect(answered(302, undefined).kind).toBe('rejected');
    expect(answered(401, { error: 'invalid_client' }).kind).toBe('rejected');
    expect(isValidTokenAnswer(undefined)).toBe(false);
  });
});

describe('lockout rules', () => {
  const fp = credentialFingerprint(config, 'kv:0123456789abcdef');
  const entry = {
    fingerprint: fp,
    label: 'password version 01234567 for svc',
    code: 'INVALID_CREDENTIALS',
    hint: 'h',
  };

  it('the fingerprint covers authority, tenant, client, username, scopes and secret', () => {
    const variants = [
      { GRAPH_TENANT: 'other.example' },
      { GRAPH_CLIENT_ID: 'other' },
      { GRAPH_USERNAME: 'other@contoso.example' },
      { GRAPH_SCOPES: 'https://graph.microsoft.com/User.Read' },
      { GRAPH_AUTHORITY_HOST: 'https://login.microsoftonline.us' },
    ];
    const base = {
      GRAPH_CLIENT_ID: 'client',
      GRAPH_TENANT: 'contoso.example',
      GRAPH_USERNAME: 'svc@contoso.example',
    };
    for (const v of variants) {
      expect(credentialFingerprint(loadConfig({ ...base, ...v }), 'kv:0123456789abcdef')).not.toBe(fp);
    }
    expect(
      credentialFingerprint(
        loadConfig({ ...base, GRAPH_USERNAME: 'SVC@contoso.example' }),
        'kv:0123456789abcdef',
      ),
    ).toBe(fp);
    expect(credentialFingerprint(config, 'kv:another-version')).not.toBe(fp);
    expect(fp).not.toContain('0123456789abcdef');
    expect(credentialLabel(config, 'kv:0123456789abcdef')).toBe(
      'password version 01234567 for svc@contoso.example',
    );
  });

  it('a rejected credential is refused; the override sends it until the third rejection', () => {
    let state = withRejection(emptyCredentialState(), entry, at);
    expect(decidePasswordSend(state, fp, now, options)).toMatchObject({
      send: false,
      error: { code: 'CREDENTIALS_BLOCKED' },
    });
    expect(decidePasswordSend(state, fp, now, { ...options, override: true })).toEqual({
      send: true,
      override: true,
    });
    expect(decidePasswordSend(state, 'another', now, options)).toEqual({ send: true, override: false });
    for (let i = 1; i < MAX_REJECTIONS; i++) state = withRejection(state, entry, at);
    expect(state.rejected[0]!.rejections).toBe(3);
    const refused = decidePasswordSend(state, fp, now, { ...options, override: true });
    expect(refused).toMatchObject({ send: false, error: { code: 'CREDENTIALS_BLOCKED' } });
  });

  it('an uncertain attempt waits; the third in a row blocks; a success clears', () => {
    let state = withUncertain(emptyCredentialState(), entry, at);
    const waiting = decidePasswordSend(state, fp, now + 10_000, options);
    expect(waiting).toMatchObject({
      send: false,
      error: { code: 'IDENTITY_PROVIDER_UNAVAILABLE', retryAfterSeconds: 290 },
    });
    expect(decidePasswordSend(state, fp, now + 300_001, options).send).toBe(true);
    state = withUncertain(state, entry, at);
    expect(state.uncertain!.count).toBe(2);
    state = withUncertain(state, entry, at);
    expect(state.uncertain).toBeNull();
    expect(state.rejected[0]).toMatchObject({ fingerprint: fp, code: 'IDENTITY_PROVIDER_UNAVAILABLE' });
    const cleared = withSuccess(state, fp, new Date(now + 1000).toISOString());
    expect(cleared.rejected).toEqual([]);
    expect(currentRejection(cleared)).toBeNull();
  });

  it('keeps the last rejections (not one slot) and the stricter of two states wins', () => {
    let state = emptyCredentialState();
    for (let i = 0; i < 12; i++)
      state = withRejection(state, { ...entry, fingerprint: `fp${i}` }, new Date(now + i).toISOString());
    expect(state.rejected).toHaveLength(8);
    expect(state.rejected[0]!.fingerprint).toBe('fp11');
    const memory = withRejection(emptyCredentialState(), entry, at);
    const merged = mergeCredentialStates(emptyCredentialState(), memory);
    expect(decidePasswordSend(merged, fp, now, options).send).toBe(false);
    const older = withSuccess(state, 'fp11', new Date(now + 100).toISOString());
    expect(currentRejection(older)).toBeNull();
  });
});
