/**
 * Who may touch which event (docs/events.md, docs/events.md "Ownership and roles"). Pure decisions with unit
 * tests of their own; the operations around them read the event's stamps and act on the verdict.
 *
 * - `Events.Read` reads every event of the allowed calendars; `Events.Manage` implies it.
 * - `Events.Create` creates events and reads, changes, cancels and deletes its own (owner stamp equal to
 *   its immutable identity, `tid:oid`).
 * - `Events.Manage` changes any event the service created.
 * - Nobody changes an event without an owner stamp (a person's own meeting): `EVENT_NOT_MANAGED`.
 * - A caller who may not read an event gets `EVENT_NOT_FOUND` (its existence is not revealed); one who
 *   may read it but not change it gets `EVENT_NOT_OWNER`.
 */
import type { Config } from '../config';
import { ERRORS, GraphTokenError } from '../errors';
import { ROLES } from '../roles';
import type { OperationContext } from '../types';

/** The owner of in-process calls (library, CLI, timers): every event role. */
export const LIBRARY_OWNER = 'library';

export type EventAccess = 'read' | 'change';
export type AccessVerdict = 'allow' | 'EVENT_NOT_FOUND' | 'EVENT_NOT_OWNER' | 'EVENT_NOT_MANAGED';

/** The owner stamped on what `ctx` creates: its immutable identity, or `library` in-process. */
export function ownerOf(ctx: Pick<OperationContext, 'actor' | 'roles'>): string {
  return ctx.roles === undefined ? LIBRARY_OWNER : ctx.actor;
}

function holds(ctx: Pick<OperationContext, 'roles'>, role: string): boolean {
  return ctx.roles === undefined || ctx.roles.includes(role);
}

/** Reads every event (`Events.Read`, or `Events.Manage` which implies it). */
export function readsAll(ctx: Pick<OperationContext, 'roles'>): boolean {
  return holds(ctx, ROLES.eventsRead) || holds(ctx, ROLES.eventsManage);
}

/**
 * May `ctx` do `access` to an event whose owner stamp is `owner` (undefined: none, the service did not
 * create it)?
 */
export function decideAccess(
  ctx: Pick<OperationContext, 'actor' | 'roles'>,
  owner: string | undefined,
  access: EventAccess,
): AccessVerdict {
  const own = owner !== undefined && owner === ownerOf(ctx) && holds(ctx, ROLES.eventsCreate);
  if (!readsAll(ctx) && !own) return 'EVENT_NOT_FOUND';
  if (access === 'read') return 'allow';
  if (owner === undefined) return 'EVENT_NOT_MANAGED';
  if (own || holds(ctx, ROLES.eventsManage)) return 'allow';
  return 'EVENT_NOT_OWNER';
}

/** `decideAccess`, thrown as the service's error when it does not allow. */
export function assertAccess(
  ctx: Pick<OperationContext, 'actor' | 'roles'>,
  owner: string | undefined,
  access: EventAccess,
  id: string,
): void {
  const verdict = decideAccess(ctx, owner, access);
  if (verdict === 'allow') return;
  const shown = id.length > 24 ? `${id.slice(0, 24)}…` : id;
  const messages: Record<Exclude<AccessVerdict, 'allow'>, string> = {
    EVENT_NOT_FOUND: `No event ${shown} in the group calendar`,
    EVENT_NOT_OWNER: `Event ${shown} belongs to another caller`,
    EVENT_NOT_MANAGED: `Event ${shown} was not created by this service; it cannot be changed through it`,
  };
  throw new GraphTokenError(ERRORS[verdict], messages[verdict]);
}

/** Creating needs `Events.Create` (the HTTP routes check it first; in-process calls hold every role). */
export function assertMayCreate(ctx: Pick<OperationContext, 'roles'>): void {
  if (!holds(ctx, ROLES.eventsCreate)) {
    throw new GraphTokenError(ERRORS.FORBIDDEN, 'Creating events requires the app role Events.Create');
  }
}

/**
 * `EVENT_ATTENDEE_DOMAINS`: every attendee's domain must be listed (empty list: any), so a leaked caller
 * credential cannot turn the service account into a mass mailer.
 */
export function assertAttendeeDomains(
  config: Pick<Config, 'eventAttendeeDomains'>,
  attendees: readonly { email: string }[],
  where = '',
): void {
  const allowed = config.eventAttendeeDomains;
  if (allowed.length === 0) return;
  attendees.forEach(({ email: address }, index) => {
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    if (!allowed.includes(domain)) {
      throw new GraphTokenError(
        ERRORS.INVALID_REQUEST,
        `${where ? `${where}.` : ''}attendees[${index}]: ${address.slice(0, 254)} is not in an allowed domain (EVENT_ATTENDEE_DOMAINS: ${allowed.join(', ')})`,
      );
    }
  });
}
