import { duration, expiresIn, relative, table, truncate } from '../../src/cli/format';
import { describeFailure, EXIT, problemJson, usageError } from '../../src/cli/failure';
import { ERRORS, GraphTokenError } from '../../src/lib/errors';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('format', () => {
  test.each([
    [0, '0s'],
    [59, '59s'],
    [60, '1m'],
    [3543, '59m 3s'],
    [3600, '1h'],
    [3720, '1h 2m'],
    [90000, '1d 1h'],
    [-125, '2m 5s'],
  ])('duration(%d) = %s', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });

  test('expires in / relative', () => {
    expect(expiresIn(new Date(NOW + 61_000).toISOString(), NOW)).toBe('1m 1s');
    expect(expiresIn(new Date(NOW - 240_000).toISOString(), NOW)).toBe('expired 4m ago');
    expect(relative(new Date(NOW - 5_000).toISOString(), NOW)).toBe('5s ago');
    expect(relative(null, NOW)).toBe('-');
  });

  test('table pads columns, aligns numbers right and keeps each row on one line', () => {
    const text = table(
      [
        { id: 'a', n: 5, note: 'one\ntwo' },
        { id: 'bbbb', n: 12, note: 'x'.repeat(30) },
      ],
      [
        { header: 'ID', value: (r) => r.id },
        { header: 'N', value: (r) => String(r.n), align: 'right' },
        { header: 'NOTE', value: (r) => r.note, maxWidth: 10 },
      ],
    );
    expect(text.split('\n')).toEqual(['ID     N  NOTE', 'a      5  one two', 'bbbb  12  xxxxxxxxx…']);
    expect(truncate('abc', 3)).toBe('abc');
  });
});

describe('failures', () => {
  test('configuration errors exit 2, operation errors 1, unknown errors reveal nothing', () => {
    expect(describeFailure(new GraphTokenError(ERRORS.ENCRYPTION_KEY_MISSING, 'no key')).exitCode).toBe(
      EXIT.usage,
    );
    expect(describeFailure(new GraphTokenError(ERRORS.STORAGE_UNAVAILABLE, 'down')).exitCode).toBe(
      EXIT.failed,
    );
    const unknown = describeFailure(new Error('password=hunter2 at /secret/path'));
    expect(unknown).toMatchObject({ exitCode: EXIT.failed, code: 'INTERNAL', message: 'unexpected Error' });
    expect(describeFailure(usageError('bad --x', 'fix it')).exitCode).toBe(EXIT.usage);
  });

  test('--json failures are problem details', () => {
    const problem = problemJson(
      describeFailure(new GraphTokenError(ERRORS.TOKEN_NOT_FOUND, 'No token x')),
      'c-1',
    );
    expect(problem).toEqual({
      type: 'urn:graph-token-manager:problem:token-not-found',
      title: 'Not Found',
      status: 404,
      detail: 'No token x',
      code: 'TOKEN_NOT_FOUND',
      hint: ERRORS.TOKEN_NOT_FOUND.hint,
      correlation_id: 'c-1',
    });
  });
});
