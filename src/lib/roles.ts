/** The API's app roles (docs/http.md, caller authentication): what a caller token's `roles` may carry. */
export const ROLES = Object.freeze({
  read: 'GraphTokens.Read',
  admin: 'GraphTokens.Admin',
  eventsCreate: 'Events.Create',
} as const);
export type Role = (typeof ROLES)[keyof typeof ROLES];

/** Every app role, in the order the docs list them. */
export const API_ROLES: readonly Role[] = Object.freeze([ROLES.read, ROLES.admin, ROLES.eventsCreate]);
