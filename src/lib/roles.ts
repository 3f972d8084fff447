/** The API's app roles (docs/http.md, caller authentication): what a caller token's `roles` may carry. */
export const ROLES = Object.freeze({
  read: 'GraphTokens.Read',
  admin: 'GraphTokens.Admin',
  /** Reads every event of the allowed calendars (docs/events.md, "Ownership and roles"). */
  eventsRead: 'Events.Read',
  /** Creates events, and reads, changes, cancels and deletes its own. */
  eventsCreate: 'Events.Create',
  /** Reads and changes any event the service created (implies `Events.Read`). */
  eventsManage: 'Events.Manage',
} as const);
export type Role = (typeof ROLES)[keyof typeof ROLES];

/** Every app role, in the order the docs list them. */
export const API_ROLES: readonly Role[] = Object.freeze([
  ROLES.read,
  ROLES.admin,
  ROLES.eventsRead,
  ROLES.eventsCreate,
  ROLES.eventsManage,
]);

/** The event roles, for the caller context (`OperationContext.roles`). */
export const EVENT_ROLES: readonly Role[] = Object.freeze([
  ROLES.eventsRead,
  ROLES.eventsCreate,
  ROLES.eventsManage,
]);
