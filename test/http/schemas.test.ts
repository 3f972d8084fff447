import { openApiDocument } from '../../src/http/openapi';
import { ENDPOINTS } from '../../src/http/routes';
import {
  acquireTokenBodySchema,
  groupEventBodySchema,
  isIanaTimeZone,
  listTokensQuerySchema,
} from '../../src/http/schemas';

const event = { subject: 'Open day', start: '2026-12-01T09:00:00+01:00', end: '2026-12-01T11:00:00+01:00' };

describe('request schemas', () => {
  it('applies the event defaults', () => {
    expect(groupEventBodySchema.parse(event)).toEqual({ ...event, time_zone: 'UTC', body_type: 'text' });
  });

  it.each([
    ['no subject', { ...event, subject: '' }],
    ['a long subject', { ...event, subject: 'x'.repeat(256) }],
    ['no offset', { ...event, start: '2026-12-01T09:00:00' }],
    ['an impossible date', { ...event, start: '2026-02-30T09:00:00Z' }],
    ['end before start', { ...event, end: '2026-12-01T08:00:00+01:00' }],
    ['end equal to start', { ...event, end: event.start }],
    ['an offset time zone', { ...event, time_zone: '+01:00' }],
    ['an unknown time zone', { ...event, time_zone: 'Mars/Olympus' }],
    ['a bad body type', { ...event, body_type: 'markdown' }],
    ['a bad attendee', { ...event, attendees: ['not-an-email'] }],
    [
      'too many attendees',
      { ...event, attendees: Array.from({ length: 501 }, (_, i) => `a${i}@contoso.example`) },
    ],
    ['an unknown field', { ...event, colour: 'red' }],
  ])('refuses an event with %s', (_name, body) => {
    expect(groupEventBodySchema.safeParse(body).success).toBe(false);
  });

  it('knows IANA time zones', () => {
    expect(
      ['UTC', 'Europe/Amsterdam', 'America/Argentina/Buenos_Aires', 'Etc/GMT+1'].every(isIanaTimeZone),
    ).toBe(true);
    expect(['', 'Europe/Nowhere', '+01:00', 'utc offset'].some(isIanaTimeZone)).toBe(false);
  });

  it('refuses unknown token types and fields', () => {
    expect(acquireTokenBodySchema.safeParse({ token_type: 'device_code' }).success).toBe(false);
    expect(acquireTokenBodySchema.safeParse({ force: true }).success).toBe(false);
    expect(acquireTokenBodySchema.safeParse({ force_refresh: 'yes' }).success).toBe(false);
  });

  it('parses list queries', () => {
    expect(listTokensQuerySchema.parse({ limit: '25' })).toEqual({ limit: 25 });
    expect(listTokensQuerySchema.safeParse({ limit: '0' }).success).toBe(false);
    expect(listTokensQuerySchema.safeParse({ limit: '1e3' }).success).toBe(false);
  });
});

describe('OpenAPI document', () => {
  const doc = openApiDocument() as {
    openapi: string;
    paths: Record<
      string,
      Record<
        string,
        {
          operationId: string;
          security: unknown[];
          requestBody?: unknown;
          responses: Record<string, unknown>;
        }
      >
    >;
    components: { schemas: Record<string, { additionalProperties?: boolean; required?: string[] }> };
  };

  it('is OpenAPI 3.1 and lists every endpoint with its method', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const endpoint of Object.values(ENDPOINTS)) {
      const op = doc.paths[`/${endpoint.route}`]?.[endpoint.method.toLowerCase()];
      expect(op?.operationId).toBe(endpoint.name);
      expect(op?.responses[String(endpoint.successStatus)]).toBeDefined();
      const roles =
        endpoint.role === null ? [] : typeof endpoint.role === 'string' ? [endpoint.role] : endpoint.role;
      expect(op?.security).toEqual(roles.map((role) => ({ entraId: [role] })));
    }
  });

  it('documents request bodies from the validating schemas (strict, with required fields)', () => {
    expect(doc.components.schemas.CreateEventRequest?.additionalProperties).toBe(false);
    expect(doc.components.schemas.CreateEventRequest?.required).toEqual(['subject', 'start', 'end']);
    expect(doc.components.schemas.AcquireTokenRequest?.additionalProperties).toBe(false);
  });
});
