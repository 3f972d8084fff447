import { parseCalendarList, resolveCalendar } from '../../../src/lib/calendar/calendarList';
import { loadConfig } from '../../../src/lib/config';
import { GraphTokenError } from '../../../src/lib/errors';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = 'CCCCCCCC-CCCC-4CCC-8CCC-CCCCCCCCCCCC';

describe('allowed calendars (GRAPH_GROUP_IDS)', () => {
  it('reads alias=groupId pairs; the first is the default; a bare id is its own alias', () => {
    const { calendars, problems } = parseCalendarList(` maths=${A}, physics-2=${B} ,${C}`, undefined);
    expect(problems).toEqual([]);
    expect(calendars).toEqual([
      { alias: 'maths', groupId: A, isDefault: true },
      { alias: 'physics-2', groupId: B, isDefault: false },
      { alias: C.toLowerCase(), groupId: C.toLowerCase(), isDefault: false },
    ]);
  });

  it('GRAPH_GROUP_ID alone is the one calendar, alias default', () => {
    expect(parseCalendarList(undefined, A)).toEqual({
      calendars: [{ alias: 'default', groupId: A, isDefault: true }],
      problems: [],
    });
    expect(parseCalendarList(undefined, undefined)).toEqual({ calendars: [], problems: [] });
  });

  it('reports every bad entry by position, never echoing a value', () => {
    const { problems } = parseCalendarList(
      `Maths=${A},x=not-a-guid,,ok=${A},ok=${B},${'a'.repeat(33)}=${C}`,
      undefined,
    );
    expect(problems).toEqual([
      'GRAPH_GROUP_IDS entry 1: the alias must be 1–32 characters of a-z, 0-9 and -',
      'GRAPH_GROUP_IDS entry 2: the group id must be a group object id (a GUID)',
      'GRAPH_GROUP_IDS entry 3 is empty',
      "GRAPH_GROUP_IDS entry 5: the alias 'ok' is listed twice",
      'GRAPH_GROUP_IDS entry 6: the alias must be 1–32 characters of a-z, 0-9 and -',
    ]);
    expect(parseCalendarList(`a=${A},b=${A}`, undefined).problems).toEqual([
      'GRAPH_GROUP_IDS entry 2: the group is listed twice',
    ]);
    expect(parseCalendarList(`a=${A}`, B).problems).toEqual([
      'GRAPH_GROUP_ID must be one of the groups of GRAPH_GROUP_IDS, or unset',
    ]);
    expect(parseCalendarList(`a=${A}`, A).problems).toEqual([]);
    expect(parseCalendarList(undefined, 'my-group').problems).toEqual([
      'GRAPH_GROUP_ID must be a group object id (a GUID)',
    ]);
  });

  it('resolves an alias or a group id (any case), the default when none is named', () => {
    const { calendars } = parseCalendarList(`maths=${A},physics=${B}`, undefined);
    expect(resolveCalendar(calendars).alias).toBe('maths');
    expect(resolveCalendar(calendars, '').alias).toBe('maths');
    expect(resolveCalendar(calendars, 'physics').groupId).toBe(B);
    expect(resolveCalendar(calendars, B.toUpperCase()).alias).toBe('physics');
  });

  it('any other group is GROUP_NOT_ALLOWED (400) naming the allowed aliases', () => {
    const { calendars } = parseCalendarList(`maths=${A},physics=${B}`, undefined);
    const refuse = (group: string): GraphTokenError => {
      try {
        resolveCalendar(calendars, group);
      } catch (error) {
        return error as GraphTokenError;
      }
      throw new Error('resolved');
    };
    const error = refuse('chemistry');
    expect(error).toBeInstanceOf(GraphTokenError);
    expect([error.code, error.status]).toEqual(['GROUP_NOT_ALLOWED', 400]);
    expect(error.message).toBe("group: 'chemistry' is not an allowed calendar (allowed: maths, physics)");
    expect(error.hint).toMatch(/GET \/api\/calendars/);
    // Text that is not plainly a name is not echoed.
    expect(refuse('<script>').message).toMatch(/^group: the group given/);
    expect(refuse(C).code).toBe('GROUP_NOT_ALLOWED');
  });

  it('is part of the configuration: problems reported with the rest, the default as groupId', () => {
    const base = {
      GRAPH_CLIENT_ID: 'c',
      GRAPH_TENANT: 't',
      GRAPH_USERNAME: 'u@x',
      KEY_VAULT_URL: 'https://v.vault.azure.net',
    };
    const ok = loadConfig({ ...base, GRAPH_GROUP_IDS: `maths=${A},physics=${B}` });
    expect(ok.report.problems).toEqual([]);
    expect(ok.calendars.map((c) => c.alias)).toEqual(['maths', 'physics']);
    expect(ok.groupId).toBe(A);
    const bad = loadConfig({ ...base, GRAPH_GROUP_IDS: 'maths=nope' });
    expect(bad.report.valid).toBe(false);
    expect(bad.report.problems).toContain(
      'GRAPH_GROUP_IDS entry 1: the group id must be a group object id (a GUID)',
    );
    expect(JSON.stringify(bad.report)).not.toContain('nope');
    const single = loadConfig({ ...base, GRAPH_GROUP_ID: A });
    expect(single.calendars).toEqual([{ alias: 'default', groupId: A, isDefault: true }]);
  });
});
