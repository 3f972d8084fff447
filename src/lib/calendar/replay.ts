import type { GroupEvent } from '../types';

/**
 * Events that answer a repeated idempotency key (HTTP 200 instead of 201). A module of its own, free of
 * the rest of the events room, so the function that reports it loads nothing more at start-up.
 */
const replays = new WeakSet<GroupEvent>();

export function markReplay(event: GroupEvent): void {
  replays.add(event);
}

/** Whether `event` is the original event returned for a repeated idempotency key. */
export function isReplay(event: GroupEvent): boolean {
  return replays.has(event);
}
