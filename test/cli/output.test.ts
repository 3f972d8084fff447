import { duration, expiresIn, fields, relative, table, terminalSafe, truncate } from '../../src/lib/format';
import { formatFailure } from '../../src/cli/failure';
import { describeFailure, EXIT, problemJson, usageError } from '../../src/cli/failure';
import { ERRORS, GraphTokenError } from '../../src/lib/errors';
import { withProgress } from '../../src/cli/progress';

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

describe('progress', () => {
  test('draws a spinner with the label on a terminal and clears it afterwards', async () => {
    const writes: string[] = [];
    const result = await withProgress(
      { isTTY: true, write: (t) => writes.push(t) },
      'Refreshing tokens',
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 250));
        return 42;
      },
    );
    expect(result).toBe(42);
    expect(writes[0]).toMatch(/Refreshing tokens… 0s$/);
    expect(writes.length).toBeGreaterThan(2); // redrawn while it runs
    expect(writes[writes.length - 1]).toBe('\r\x1b[2K');
  });

  test('writes nothing to a pipe or a file', async () => {
    const writes: string[] = [];
    await withProgress({ isTTY: false, write: (t) => writes.push(t) }, 'Working', async () => 1);
    expect(writes).toEqual([]);
  });

  test('clears the line when the work fails', async () => {
    const writes: string[] = [];
    await expect(
      withProgress({ isTTY: true, write: (t) => writes.push(t) }, 'Working', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(writes[writes.length - 1]).toBe('\r\x1b[2K');
  });
});

describe('text from outside is made safe for a terminal', () => {
  const hostile = [
    'AADSTS50126: bad\x1b[2J\x1b[H all good',
    '\x1b]0;pwned title\x07window',
    '\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\',
    'bell\x07 back\x08space del\x7f c1\x9b31m',
    'rtl \u202eoverride\u202c end',
  ];
  it.each(hostile)('strips escapes and controls: %j', (text) => {
    const safe = terminalSafe(text);
    // eslint-disable-next-line no-control-regex -- asserting control characters are gone
    expect(safe).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
  });
  it('keeps ordinary text, newlines and tabs', () => {
    expect(terminalSafe('line one\n\tline two — ünïcode')).toBe('line one\n\tline two — ünïcode');
    expect(terminalSafe('AADSTS50126: bad\x1b[2J\x1b[H all good')).toBe('AADSTS50126: bad all good');
  });
  it('applies to tables, fields and failures', () => {
    const evil = 'x\x1b[31mred\x1b[0m';
    expect(table([{ a: evil }], [{ header: 'A', value: (r) => r.a }])).not.toContain('\x1b');
    expect(fields([['Reason', evil]])).not.toContain('\x1b');
    expect(formatFailure({ exitCode: 1, code: 'X', message: evil, hint: evil, status: 502 })).not.toContain(
      '\x1b',
    );
  });
});
