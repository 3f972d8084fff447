/** The write-ahead rules as pure functions (docs/architecture.md): what an attempt's record and outcome do. */
import type { PasswordAttempt } from '../../src/lib/store';
import {
  decidePasswordSend,
  emptyCredentialState,
  mergeCredentialStates,
  settleOrphanedAttempt,
  withAttempt,
  withOutcome,
} from '../../src/lib/service/lockoutRules';

const now = Date.parse('2026-12-01T10:00:00Z');
const at = (s: number): string => new Date(now + s * 1000).toISOString();
const attempt = (flow: string, s = 0): PasswordAttempt => ({
  fingerprint: 'fp',
  label: 'the local GRAPH_PASSWORD for svc@contoso.example',
  at: at(s),
  flow,
});
const options = { override: false, uncertainRetryMs: 30_000 };

it('an orphaned record is an uncertain attempt dated when it was sent; the third in a row blocks', () => {
  let state = withAttempt(emptyCredentialState(), attempt('a'));
  state = settleOrphanedAttempt(state);
  expect(state.attempt).toBeUndefined();
  expect(state.uncertain).toMatchObject({ fingerprint: 'fp', at: at(0), count: 1 });
  expect(decidePasswordSend(state, 'fp', now + 10_000, options)).toMatchObject({ send: false });
  expect(decidePasswordSend(state, 'fp', now + 31_000, options)).toMatchObject({ send: true });
  state = settleOrphanedAttempt(withAttempt(state, attempt('b', 31)));
  expect(state.uncertain).toMatchObject({ count: 2 });
  state = settleOrphanedAttempt(withAttempt(state, attempt('c', 62)));
  expect(state.uncertain).toBeNull();
  expect(state.rejected[0]).toMatchObject({ fingerprint: 'fp', rejections: 1 });
  expect(decidePasswordSend(state, 'fp', now + 1_000_000, options)).toMatchObject({ send: false });
});

it('settling a state without a record changes nothing (same object: nothing to write)', () => {
  const state = emptyCredentialState();
  expect(settleOrphanedAttempt(state)).toBe(state);
});

it('the outcome replaces the record: token clears, 429/5xx clears, rejection blocks, no answer is uncertain', () => {
  const sent = withAttempt(emptyCredentialState(), attempt('a'));
  const token = withOutcome(sent, attempt('a'), { kind: 'token' }, at(1));
  expect(token).toEqual({ rejected: [], uncertain: null, last_success_at: at(1) });
  expect(withOutcome(sent, attempt('a'), { kind: 'transient' }, at(1))).toEqual(emptyCredentialState());
  const rejected = withOutcome(sent, attempt('a'), { kind: 'rejected', code: 'C', hint: 'h' }, at(1));
  expect(rejected.attempt).toBeUndefined();
  expect(rejected.rejected[0]).toMatchObject({ fingerprint: 'fp', code: 'C', rejections: 1 });
  const uncertain = withOutcome(sent, attempt('a'), { kind: 'uncertain' }, at(1));
  expect(uncertain).toMatchObject({ uncertain: { count: 1, at: at(0) } });
  expect(uncertain.attempt).toBeUndefined();
});

it('an outcome arriving after another flow settled the record counts nothing twice and keeps its record', () => {
  const settled = withAttempt(
    settleOrphanedAttempt(withAttempt(emptyCredentialState(), attempt('a'))),
    attempt('b'),
  );
  const late = withOutcome(settled, attempt('a'), { kind: 'uncertain' }, at(5));
  expect(late.uncertain).toMatchObject({ count: 1 });
  expect(late.attempt).toEqual(attempt('b'));
});

it('an outcome held in memory drops its own record when merged into the stored row, and only that one', () => {
  const stored = withAttempt(emptyCredentialState(), attempt('a'));
  const pending = { ...withOutcome(stored, attempt('a'), { kind: 'uncertain' }, at(1)), resolved: ['a'] };
  const merged = mergeCredentialStates(stored, pending);
  expect(merged.attempt).toBeUndefined();
  expect(merged.uncertain).toMatchObject({ count: 1 });
  const other = mergeCredentialStates(withAttempt(emptyCredentialState(), attempt('z')), pending);
  expect(other.attempt).toEqual(attempt('z'));
});
