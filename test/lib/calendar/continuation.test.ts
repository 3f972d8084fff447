/** Continuation tokens: opaque, signed, bound to calendar, caller and list (docs/architecture.md). */
import { randomBytes } from 'node:crypto';
import { issueContinuation, readContinuation, signingFrom } from '../../../src/lib/calendar/continuation';
import type { DataKey } from '../../../src/lib/crypto';

const keys = new Map<string, DataKey>([
  ['v1', { version: 'v1', key: randomBytes(32) }],
  ['v2', { version: 'v2', key: randomBytes(32) }],
]);
let current = 'v1';
const ring = {
  current: async () => keys.get(current)!,
  byVersion: async (v: string) => {
    const k = keys.get(v);
    if (!k) throw new Error('unknown version');
    return k;
  },
};
const signing = signingFrom(ring);
const binding = { groupId: 'g-1', actor: 't:ana', prefix: '/groups/g-1/calendarView?' };
const NEXT =
  'https://graph.microsoft.com/v1.0/groups/g-1/calendarView?startDateTime=2030-01-01T00:00:00Z&$skip=50';

describe('continuation tokens', () => {
  beforeEach(() => {
    current = 'v1';
  });

  it('round-trips Graph’s next link, also after a key rotation', async () => {
    const token = (await issueContinuation(signing, binding, NEXT))!;
    expect(token).not.toContain('calendarView');
    current = 'v2';
    expect(await readContinuation(signing, binding, token)).toBe(
      '/groups/g-1/calendarView?startDateTime=2030-01-01T00:00:00Z&$skip=50',
    );
  });

  it('is null without a next link, or for a link outside the list', async () => {
    expect(await issueContinuation(signing, binding, undefined)).toBeNull();
    expect(await issueContinuation(signing, binding, 'https://graph.microsoft.com/v1.0/me')).toBeNull();
  });

  it('refuses a token changed in any way, or used by another caller, calendar or list', async () => {
    const token = (await issueContinuation(signing, binding, NEXT))!;
    const [data, sig] = [token.slice(0, token.indexOf('.')), token.slice(token.indexOf('.') + 1)];
    const forged = Buffer.from(
      JSON.stringify({
        g: 'g-1',
        a: 't:ana',
        p: '/groups/g-1/calendarView?startDateTime=2000-01-01T00:00:00Z',
      }),
    ).toString('base64url');
    const attempts = [
      `${forged}.${sig}`,
      `${data}x.${sig}`,
      `${data}.${sig.slice(0, -2)}AA`,
      data,
      Buffer.from('/me').toString('base64url'),
      '',
    ];
    for (const attempt of attempts) {
      await expect(readContinuation(signing, binding, attempt)).rejects.toMatchObject({
        code: 'INVALID_CONTINUATION_TOKEN',
        status: 400,
      });
    }
    await expect(readContinuation(signing, { ...binding, actor: 't:bo' }, token)).rejects.toMatchObject({
      code: 'INVALID_CONTINUATION_TOKEN',
    });
    await expect(readContinuation(signing, { ...binding, groupId: 'g-2' }, token)).rejects.toMatchObject({
      code: 'INVALID_CONTINUATION_TOKEN',
    });
    await expect(
      readContinuation(signing, { ...binding, prefix: '/groups/g-1/events/x/instances?' }, token),
    ).rejects.toMatchObject({ code: 'INVALID_CONTINUATION_TOKEN' });
    // Another deployment (another data key) cannot read it either.
    const other = signingFrom({
      current: async () => ({ version: 'v1', key: randomBytes(32) }),
      byVersion: async () => ({ version: 'v1', key: randomBytes(32) }),
    });
    await expect(readContinuation(other, binding, token)).rejects.toMatchObject({
      code: 'INVALID_CONTINUATION_TOKEN',
    });
  });
});
