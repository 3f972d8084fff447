import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { correlationIdOf } from './correlation';
import { logEvent } from './logging';
import { finishResponse } from './pipeline';
import { HTTP_ERRORS, HttpProblem, problemResponse } from './problem';
import { matchRoute, parseRouteTemplate } from './routeTemplate';
import { knownRoutes } from './routes';

/**
 * Answers what no API function took: 405 with `Allow` when the path is a known route (the Functions
 * host falls through to the catch-all when only the method differs), else 404. Either way a problem
 * body with a correlation id, like every other response.
 */
export async function routeFallback(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const correlationId = correlationIdOf(request.headers);
  const path = request.params.rest ?? '';
  const allowed = new Set<string>();
  for (const known of knownRoutes()) {
    if (matchRoute(parseRouteTemplate(known.route), path) !== null)
      known.methods.forEach((m) => allowed.add(m));
  }
  const error =
    allowed.size > 0
      ? new HttpProblem(HTTP_ERRORS.METHOD_NOT_ALLOWED, `${request.method} is not allowed here.`, {
          allow: [...allowed].join(', '),
        })
      : new HttpProblem(HTTP_ERRORS.ROUTE_NOT_FOUND, 'No API route matches this path.');
  const response = finishResponse(problemResponse(error, correlationId), correlationId);
  logEvent(context, 'info', 'http.request', {
    method: request.method,
    route: null,
    status: response.status,
    correlation_id: correlationId,
  });
  return response;
}
