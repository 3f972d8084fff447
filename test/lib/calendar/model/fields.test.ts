/** Timetable fields: schemas, Graph both ways. */
import {
  attendeesSchema,
  categoriesSchema,
  fromGraphAttendees,
  fromGraphEventType,
  fromGraphResponse,
  fromGraphShowAs,
  fromGraphTimetableFields,
  reminderMinutesSchema,
  toGraphEventType,
  toGraphResponse,
  toGraphShowAs,
  toGraphTimetableFields,
  RESPONSES,
  SHOW_AS,
  EVENT_TYPES,
} from '../../../../src/lib/calendar/model/fields';

describe('attendees', () => {
  it('normalises addresses and objects: lower-case email, type required by default', () => {
    const parsed = attendeesSchema.parse([
      'Ana@Contoso.example',
      { email: 'BO@contoso.example', name: 'Bo', type: 'optional' },
      { email: 'room1@contoso.example', type: 'resource' },
    ]);
    expect(parsed).toEqual([
      { email: 'ana@contoso.example', type: 'required' },
      { email: 'bo@contoso.example', name: 'Bo', type: 'optional' },
      { email: 'room1@contoso.example', type: 'resource' },
    ]);
  });

  it('names the attendee that is wrong or given twice', () => {
    const bad = attendeesSchema.safeParse(['ana@contoso.example', { email: 'x', type: 'boss' }]);
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => [i.path, i.message])).toEqual([
      [[1], 'email: must be an e-mail address; type: must be one of required, optional, resource'],
    ]);
    expect(attendeesSchema.safeParse(['nope']).error!.issues.map((i) => [i.path, i.message])).toEqual([
      [[0], 'must be an e-mail address'],
    ]);
    expect(attendeesSchema.safeParse([42]).error!.issues[0]!.message).toBe('must be an e-mail address');
    const twice = attendeesSchema.safeParse(['ana@contoso.example', { email: 'ANA@contoso.example' }]);
    expect(twice.error!.issues).toEqual([
      expect.objectContaining({ path: [1, 'email'], message: 'ana@contoso.example is also attendee 0' }),
    ]);
    expect(attendeesSchema.safeParse([{ email: 'a@b.example', colour: 'red' }]).success).toBe(false);
    expect(attendeesSchema.safeParse(Array.from({ length: 501 }, (_, i) => `a${i}@b.example`)).success).toBe(
      false,
    );
  });

  it('maps to Graph and back with responses', () => {
    const graph = toGraphTimetableFields({
      attendees: [
        { email: 'ana@contoso.example', type: 'required' },
        { email: 'bo@contoso.example', name: 'Bo', type: 'optional' },
      ],
    }).attendees;
    expect(graph).toEqual([
      { emailAddress: { address: 'ana@contoso.example' }, type: 'required' },
      { emailAddress: { address: 'bo@contoso.example', name: 'Bo' }, type: 'optional' },
    ]);
    expect(
      fromGraphAttendees([
        {
          emailAddress: { address: 'Ana@contoso.example', name: 'Ana' },
          type: 'required',
          status: { response: 'tentativelyAccepted', time: '2027-01-01T00:00:00Z' },
        },
        {
          emailAddress: { address: 'bo@contoso.example', name: '' },
          type: 'optional',
          status: { response: 'notResponded' },
        },
        { emailAddress: { address: 'room@contoso.example' }, type: 'resource', status: null },
        { emailAddress: null, type: 'required' },
      ]),
    ).toEqual([
      { email: 'ana@contoso.example', name: 'Ana', type: 'required', response: 'tentatively_accepted' },
      { email: 'bo@contoso.example', name: null, type: 'optional', response: 'not_responded' },
      { email: 'room@contoso.example', name: null, type: 'resource', response: 'none' },
    ]);
  });
});

describe('categories and reminder', () => {
  it('takes up to 25 distinct categories of 1–255 characters without , or ;', () => {
    expect(categoriesSchema.parse([' CS101 ', 'Lecture'])).toEqual(['CS101', 'Lecture']);
    expect(categoriesSchema.safeParse(['CS101', 'cs101']).error!.issues[0]!.path).toEqual([1]);
    expect(categoriesSchema.safeParse(['a;b']).success).toBe(false);
    expect(categoriesSchema.safeParse(['']).success).toBe(false);
    expect(categoriesSchema.safeParse(['x'.repeat(256)]).success).toBe(false);
    expect(categoriesSchema.safeParse(Array.from({ length: 26 }, (_, i) => `c${i}`)).success).toBe(false);
  });

  it('takes 0 to Exchange’s ceiling, or null for off', () => {
    expect(reminderMinutesSchema.parse(null)).toBeNull();
    expect(reminderMinutesSchema.parse(0)).toBe(0);
    expect(reminderMinutesSchema.safeParse(-1).success).toBe(false);
    expect(reminderMinutesSchema.safeParse(2_629_801).success).toBe(false);
    expect(reminderMinutesSchema.safeParse(1.5).success).toBe(false);
    expect(toGraphTimetableFields({ reminder_minutes: null })).toEqual({ isReminderOn: false });
    expect(toGraphTimetableFields({ reminder_minutes: 15 })).toEqual({
      isReminderOn: true,
      reminderMinutesBeforeStart: 15,
    });
  });
});

describe('enumerations', () => {
  it('maps show as, responses and event types both ways', () => {
    expect(SHOW_AS.map(toGraphShowAs)).toEqual(['free', 'tentative', 'busy', 'oof', 'workingElsewhere']);
    for (const v of SHOW_AS) expect(fromGraphShowAs(toGraphShowAs(v))).toBe(v);
    expect(fromGraphShowAs('unknown')).toBeUndefined();
    expect(RESPONSES.map(toGraphResponse)).toEqual([
      'none',
      'organizer',
      'accepted',
      'tentativelyAccepted',
      'declined',
      'notResponded',
    ]);
    for (const v of RESPONSES) expect(fromGraphResponse(toGraphResponse(v))).toBe(v);
    expect(EVENT_TYPES.map(toGraphEventType)).toEqual([
      'singleInstance',
      'seriesMaster',
      'occurrence',
      'exception',
    ]);
    for (const v of EVENT_TYPES) expect(fromGraphEventType(toGraphEventType(v))).toBe(v);
    expect(fromGraphEventType(undefined)).toBe('single');
  });
});

describe('Teams meeting and the other fields', () => {
  it('asks for a Teams meeting and reads its join URL back', () => {
    expect(toGraphTimetableFields({ online_meeting: true })).toEqual({
      isOnlineMeeting: true,
      onlineMeetingProvider: 'teamsForBusiness',
    });
    expect(toGraphTimetableFields({ online_meeting: false })).toEqual({ isOnlineMeeting: false });
    const read = fromGraphTimetableFields({
      isOnlineMeeting: true,
      onlineMeeting: { joinUrl: 'https://teams.microsoft.com/l/meetup-join/x' },
    });
    expect(read.online_meeting).toBe(true);
    expect(read.online_meeting_url).toBe('https://teams.microsoft.com/l/meetup-join/x');
  });

  it('writes only the fields given', () => {
    expect(toGraphTimetableFields({})).toEqual({});
    expect(
      toGraphTimetableFields({
        categories: ['CS101'],
        show_as: 'working_elsewhere',
        importance: 'high',
        sensitivity: 'private',
      }),
    ).toEqual({
      categories: ['CS101'],
      showAs: 'workingElsewhere',
      importance: 'high',
      sensitivity: 'private',
    });
  });

  it('reads every docs/events.md field of Graph’s event', () => {
    expect(
      fromGraphTimetableFields({
        categories: ['CS101'],
        isReminderOn: true,
        reminderMinutesBeforeStart: 30,
        showAs: 'workingElsewhere',
        importance: 'high',
        sensitivity: 'confidential',
        isOnlineMeeting: false,
        onlineMeeting: null,
        type: 'occurrence',
        seriesMasterId: 'AAMk-master',
        isCancelled: true,
      }),
    ).toEqual({
      attendees: [],
      categories: ['CS101'],
      reminder_minutes: 30,
      show_as: 'working_elsewhere',
      importance: 'high',
      sensitivity: 'confidential',
      online_meeting: false,
      online_meeting_url: null,
      type: 'occurrence',
      series_id: 'AAMk-master',
      is_cancelled: true,
    });
    const off = fromGraphTimetableFields({
      isReminderOn: false,
      reminderMinutesBeforeStart: 15,
      showAs: 'unknown',
    });
    expect([off.reminder_minutes, off.show_as, off.type]).toEqual([null, null, 'single']);
  });
});
