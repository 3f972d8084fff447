import { app } from '@azure/functions';
import { routeFallback } from '../http/fallback';

// The least specific route: the Functions host tries it only after every other route (and method) failed.
app.http('routeFallback', {
  route: '{*rest}',
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
  authLevel: 'anonymous',
  handler: routeFallback,
});
