/**
 * Request and response schemas of the external-id and sync routes (docs/sync.md), beside schemas.ts
 * (which re-exports them, so routes load them lazily with the rest).
 */
import { z } from 'zod';
import { MAX_SYNC_EVENTS } from '../lib/calendar/sync/request';
import { isExternalId } from '../lib/calendar/sync/request';

const group = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .describe('The calendar: an allowed alias or group id (GET /api/calendars); default the first.');

export const externalIdParamsSchema = z.strictObject({
  external_id: z
    .string()
    .refine(isExternalId, 'must be 1–128 printable characters without leading or trailing spaces')
    .describe("The caller's own id of the event (percent-encoded in the path)."),
});

/** `PUT /api/events/by-external-id/{external_id}`: an event (checked by the service, like a create). */
export const upsertEventBodySchema = z
  .record(z.string(), z.unknown())
  .describe(
    'An event (see CreateEventRequest); an `external_id` in the body must equal the one in the path.',
  );

export const syncBodySchema = z.strictObject({
  scope: z
    .string()
    .describe('1–64 characters of A-Z a-z 0-9 . _ : - naming the set, e.g. cs101-2027-spring.'),
  events: z
    .array(z.record(z.string(), z.unknown()).describe('An event plus its `external_id`.'))
    .max(MAX_SYNC_EVENTS)
    .describe(`The complete desired set of this caller's events in the scope (at most ${MAX_SYNC_EVENTS}).`),
  remove: z
    .enum(['cancel', 'delete', 'keep'])
    .optional()
    .describe('Events of the scope absent from `events`: cancel (default), delete, or keep.'),
  drift: z
    .enum(['keep', 'overwrite'])
    .optional()
    .describe('Events changed in Outlook since the service wrote them: keep (default) or overwrite.'),
  dry_run: z.boolean().optional().describe('Plan only: reads, sends nothing.'),
});

const problem = z.strictObject({
  status: z.number().int(),
  code: z.string(),
  detail: z.string(),
  hint: z.string(),
});
const action = z.enum(['create', 'update', 'unchanged', 'remove', 'drifted', 'failed']);

export const syncAnswerSchema = z.strictObject({
  scope: z.string(),
  group: z.string().describe("The calendar's alias."),
  dry_run: z.boolean(),
  counts: z.strictObject({
    create: z.number().int(),
    update: z.number().int(),
    unchanged: z.number().int(),
    remove: z.number().int(),
    drifted: z.number().int(),
    failed: z.number().int(),
  }),
  results: z.array(
    z.strictObject({
      external_id: z.string(),
      action,
      id: z.string().optional(),
      changes: z.array(z.string()).optional(),
      problem: problem.optional(),
    }),
  ),
});

export const groupQuery = z.strictObject({ group });

export const calendarListSchema = z.strictObject({
  items: z.array(
    z.strictObject({
      alias: z.string().describe('What `?group=` takes.'),
      group_id: z.string(),
      default: z.boolean().describe('Used when a call names no group.'),
      display_name: z.string().nullable().describe("The group's name in Microsoft 365 (null if unreadable)."),
      reachable: z.boolean().describe('The service account can read this calendar.'),
    }),
  ),
});

const countsSchema = z.strictObject({
  create: z.number().int(),
  update: z.number().int(),
  unchanged: z.number().int(),
  remove: z.number().int(),
  drifted: z.number().int(),
  failed: z.number().int(),
});

export const recentSyncsSchema = z.strictObject({
  items: z.array(
    z.strictObject({
      time: z.string(),
      actor: z.string(),
      actor_name: z.string().nullable(),
      scope: z.string(),
      group: z.string(),
      dry_run: z.boolean(),
      outcome: z.enum(['success', 'failure']),
      error_code: z.string().nullable(),
      counts: countsSchema.nullable(),
    }),
  ),
});
