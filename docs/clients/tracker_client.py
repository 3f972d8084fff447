"""Graph Token Manager events API from Python: standard library only (urllib, json).

Drop this file into a Django project (e.g. tracker/graph_calendar.py). It needs no package from PyPI.
docs/clients.md explains it; test/e2e/pythonClient.test.ts runs it against the local host.
"""

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


class ProblemError(Exception):
    """An RFC 9457 problem from the API: branch on ``code``, show ``hint`` to an operator."""

    def __init__(self, status, problem):
        self.status = status
        self.code = problem.get("code", "HTTP_%d" % status)
        self.title = problem.get("title", "")
        self.detail = problem.get("detail", "")
        self.hint = problem.get("hint", "")
        self.correlation_id = problem.get("correlation_id")
        super().__init__("%s (%d): %s" % (self.code, status, self.detail or self.title))


class InvalidRequest(ProblemError):
    """400: the message names the field; fix the data, do not retry."""


class NotFound(ProblemError):
    """404 EVENT_NOT_FOUND."""


class Conflict(ProblemError):
    """409: IDEMPOTENCY_KEY_REUSED, SYNC_IN_PROGRESS, EXTERNAL_ID_IN_OTHER_SCOPE."""


class Unavailable(ProblemError):
    """429 / 5xx: retried with Retry-After before this is raised; safe to retry later."""


def _problem_class(status):
    if status == 400:
        return InvalidRequest
    if status == 404:
        return NotFound
    if status == 409:
        return Conflict
    if status == 429 or status >= 500:
        return Unavailable
    return ProblemError


def _post_form(url, fields, headers=None):
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


class CachedToken:
    """Caches a token until five minutes before it expires (Entra ID tokens live about an hour)."""

    def __init__(self, fetch):
        self._fetch = fetch
        self._token = None
        self._expires_at = 0.0

    def __call__(self):
        if self._token is None or time.time() > self._expires_at - 300:
            self._token, self._expires_at = self._fetch()
        return self._token


def managed_identity_token(audience, client_id=None):
    """The app's managed identity (App Service / Functions / Container Apps: IDENTITY_ENDPOINT)."""

    def fetch():
        query = {"resource": audience, "api-version": "2019-08-01"}
        if client_id:  # a user-assigned identity
            query["client_id"] = client_id
        url = os.environ["IDENTITY_ENDPOINT"] + "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, headers={"X-IDENTITY-HEADER": os.environ["IDENTITY_HEADER"]})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.load(response)
        return body["access_token"], float(body["expires_on"])

    return CachedToken(fetch)


def client_credentials_token(tenant, client_id, client_secret, audience,
                             authority="https://login.microsoftonline.com"):
    """An app registration's client secret (outside Azure). The app needs an app role of the API."""

    def fetch():
        body = _post_form(
            "%s/%s/oauth2/v2.0/token" % (authority, tenant),
            {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
                "scope": audience.rstrip("/") + "/.default",
            },
        )
        return body["access_token"], time.time() + float(body["expires_in"])

    return CachedToken(fetch)


def static_token(token):
    """A fixed token, e.g. locally: ``npx graph-tokens dev-token --role Events.Create``."""
    return lambda: token


class TrackerCalendar:
    """The group calendar as the tracker sees it: events keyed by the tracker's own ids."""

    def __init__(self, api_base, token, group=None, max_retries=4):
        self.api_base = api_base.rstrip("/")  # e.g. https://<app>.azurewebsites.net/api
        self.token = token  # a callable returning a bearer token for API_AUDIENCE
        self.group = group  # calendar alias (GRAPH_GROUP_IDS); None = the default calendar
        self.max_retries = max_retries

    def _url(self, path):
        query = "?" + urllib.parse.urlencode({"group": self.group}) if self.group else ""
        return self.api_base + path + query

    def _call(self, method, path, body=None, headers=None):
        """One request; 429/503 are retried after Retry-After. Every call here is safe to repeat."""
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(self.max_retries + 1):
            request = urllib.request.Request(self._url(path), data=data, method=method)
            request.add_header("Authorization", "Bearer " + self.token())
            request.add_header("Accept", "application/json")
            if data is not None:
                request.add_header("Content-Type", "application/json")
            for name, value in (headers or {}).items():
                request.add_header(name, value)
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    text = response.read().decode()
                    return response.status, (json.loads(text) if text else None)
            except urllib.error.HTTPError as error:
                text = error.read().decode()
                try:
                    problem = json.loads(text)
                except ValueError:
                    problem = {"detail": text[:200]}
                retry_after = error.headers.get("Retry-After")
                if error.code in (429, 503) and attempt < self.max_retries:
                    time.sleep(min(float(retry_after or 2 ** attempt), 60))
                    continue
                raise _problem_class(error.code)(error.code, problem) from None
        raise AssertionError("unreachable")

    def create(self, event, idempotency_key=None):
        """Creates once: a repeat with the same key returns the original event (200 instead of 201)."""
        key = idempotency_key or str(uuid.uuid4())
        return self._call("POST", "/events", event, {"Idempotency-Key": key})[1]

    def upsert(self, external_id, event):
        """Creates, updates the differing fields, or sends nothing: {action, changes?, event}."""
        path = "/events/by-external-id/" + urllib.parse.quote(external_id, safe="")
        return self._call("PUT", path, event)[1]

    def get(self, external_id):
        path = "/events/by-external-id/" + urllib.parse.quote(external_id, safe="")
        return self._call("GET", path)[1]

    def cancel(self, external_id, comment=None):
        path = "/events/by-external-id/" + urllib.parse.quote(external_id, safe="") + "/cancel"
        self._call("POST", path, {"comment": comment} if comment else {})

    def sync(self, scope, events, remove="cancel", drift="keep", dry_run=False):
        """The calendar follows ``events`` (each with ``external_id``): the plan, or its result."""
        body = {"scope": scope, "events": events, "remove": remove, "drift": drift, "dry_run": dry_run}
        return self._call("POST", "/events/sync", body)[1]


def sync_with_review(calendar, scope, events, max_removals=10):
    """A dry run first; apply only when the plan removes no more than ``max_removals`` events."""
    plan = calendar.sync(scope, events, dry_run=True)
    if plan["counts"]["remove"] > max_removals:
        raise RuntimeError("the plan removes %d events; review it first" % plan["counts"]["remove"])
    return calendar.sync(scope, events)
