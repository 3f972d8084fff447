/**
 * Graph JSON batching in the sandbox (docs/sandbox.md, "Graph"): 1–20 requests with unique ids,
 * relative URLs and optional `dependsOn` (a failed dependency is 424), run a few at a time in order,
 * each through its mailbox like a single request (Outlook evaluates batch items individually).
 */
import { errorReply, type Op, type Reply } from './routes';

interface BatchItem {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  body?: unknown;
  headers?: Record<string, string>;
  dependsOn?: unknown;
}

export interface BatchRunner {
  parallelism: number;
  /** Answers one item (route checks, faults, mailbox), given its parsed request. */
  runItem(op: Op): Promise<Reply>;
  knownRoute(route: string): boolean;
}

export async function runBatch(op: Op, runner: BatchRunner): Promise<Reply> {
  if (op.method !== 'POST')
    return errorReply(405, 'Request_BadRequest', 'Specified HTTP method is not allowed.');
  const requests = (op.body as { requests?: unknown } | undefined)?.requests;
  if (!Array.isArray(requests) || requests.length === 0) {
    return errorReply(400, 'BadRequest', 'Invalid batch payload format.');
  }
  if (requests.length > 20) {
    return errorReply(400, 'BadRequest', 'Number of batch request steps exceeds the maximum of 20.');
  }
  const items = requests as BatchItem[];
  const ids = items.map((r) => String(r.id ?? ''));
  if (new Set(ids).size !== ids.length || ids.some((id) => !id)) {
    return errorReply(400, 'BadRequest', 'Batch request ids must be unique and non-empty.');
  }
  const done = new Map<string, Promise<Reply>>();
  const run = async (item: BatchItem): Promise<Reply> => {
    const deps = Array.isArray(item.dependsOn) ? item.dependsOn.map(String) : [];
    for (const dep of deps) {
      const result = await done.get(dep);
      if (!result || result.status >= 400) return errorReply(424, 'FailedDependency', 'A dependency failed.');
    }
    const url = new URL(String(item.url ?? '').replace(/^\/?/, '/'), 'https://graph.local');
    const route = url.pathname.replace(/^\//, '').split('/').map(decodeURIComponent).join('/');
    if (!runner.knownRoute(route) || route === '$batch') {
      return errorReply(
        400,
        'BadRequest',
        `Resource not found for the segment '${route.split('/').at(-1)}'.`,
      );
    }
    const headers = Object.fromEntries(
      Object.entries(item.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const method = String(item.method ?? 'GET').toUpperCase();
    return runner.runItem({ method, route, query: url.searchParams, body: item.body, headers });
  };
  // Graph dispatches a batch's requests a few at a time, in order; dependent ones wait for theirs.
  const replies = new Array<Reply>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const promise = run(items[index]!);
      done.set(ids[index]!, promise);
      replies[index] = await promise;
    }
  };
  await Promise.all(Array.from({ length: Math.min(runner.parallelism, items.length) }, worker));
  return {
    status: 200,
    body: {
      responses: replies.map((reply, index) => ({
        id: ids[index],
        status: reply.status,
        headers: { 'content-type': 'application/json', ...reply.headers },
        body: reply.body ?? null,
      })),
    },
  };
}
