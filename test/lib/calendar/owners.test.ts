/** Who may touch which event (docs/events.md): the pure decision, every role against every kind of event. */
import {
  assertAttendeeDomains,
  decideAccess,
  ownerOf,
  type AccessVerdict,
} from '../../../src/lib/calendar/owners';
import { assertEventId, eventPath, isEventId } from '../../../src/lib/calendar/ids';
import { resolveCalendar } from '../../../src/lib/calendar/calendars';

const ANA = { actor: 't:ana', roles: ['Events.Create'] };
const BO = { actor: 't:bo', roles: ['Events.Create'] };
const READER = { actor: 't:reader', roles: ['Events.Read'] };
const MANAGER = { actor: 't:manager', roles: ['Events.Manage'] };
const BOTH = { actor: 't:both', roles: ['Events.Read', 'Events.Create'] };
const ADMIN = { actor: 't:admin', roles: ['GraphTokens.Admin'] };
const LIBRARY = { actor: 'library' };

describe('decideAccess', () => {
  // [caller, owner of the event (undefined: a person's own meeting), read, change]
  const cases: Array<
    [string, { actor: string; roles?: string[] }, string | undefined, AccessVerdict, AccessVerdict]
  > = [
    ['creator, own event', ANA, 't:ana', 'allow', 'allow'],
    ['creator, another creator’s event', ANA, 't:bo', 'EVENT_NOT_FOUND', 'EVENT_NOT_FOUND'],
    ['creator, a person’s meeting', ANA, undefined, 'EVENT_NOT_FOUND', 'EVENT_NOT_FOUND'],
    ['reader, any event', READER, 't:bo', 'allow', 'EVENT_NOT_OWNER'],
    ['reader, a person’s meeting', READER, undefined, 'allow', 'EVENT_NOT_MANAGED'],
    ['reader+creator, another’s event', BOTH, 't:bo', 'allow', 'EVENT_NOT_OWNER'],
    ['reader+creator, own event', BOTH, 't:both', 'allow', 'allow'],
    ['manager, another’s event', MANAGER, 't:bo', 'allow', 'allow'],
    ['manager, a library event', MANAGER, 'library', 'allow', 'allow'],
    ['manager, a person’s meeting', MANAGER, undefined, 'allow', 'EVENT_NOT_MANAGED'],
    ['token admin (no event role)', ADMIN, 't:admin', 'EVENT_NOT_FOUND', 'EVENT_NOT_FOUND'],
    ['in-process call, a caller’s event', LIBRARY, 't:bo', 'allow', 'allow'],
    ['in-process call, a person’s meeting', LIBRARY, undefined, 'allow', 'EVENT_NOT_MANAGED'],
    // The same person's owner stamp under the same oid, but the caller lost Events.Create.
    [
      'former creator, now reader',
      { actor: 't:ana', roles: ['Events.Read'] },
      't:ana',
      'allow',
      'EVENT_NOT_OWNER',
    ],
  ];
  it.each(cases)('%s', (_name, ctx, owner, read, change) => {
    expect(decideAccess(ctx, owner, 'read')).toBe(read);
    expect(decideAccess(ctx, owner, 'change')).toBe(change);
  });

  it('owns events as tid:oid, in-process calls as library', () => {
    expect(ownerOf(ANA)).toBe('t:ana');
    expect(ownerOf({ actor: 'cli' })).toBe('library');
    expect(ownerOf({ actor: 'oid:someone' })).toBe('library');
    expect(BO.actor).not.toBe(ANA.actor);
  });
});

describe('attendee domains', () => {
  it('allows any domain by default and names the attendee outside the list', () => {
    expect(() =>
      assertAttendeeDomains({ eventAttendeeDomains: [] }, [{ email: 'x@evil.example' }]),
    ).not.toThrow();
    const config = { eventAttendeeDomains: ['contoso.example'] };
    expect(() => assertAttendeeDomains(config, [{ email: 'ana@contoso.example' }])).not.toThrow();
    expect(() =>
      assertAttendeeDomains(
        config,
        [{ email: 'ana@contoso.example' }, { email: 'x@evil.example' }],
        'events[3]',
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_REQUEST',
        message: expect.stringMatching(/^events\[3\]\.attendees\[1\]: x@evil\.example/),
      }),
    );
    // A subdomain is another domain.
    expect(() => assertAttendeeDomains(config, [{ email: 'a@mail.contoso.example' }])).toThrow(
      /attendees\[0\]/,
    );
  });
});

describe('event ids', () => {
  const calendar = resolveCalendar({ groupId: 'g-1' });
  it.each(['..', '.', 'a.b', '', 'a b', 'a?b', 'a#b', 'a%2Fb', 'x'.repeat(513), 'é'])('refuses %j', (id) => {
    expect(isEventId(id)).toBe(false);
    expect(() => eventPath(calendar, id)).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST', message: expect.stringMatching(/^id: /) }),
    );
  });
  it('takes Graph ids, and keeps a "/" inside one path segment', () => {
    const id = 'AAMkAGI2TG93AAA=';
    expect(eventPath(calendar, id)).toBe('/groups/g-1/events/AAMkAGI2TG93AAA%3D');
    expect(eventPath(calendar, 'ab/c+d')).toBe('/groups/g-1/events/ab%2Fc%2Bd');
    expect(() => assertEventId('x'.repeat(512))).not.toThrow();
  });
});

describe('calendars', () => {
  it('resolves the default alias or the group id, and refuses any other group', () => {
    expect(resolveCalendar({ groupId: 'G-1' })).toEqual({ alias: 'default', groupId: 'G-1' });
    expect(resolveCalendar({ groupId: 'G-1' }, 'default').groupId).toBe('G-1');
    expect(resolveCalendar({ groupId: 'G-1' }, 'g-1').groupId).toBe('G-1');
    expect(() => resolveCalendar({ groupId: 'G-1' }, 'other')).toThrow(
      expect.objectContaining({ code: 'GROUP_NOT_ALLOWED', status: 400 }),
    );
    expect(() => resolveCalendar({ groupId: undefined })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_INVALID' }),
    );
  });
});
