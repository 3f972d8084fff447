/** Time zones sent to Graph: Graph's documented IANA names, else CLDR's Windows zone, else refused. */
import {
  graphTimeZone,
  ianaFromGraph,
  isSupportedTimeZone,
  isWindowsTimeZone,
  timeZoneSchema,
  windowsTimeZone,
} from '../../../../src/lib/calendar/model/timeZones';
import { GRAPH_IANA_ZONES, WINDOWS_ZONES } from '../../../../src/lib/calendar/model/windowsZones.data';

const runtimeZones = Intl.supportedValuesOf('timeZone');

describe('graphTimeZone', () => {
  it('sends a zone that is not on Graph’s IANA list as its CLDR Windows zone', () => {
    expect(GRAPH_IANA_ZONES).not.toContain('Europe/Amsterdam');
    expect(graphTimeZone('Europe/Amsterdam')).toBe('W. Europe Standard Time');
    expect(graphTimeZone('Europe/Brussels')).toBe('Romance Standard Time');
    expect(graphTimeZone('America/Toronto')).toBe('Eastern Standard Time');
  });

  it('passes a listed IANA name through, in Graph’s spelling', () => {
    expect(graphTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(graphTimeZone('europe/paris')).toBe('Europe/Paris');
    expect(graphTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(graphTimeZone('America/New_York')).toBe('America/New_York');
  });

  it('reaches CLDR’s older spellings from current names and back', () => {
    // Not on Graph's list in this spelling, so the Windows zone; both names are one zone.
    expect(graphTimeZone('Asia/Calcutta')).toBe('India Standard Time');
    expect(graphTimeZone('Europe/Kyiv')).toBe('FLE Standard Time');
    expect(graphTimeZone('Asia/Yangon')).toBe('Myanmar Standard Time');
    expect(graphTimeZone('Asia/Ho_Chi_Minh')).toBe('SE Asia Standard Time');
  });

  it('always supports UTC, as Windows’ UTC', () => {
    expect(graphTimeZone('UTC')).toBe('UTC');
    expect(graphTimeZone('Etc/UTC')).toBe('UTC');
    expect(isSupportedTimeZone('UTC')).toBe(true);
  });

  it('refuses a zone CLDR does not map and names that are not zones', () => {
    expect(graphTimeZone('Antarctica/Troll')).toBeUndefined();
    expect(isSupportedTimeZone('Antarctica/Troll')).toBe(false);
    expect(graphTimeZone('Mars/Olympus_Mons')).toBeUndefined();
    expect(graphTimeZone('+01:00')).toBeUndefined();
    expect(graphTimeZone('')).toBeUndefined();
    // A Windows name is not an IANA zone: callers give IANA names.
    expect(graphTimeZone('W. Europe Standard Time')).toBeUndefined();
  });

  it('maps nearly every zone the runtime knows, and what it cannot map is listed in the docs', () => {
    const unmapped = runtimeZones.filter((zone) => !isSupportedTimeZone(zone));
    expect(unmapped).toContain('Antarctica/Troll');
    expect(unmapped.length).toBeLessThan(10);
  });
});

describe('timeZoneSchema', () => {
  it('takes a supported zone and says why it refuses others', () => {
    expect(timeZoneSchema.parse('Europe/Amsterdam')).toBe('Europe/Amsterdam');
    const troll = timeZoneSchema.safeParse('Antarctica/Troll');
    expect(troll.error!.issues[0]!.message).toMatch(
      /^Antarctica\/Troll has no form Microsoft Graph documents/,
    );
    const bad = timeZoneSchema.safeParse('+01:00');
    expect(bad.error!.issues[0]!.message).toBe('must be an IANA time zone name, e.g. Europe/Amsterdam');
  });
});

describe('ianaFromGraph', () => {
  it('gives the caller’s zone back when it maps to Graph’s answer', () => {
    expect(ianaFromGraph('W. Europe Standard Time', 'Europe/Amsterdam')).toBe('Europe/Amsterdam');
    expect(ianaFromGraph('Europe/Berlin', 'Europe/Berlin')).toBe('Europe/Berlin');
    expect(ianaFromGraph('w. europe standard time', 'Europe/Amsterdam')).toBe('Europe/Amsterdam');
    // Graph may answer with the Windows name of a zone sent as a listed IANA name.
    expect(ianaFromGraph('W. Europe Standard Time', 'Europe/Berlin')).toBe('Europe/Berlin');
  });

  it('ignores a hint that does not map to the answer', () => {
    expect(ianaFromGraph('Romance Standard Time', 'Europe/Amsterdam')).toBe('Europe/Paris');
    expect(ianaFromGraph('Pacific Standard Time', 'Not/A_Zone')).toBe('America/Los_Angeles');
  });

  it('turns a Windows name into CLDR’s default zone, in its current spelling', () => {
    expect(ianaFromGraph('W. Europe Standard Time')).toBe('Europe/Berlin');
    expect(ianaFromGraph('India Standard Time')).toBe('Asia/Kolkata');
    expect(ianaFromGraph('FLE Standard Time')).toBe('Europe/Kyiv');
    expect(ianaFromGraph('UTC')).toBe('UTC');
    expect(ianaFromGraph('tzone://Microsoft/Utc')).toBe('UTC');
  });

  it('passes IANA names through and knows nothing else', () => {
    expect(ianaFromGraph('Asia/Tokyo')).toBe('Asia/Tokyo');
    expect(ianaFromGraph('tzone://Microsoft/Custom')).toBeUndefined();
    expect(ianaFromGraph('Customized Time Zone')).toBeUndefined();
    expect(ianaFromGraph('  ')).toBeUndefined();
  });

  it('round-trips every supported zone', () => {
    for (const zone of runtimeZones.filter(isSupportedTimeZone)) {
      const sent = graphTimeZone(zone)!;
      expect([zone, ianaFromGraph(sent, zone)]).toEqual([zone, zone]);
      // Without the hint, the answer is a zone that goes to Graph in the same Windows zone.
      const back = ianaFromGraph(sent)!;
      expect([zone, windowsTimeZone(back)]).toEqual([zone, windowsTimeZone(zone)]);
    }
  });

  it('every Windows zone of the table comes back as a zone the runtime knows', () => {
    for (const line of WINDOWS_ZONES) {
      const windows = line.split('|')[0]!;
      expect(isWindowsTimeZone(windows)).toBe(true);
      const iana = ianaFromGraph(windows)!;
      expect([windows, isSupportedTimeZone(iana)]).toEqual([windows, true]);
      expect([windows, windowsTimeZone(iana)]).toEqual([windows, windows]);
    }
  });

  it('every IANA name on Graph’s list is one the runtime knows', () => {
    for (const zone of GRAPH_IANA_ZONES) expect([zone, graphTimeZone(zone)]).toEqual([zone, zone]);
  });
});
