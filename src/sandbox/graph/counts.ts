/** The sandbox Graph's request counts (docs/sandbox.md, "Counts"). */
/** Requests that ran at one group's mailbox, by method, and split into reads (GET) and writes. */
export interface GroupCounts {
  reads: number;
  writes: number;
  GET: number;
  POST: number;
  PATCH: number;
  DELETE: number;
}

export interface GraphCounts {
  /** Requests to `/me`, including faulted and rejected ones. */
  me: number;
  /** Event creations attempted (`POST /groups/{id}/events`, batch items included), faulted and rejected ones too. */
  events: number;
  /** Requests rejected with 401 for a missing, forged or expired token. */
  unauthorized: number;
  /** `$batch` requests received. */
  batches: number;
  /** Requests that ran against a mailbox (calendar routes and batch items). */
  mailbox_requests: number;
  /** Of those, reads (GET) and writes (POST, PATCH, DELETE). */
  reads: number;
  writes: number;
  /** Per group id: the requests that ran there. */
  by_group: Record<string, GroupCounts>;
  /** The most requests ever running at one mailbox at once. */
  max_in_flight: number;
  /** Requests refused with 429 `MailboxConcurrency` (a 5th concurrent request). */
  mailbox_rejected: number;
  /** Requests refused with 429 because the mailbox's request budget (10 000 / 10 min) was spent. */
  budget_rejected: number;
  /** Creates answered with an existing event because their `transactionId` was seen before. */
  deduplicated: number;
}

export const zeroCounts = (): GraphCounts => ({
  me: 0,
  events: 0,
  unauthorized: 0,
  batches: 0,
  mailbox_requests: 0,
  reads: 0,
  writes: 0,
  by_group: {},
  max_in_flight: 0,
  mailbox_rejected: 0,
  budget_rejected: 0,
  deduplicated: 0,
});

/** Counts a request admitted to a group's mailbox. */
export function countRequest(c: GraphCounts, groupId: string, method: string, running: number): void {
  c.max_in_flight = Math.max(c.max_in_flight, running);
  c.mailbox_requests += 1;
  const g = (c.by_group[groupId] ??= { reads: 0, writes: 0, GET: 0, POST: 0, PATCH: 0, DELETE: 0 });
  const read = method === 'GET';
  c[read ? 'reads' : 'writes'] += 1;
  g[read ? 'reads' : 'writes'] += 1;
  if (method === 'GET' || method === 'POST' || method === 'PATCH' || method === 'DELETE') g[method] += 1;
}
