import { z } from 'zod';
import { ROLES } from './auth';
import { MAX_BODY_BYTES } from './body';
import { CORRELATION_HEADER } from './correlation';
import { problemSchema } from './schemas';
import { ENDPOINTS, type EndpointDefinition } from './routes';
import { PACKAGE_VERSION } from '../lib/version';

/**
 * The OpenAPI 3.1 document of the API, generated from the same route table and zod schemas that
 * validate requests, so the two cannot drift. Built once per process.
 */

type JsonObject = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as JsonObject;
  return rest;
}

/** The roles of an endpoint (any of them suffices); none for an anonymous one. */
function rolesOf(endpoint: EndpointDefinition): readonly string[] {
  if (endpoint.role === null) return [];
  return typeof endpoint.role === 'string' ? [endpoint.role] : endpoint.role;
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Invalid request: JSON syntax, shape, types, unknown fields or values',
  401: 'Missing or invalid bearer token (see WWW-Authenticate)',
  403: 'The caller lacks the required app role',
  404: 'Not found',
  405: 'Method not allowed (see Allow)',
  409: 'Conflict: credentials blocked to prevent lockout, or an idempotency key reused for another body',
  413: `Body larger than ${MAX_BODY_BYTES} bytes`,
  415: 'Body is not application/json',
  500: 'Unexpected error (details only in the logs, under the correlation id)',
  502: 'The identity provider or Microsoft Graph rejected the request',
  503: 'A dependency (storage, Key Vault, identity provider, Graph) is unavailable or not configured',
};

function parameters(schema: z.ZodType | undefined, location: 'query' | 'path'): JsonObject[] {
  if (schema === undefined) return [];
  const object = jsonSchema(schema, 'input') as {
    properties?: Record<string, JsonObject>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: location,
      required: location === 'path' || (object.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
    };
  });
}

function operation(endpoint: EndpointDefinition, schemas: Record<string, JsonObject>): JsonObject {
  const responseName = `${pascal(endpoint.name)}Response`;
  if (endpoint.response !== null) schemas[responseName] = jsonSchema(endpoint.response, 'output');
  const problems = new Set<number>([400, 500, ...(endpoint.problems ?? [])]);
  if (endpoint.role !== null) [401, 403].forEach((s) => problems.add(s));
  if (endpoint.body !== undefined) [413, 415].forEach((s) => problems.add(s));
  const correlationHeader = { [CORRELATION_HEADER]: { $ref: '#/components/headers/CorrelationId' } };
  const responses: JsonObject = {
    [String(endpoint.successStatus)]: {
      description: endpoint.response === null ? 'Success (no body)' : 'Success',
      headers: correlationHeader,
      ...(endpoint.response !== null
        ? { content: { 'application/json': { schema: { $ref: `#/components/schemas/${responseName}` } } } }
        : {}),
    },
  };
  for (const status of [...problems].sort()) {
    responses[String(status)] = {
      description: STATUS_TEXT[status] ?? 'Error',
      headers: correlationHeader,
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  const op: JsonObject = {
    operationId: endpoint.name,
    summary: endpoint.summary,
    ...(endpoint.description !== undefined ? { description: endpoint.description } : {}),
    tags: [endpoint.role === null ? 'service' : endpoint.route.startsWith('events') ? 'events' : 'tokens'],
    parameters: [
      ...parameters(endpoint.params, 'path'),
      ...parameters(endpoint.query, 'query'),
      ...(endpoint.requestHeaders ?? []).map((h) => ({
        name: h.name,
        in: 'header',
        required: false,
        description: h.description,
        schema: { type: 'string' },
      })),
      { $ref: '#/components/parameters/CorrelationId' },
    ],
    // Several roles: any of them (one security requirement each).
    security: rolesOf(endpoint).map((role) => ({ entraId: [role] })),
    ...(endpoint.role !== null ? { 'x-required-role': rolesOf(endpoint).join(' or ') } : {}),
    responses,
  };
  if (endpoint.body !== undefined) {
    const requestName = `${pascal(endpoint.name)}Request`;
    schemas[requestName] = jsonSchema(endpoint.body, 'input');
    op.requestBody = {
      required: false,
      description: 'JSON object; an empty body means `{}` where every field is optional.',
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${requestName}` } } },
    };
  }
  return op;
}

function build(): JsonObject & { openapi: string } {
  const schemas: Record<string, JsonObject> = { Problem: jsonSchema(problemSchema, 'output') };
  const paths: Record<string, JsonObject> = {};
  for (const endpoint of Object.values(ENDPOINTS) as EndpointDefinition[]) {
    const path = `/${endpoint.route}`;
    paths[path] ??= {};
    paths[path][endpoint.method.toLowerCase()] = operation(endpoint, schemas);
  }
  paths['/admin'] = {
    get: {
      operationId: 'adminPage',
      summary: 'Admin page (static; its API calls need GraphTokens.Admin)',
      tags: ['service'],
      security: [],
      responses: {
        '200': { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } },
      },
    },
  };
  paths['/sign-in/callback'] = {
    get: {
      operationId: 'signInCallback',
      summary:
        "Entra ID's redirect after the delegated sign-in: redeems the code, redirects to the admin page",
      description:
        'Anonymous (a browser redirect), but only completes a sign-in started by POST /api/sign-in/start in the same browser (cookie) within 10 minutes. Redirects (303) to /api/admin?sign_in=ok or ?sign_in=failed&code=<code>.',
      tags: ['service'],
      security: [],
      parameters: ['code', 'state', 'error', 'error_description'].map((name) => ({
        name,
        in: 'query',
        required: false,
        schema: { type: 'string' },
      })),
      responses: { '303': { description: 'Back to the admin page with the result' } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Graph Token Manager API',
      version: PACKAGE_VERSION,
      description:
        'Keeps a delegated Microsoft Graph token valid and manages it. Errors are RFC 9457 problem details. ' +
        `Every response carries ${CORRELATION_HEADER}. Access tokens themselves are never returned.`,
    },
    servers: [{ url: '/api' }],
    tags: [
      { name: 'tokens', description: 'Token management' },
      { name: 'events', description: 'Group calendar events' },
      { name: 'service', description: 'Anonymous endpoints' },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        entraId: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            `Entra ID access token for this API (aud = API_AUDIENCE) with an app role in \`roles\`: ` +
            `${ROLES.read}, ${ROLES.admin} (implies ${ROLES.read}), ${ROLES.eventsRead} (reads every event), ` +
            `${ROLES.eventsCreate} (creates events; reads and changes its own), ${ROLES.eventsManage} ` +
            `(reads and changes any event the service created; implies ${ROLES.eventsRead}).`,
        },
      },
      parameters: {
        CorrelationId: {
          name: CORRELATION_HEADER,
          in: 'header',
          required: false,
          description:
            'Echoed when it is 1-64 characters of [A-Za-z0-9._-]; otherwise a new id is generated.',
          schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
        },
      },
      headers: {
        CorrelationId: { description: 'Correlation id of this request.', schema: { type: 'string' } },
      },
    },
  };
}

let cached: (JsonObject & { openapi: string }) | undefined;

export function openApiDocument(): JsonObject & { openapi: string } {
  cached ??= build();
  return cached;
}
