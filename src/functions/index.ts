/**
 * The function app: every registration, in one module. The deployment bundle (scripts/package-app.js)
 * and the local function app (dist/app/, what `npm start` serves) both load this file; the Functions
 * host sees the same functions either way. A new registration file must be added here (a test checks).
 */
import './acquireToken';
import './admin';
import './cancelEvent';
import './cleanupTokens';
import './createEvent';
import './createEvents';
import './deactivateToken';
import './deleteEvent';
import './eventByExternalId';
import './getEvent';
import './health';
import './lifecycle';
import './listEventOccurrences';
import './listCalendars';
import './listEvents';
import './listTokens';
import './openapi';
import './recentSyncs';
import './refreshTokens';
import './routeFallback';
import './signIn';
import './syncEvents';
import './timers';
import './tokenReport';
import './tokenStatus';
import './updateEvent';
import './upsertEvent';
import './validateTokens';
