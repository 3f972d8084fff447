/**
 * Graph's event resource as the sandbox answers it (docs/sandbox.md, "Event fields"): times in the zone
 * `Prefer: outlook.timezone` asks for (UTC by default, seven fraction digits), the body in the format
 * `Prefer: outlook.body-content-type` asks for (HTML by default), `$select` and the `$expand` of
 * single-value extended properties.
 */
import { htmlToText, textToHtml } from './eventFields';
import { expandedProperties } from './filter';
import type { EventView } from './series';
import { rulesOf, toWall } from './timeZones';

export interface RenderOptions {
  baseUrl: string;
  groupId: string;
  caller: string;
  /** The zone names to write start and end in (as the caller named them). */
  startZone: string;
  endZone: string;
  bodyType: 'text' | 'html';
  select: Set<string> | null;
  expand: Set<string> | 'all' | null;
  /** Adds `@odata.context` for a single entity. */
  entity?: boolean;
}

/** How Graph writes a dateTimeTimeZone: the wall clock in `zoneName`, seven-digit fractions. */
export function writeDateTime(instant: number, zoneName: string): { dateTime: string; timeZone: string } {
  return { dateTime: `${toWall(instant, rulesOf(zoneName))}.0000000`, timeZone: zoneName };
}

export function renderBody(
  body: { contentType: 'html' | 'text'; content: string },
  want: 'text' | 'html',
): { contentType: 'html' | 'text'; content: string } {
  if (body.contentType === want) return { ...body };
  return {
    contentType: want,
    content: want === 'text' ? htmlToText(body.content) : textToHtml(body.content),
  };
}

export function renderEvent(view: EventView, o: RenderOptions): Record<string, unknown> {
  const e = view.event;
  const f = view.fields;
  const text = f.body.contentType === 'html' ? htmlToText(f.body.content) : f.body.content;
  const full: Record<string, unknown> = {
    '@odata.etag': `W/"${view.changeKey}"`,
    id: view.id,
    createdDateTime: e.createdDateTime,
    lastModifiedDateTime: view.lastModifiedDateTime,
    changeKey: view.changeKey,
    categories: f.categories,
    ...(e.transactionId && view.date === null ? { transactionId: e.transactionId } : {}),
    originalStartTimeZone: view.startZone,
    originalEndTimeZone: view.endZone,
    iCalUId: `040000008200E00074C5B7101A82E008${e.id.slice(6, 34).toUpperCase()}${view.date?.replace(/-/g, '') ?? ''}`,
    reminderMinutesBeforeStart: f.reminderMinutesBeforeStart,
    isReminderOn: f.isReminderOn,
    hasAttachments: false,
    subject: f.subject,
    bodyPreview: text.slice(0, 255),
    importance: f.importance,
    sensitivity: f.sensitivity,
    isAllDay: e.isAllDay,
    isCancelled: e.isCancelled,
    isOrganizer: e.organizer.toLowerCase() === o.caller.toLowerCase(),
    responseRequested: f.responseRequested,
    seriesMasterId: view.date === null ? null : e.id,
    showAs: f.showAs,
    type: view.type,
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(view.id)}&exvsurl=1&path=/calendar/item`,
    onlineMeetingUrl: null,
    isOnlineMeeting: f.isOnlineMeeting,
    onlineMeetingProvider: f.onlineMeetingProvider,
    allowNewTimeProposals: f.allowNewTimeProposals,
    isDraft: false,
    hideAttendees: f.hideAttendees,
    ...(view.originalStart ? { originalStart: view.originalStart.replace(/\.\d+Z$/, 'Z') } : {}),
    responseStatus: { response: 'organizer', time: '0001-01-01T00:00:00Z' },
    body: renderBody(f.body, o.bodyType),
    start: writeDateTime(Date.parse(view.start), o.startZone),
    end: writeDateTime(Date.parse(view.end), o.endZone),
    location: f.location,
    locations: f.locations,
    recurrence: view.type === 'seriesMaster' ? e.recurrence : null,
    attendees: f.attendees,
    organizer: { emailAddress: { name: e.organizerName ?? e.organizer, address: e.organizer } },
    onlineMeeting: f.onlineMeeting,
  };
  const out: Record<string, unknown> =
    o.select === null ? full : Object.fromEntries(Object.entries(full).filter(([k]) => o.select!.has(k)));
  if (o.expand !== null) out.singleValueExtendedProperties = expandedProperties(view.properties, o.expand);
  if (o.entity) {
    return { '@odata.context': `${o.baseUrl}/$metadata#groups('${o.groupId}')/events/$entity`, ...out };
  }
  return out;
}
