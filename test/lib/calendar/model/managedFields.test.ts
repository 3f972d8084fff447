/** Drift: the managed fields hash equal for what the service wrote and Graph's read back, and only then. */
import { toGraphTimetableFields } from '../../../../src/lib/calendar/model/fields';
import {
  bodyText,
  canonicalManagedFields,
  diffManagedFields,
  managedCreateDefaults,
  managedFieldsFromGraph,
  managedFieldsHash,
  type GraphManagedRead,
  type ManagedEventFields,
} from '../../../../src/lib/calendar/model/managedFields';
import { toGraphRecurrence } from '../../../../src/lib/calendar/model/recurrence';
import { graphTimeZone } from '../../../../src/lib/calendar/model/timeZones';

const input: ManagedEventFields = {
  subject: 'CS101 lecture',
  start: '2027-02-01T09:00:00+01:00',
  end: '2027-02-01T10:45:00+01:00',
  time_zone: 'Europe/Amsterdam',
  body: '<p>Chapter&nbsp;1 &amp; 2</p>\n<ul><li>Bring a laptop</li></ul>',
  body_type: 'html',
  location: 'Main hall',
  attendees: ['Ana@Contoso.example', { email: 'bo@contoso.example', type: 'optional' }],
  recurrence: { pattern: 'weekly', days_of_week: ['monday'], until: '2027-05-31' },
  categories: ['Lecture', 'CS101'],
  online_meeting: true,
};

/** Graph's read of the event the service created from `input`, with all of Graph's normalisations. */
function graphReadBack(): GraphManagedRead {
  const written = {
    ...toGraphTimetableFields({ categories: ['Lecture', 'CS101'], online_meeting: true }),
    ...managedCreateDefaults(input),
  };
  const recurrence = toGraphRecurrence(input.recurrence!, '2027-02-01', graphTimeZone('Europe/Amsterdam')!);
  return {
    ...written,
    subject: 'CS101 lecture',
    start: { dateTime: '2027-02-01T08:00:00.0000000', timeZone: 'UTC' },
    end: { dateTime: '2027-02-01T09:45:00.0000000', timeZone: 'UTC' },
    isAllDay: false,
    originalStartTimeZone: 'W. Europe Standard Time',
    body: {
      contentType: 'html',
      content:
        '<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n' +
        '<style type="text/css" style="display:none">\r\n<!--\r\np\r\n\t{margin-top:0;\r\n\tmargin-bottom:0}\r\n-->\r\n</style>' +
        '</head>\r\n<body dir="ltr">\r\n<p>Chapter&nbsp;1 &amp; 2</p>\r\n<ul>\r\n<li>Bring a laptop</li></ul>\r\n</body>\r\n</html>\r\n',
    },
    location: { displayName: 'Main hall' },
    attendees: [
      {
        emailAddress: { address: 'bo@contoso.example', name: 'Bo Berg' },
        type: 'optional',
        status: { response: 'accepted' },
      },
      {
        emailAddress: { address: 'ana@contoso.example', name: 'ana@contoso.example' },
        type: 'required',
        status: { response: 'none' },
      },
    ],
    recurrence: {
      pattern: { ...recurrence.pattern, dayOfMonth: 0, month: 0, index: 'first' },
      range: { ...recurrence.range, numberOfOccurrences: 0 },
    },
    categories: ['CS101', 'Lecture'],
    onlineMeeting: { joinUrl: 'https://teams.microsoft.com/l/meetup-join/abc' },
    showAs: 'busy',
    importance: 'normal',
    type: 'seriesMaster',
  };
}

describe('managedFieldsHash', () => {
  it('is the same for the caller’s input and Graph’s read back of the same event', () => {
    const read = managedFieldsFromGraph(graphReadBack(), 'Europe/Amsterdam');
    expect(canonicalManagedFields(read)).toEqual(canonicalManagedFields(input));
    expect(managedFieldsHash(read)).toBe(managedFieldsHash(input));
    expect(managedFieldsHash(input)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('is the same for the docs/events.md response of the event', () => {
    const response: ManagedEventFields = {
      subject: 'CS101 lecture',
      start: '2027-02-01T08:00:00Z',
      end: '2027-02-01T09:45:00Z',
      time_zone: 'Europe/Amsterdam',
      all_day: false,
      body: 'Chapter 1 & 2\r\n\r\n * Bring a laptop ',
      body_type: 'text',
      location: 'Main hall',
      attendees: [
        { email: 'ana@contoso.example', type: 'required' },
        { email: 'bo@contoso.example', type: 'optional' },
      ],
      recurrence: {
        pattern: 'weekly',
        interval: 1,
        days_of_week: ['monday'],
        first_day_of_week: 'sunday',
        until: '2027-05-31',
      },
      categories: ['CS101', 'Lecture'],
      reminder_minutes: 15,
      show_as: 'busy',
      online_meeting_url: 'https://teams.microsoft.com/l/meetup-join/abc',
    };
    // The text rendering of a list adds a bullet: not the same text, so compare bodies as written.
    expect(diffManagedFields(response, input)).toEqual(['body']);
    expect(managedFieldsHash({ ...response, body: 'Chapter 1 & 2 Bring a laptop' })).toBe(
      managedFieldsHash(input),
    );
  });

  it('does not depend on the order of attendees and categories', () => {
    const reordered = {
      ...input,
      attendees: [...input.attendees!].reverse(),
      categories: ['CS101', 'Lecture'],
    };
    expect(managedFieldsHash(reordered)).toBe(managedFieldsHash(input));
  });
});

describe('diffManagedFields', () => {
  const read = (change: (g: GraphManagedRead) => void): ManagedEventFields => {
    const g = graphReadBack();
    change(g);
    return managedFieldsFromGraph(g, 'Europe/Amsterdam');
  };

  it('names each field changed in Outlook', () => {
    expect(
      diffManagedFields(
        input,
        read(() => undefined),
      ),
    ).toEqual([]);
    expect(
      diffManagedFields(
        input,
        read((g) => void (g.subject = 'CS101 (moved)')),
      ),
    ).toEqual(['subject']);
    expect(
      diffManagedFields(
        input,
        read((g) => {
          g.start = { dateTime: '2027-02-01T09:00:00.0000000', timeZone: 'UTC' };
          g.end = { dateTime: '2027-02-01T10:45:00.0000000', timeZone: 'UTC' };
        }),
      ),
    ).toEqual(['start', 'end']);
    expect(
      diffManagedFields(
        input,
        read((g) => void (g.originalStartTimeZone = 'Romance Standard Time')),
      ),
    ).toEqual(['time_zone']);
    expect(
      diffManagedFields(
        input,
        read((g) => void (g.body = { contentType: 'html', content: '<p>Chapter 3</p>' })),
      ),
    ).toEqual(['body']);
    expect(
      diffManagedFields(
        input,
        read((g) => void (g.location = { displayName: 'Room 2' })),
      ),
    ).toEqual(['location']);
    expect(
      diffManagedFields(
        input,
        read(
          (g) =>
            void (g.attendees = [
              ...g.attendees!,
              { emailAddress: { address: 'eve@elsewhere.example' }, type: 'required' },
            ]),
        ),
      ),
    ).toEqual(['attendees']);
    expect(
      diffManagedFields(
        input,
        read((g) => void (g.attendees![0]!.type = 'required')),
      ),
    ).toEqual(['attendees']);
    expect(
      diffManagedFields(
        input,
        read((g) => void (g.recurrence!.range!.endDate = '2027-06-30')),
      ),
    ).toEqual(['recurrence']);
    expect(
      diffManagedFields(
        input,
        read((g) => void (g.categories = ['CS101'])),
      ),
    ).toEqual(['categories']);
    expect(
      diffManagedFields(
        input,
        read((g) => void (g.isReminderOn = false)),
      ),
    ).toEqual(['reminder_minutes']);
    expect(
      diffManagedFields(
        input,
        read((g) => void (g.showAs = 'free')),
      ),
    ).toEqual(['show_as']);
    expect(
      diffManagedFields(
        input,
        read((g) => void (g.isOnlineMeeting = false)),
      ),
    ).toEqual(['online_meeting']);
  });

  it('ignores Graph’s normalisations and unmanaged fields', () => {
    expect(
      diffManagedFields(
        input,
        read((g) => void (g.attendees![0]!.emailAddress!.name = 'Someone else')),
      ),
    ).toEqual([]);
    expect(
      diffManagedFields(
        input,
        read((g) => void (g.importance = 'high')),
      ),
    ).toEqual([]);
    expect(
      diffManagedFields(
        input,
        read((g) => void (g.originalStartTimeZone = 'w. europe standard time')),
      ),
    ).toEqual([]);
  });

  it('compares all-day events by their dates', () => {
    const allDay: ManagedEventFields = {
      subject: 'Open day',
      start: '2027-02-01',
      end: '2027-02-02',
      all_day: true,
    };
    const g: GraphManagedRead = {
      ...managedCreateDefaults(allDay),
      subject: 'Open day',
      isAllDay: true,
      start: { dateTime: '2027-02-01T00:00:00.0000000', timeZone: 'UTC' },
      end: { dateTime: '2027-02-02T00:00:00.0000000', timeZone: 'UTC' },
      originalStartTimeZone: 'UTC',
      body: { contentType: 'html', content: '' },
      location: { displayName: '' },
      showAs: 'busy',
      isOnlineMeeting: false,
    };
    expect(diffManagedFields(allDay, managedFieldsFromGraph(g, 'UTC'))).toEqual([]);
  });
});

describe('bodyText', () => {
  it('strips markup and decodes references only from HTML', () => {
    expect(bodyText('<div>a&lt;b &#233;&#x41;</div><!-- x --><script>alert(1)</script>', 'html')).toBe(
      'a<b éA',
    );
    expect(bodyText('a <b> c', 'text')).toBe('a <b> c');
    expect(bodyText(null, 'html')).toBe('');
  });
});
