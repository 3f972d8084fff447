/**
 * A stand-in of the Azure Key Vault secrets REST API over HTTPS, used through the real `SecretClient`.
 * It authenticates like the real service: a request without a bearer token gets a 401 challenge naming
 * the tenant's authority and the `https://vault.azure.net` resource; the SDK then fetches a token for that
 * resource from the sandbox identity provider and retries with it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ensureSandboxCertificate, type SandboxCertificate } from './certs';
import {
  StandIn,
  RequestBodyError,
  bearerToken,
  describeIssues,
  dropConnection,
  nowSeconds,
  readJson,
  sendJson,
  sendMethodNotAllowed,
  sendNotFound,
  startHttpsServer,
  type LoopbackHttpsServer,
  type SandboxRequestLog,
} from './http';
import type { SandboxIdentityProvider } from './identityProvider';

export type KeyVaultFault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number; times?: number }
  | { kind: 'drop'; times?: number };

export interface KeyVaultCounts {
  /** Authorised reads of a secret (latest or a version). */
  get: number;
  /** Authorised writes of a secret. */
  set: number;
  /** Requests whose bearer token was rejected (bad signature, audience, issuer or expired). */
  unauthorized: number;
  /** Requests without a bearer token, answered with the 401 challenge (one per new client). */
  challenges: number;
}

export interface SandboxKeyVaultOptions {
  /** Tokens must be signed by this provider; without one any bearer token is accepted. */
  identityProvider?: SandboxIdentityProvider;
  port?: number;
  certificate?: SandboxCertificate;
  onRequest?: (entry: SandboxRequestLog) => void;
}

/** The resource Key Vault tokens are issued for (`https://vault.azure.net/.default`). */
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';

interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  created: number;
  updated: number;
}

const faultSchema: z.ZodType<KeyVaultFault> = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('status'),
      status: z.number().int().min(400).max(599),
      retryAfterSeconds: z.number().int().nonnegative().optional(),
      times: z.number().int().positive().optional(),
    })
    .strict(),
  z.object({ kind: z.literal('drop'), times: z.number().int().positive().optional() }).strict(),
]);

function parseKeyVaultFault(body: unknown): KeyVaultFault {
  const parsed = faultSchema.safeParse(body);
  if (!parsed.success) throw new Error(describeIssues(parsed.error.issues));
  return parsed.data;
}

const setSecretSchema = z.object({
  value: z.string(),
  contentType: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  attributes: z.object({ enabled: z.boolean().optional() }).passthrough().optional(),
});

const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const SERVICE_VERSION = '1.9.2000.1';

const zeroCounts = (): KeyVaultCounts => ({ get: 0, set: 0, unauthorized: 0, challenges: 0 });

export class SandboxKeyVault extends StandIn<KeyVaultFault, KeyVaultCounts> {
  /** The vault URL, `https://localhost:<port>`. */
  readonly url: string;

  private readonly secrets = new Map<string, SecretVersion[]>();

  private constructor(
    server: LoopbackHttpsServer,
    private readonly identityProvider: SandboxIdentityProvider | undefined,
  ) {
    super(server, zeroCounts, parseKeyVaultFault);
    this.url = server.origin;
  }

  /**
   * @example
   * const vault = await SandboxKeyVault.start({ identityProvider: idp });
   * vault.setSecret('graph-password', 'Sandbox-Passw0rd!');
   * const client = new SecretClient(vault.url, new ClientSecretCredential(idp.tenant, 'any-client', 'any-secret',
   *   { authorityHost: idp.authorityHost, disableInstanceDiscovery: true }), { disableChallengeResourceVerification: true });
   */
  static async start(options: SandboxKeyVaultOptions = {}): Promise<SandboxKeyVault> {
    // Requests cannot arrive before the port is known, but the handler must exist before listening.
    const ref: { current?: SandboxKeyVault } = {};
    const server = await startHttpsServer(
      (req, res, url) => {
        if (!ref.current) return sendJson(res, 503, kvError('ServiceUnavailable', 'Starting'));
        return ref.current.handle(req, res, url);
      },
      {
        name: 'key-vault',
        certificate: options.certificate ?? ensureSandboxCertificate(),
        port: options.port,
        onRequest: options.onRequest,
      },
    );
    ref.current = new SandboxKeyVault(server, options.identityProvider);
    return ref.current;
  }

  /** Stores a new version of a secret and returns its version id (32 hex characters). */
  setSecret(
    name: string,
    value: string,
    options: { contentType?: string; tags?: Record<string, string> } = {},
  ): string {
    if (!SECRET_NAME.test(name)) throw new Error(`Invalid Key Vault secret name '${name}'`);
    const now = nowSeconds();
    const version: SecretVersion = {
      version: randomBytes(16).toString('hex'),
      value,
      contentType: options.contentType,
      tags: options.tags,
      enabled: true,
      created: now,
      updated: now,
    };
    const versions = this.secrets.get(name.toLowerCase()) ?? [];
    versions.push(version);
    this.secrets.set(name.toLowerCase(), versions);
    return version.version;
  }

  /** The latest value of a secret, or undefined (for assertions; does not count as a read). */
  peekSecret(name: string): string | undefined {
    return this.secrets.get(name.toLowerCase())?.at(-1)?.value;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (segments[0] === '_sandbox') return this.handleControl(req, res, segments.slice(1));
    if (segments[0] !== 'secrets') return sendJson(res, 404, kvError('NotFound', 'Not found'));

    const fault = this.faults.take(() => true);
    if (fault?.kind === 'drop') return dropConnection(req);
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      const code =
        fault.status === 429 ? 'Throttled' : fault.status >= 500 ? 'ServiceUnavailable' : 'BadRequest';
      return this.reply(res, fault.status, kvError(code, `Injected fault: HTTP ${fault.status}`), headers);
    }

    if (!url.searchParams.get('api-version')) {
      return this.reply(
        res,
        400,
        kvError(
          'BadParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        ),
      );
    }
    if (!(await this.authorize(req, res))) return;

    const method = req.method ?? 'GET';
    const [, name, third] = segments;
    if (name === undefined) {
      if (method !== 'GET') return sendMethodNotAllowed(res, 'GET');
      return this.reply(res, 200, {
        value: [...this.secrets.keys()].map((key) => this.listItem(key)),
        nextLink: null,
      });
    }
    if (!SECRET_NAME.test(name)) {
      return this.reply(res, 400, kvError('BadParameter', `The secret name '${name}' is invalid.`));
    }
    if (segments.length > 3) return sendNotFound(res);
    if (third === 'versions') {
      if (method !== 'GET') return sendMethodNotAllowed(res, 'GET');
      const versions = this.secrets.get(name.toLowerCase());
      if (!versions) return this.secretNotFound(res, name);
      return this.reply(res, 200, { value: versions.map((v) => this.properties(name, v)), nextLink: null });
    }
    if (method === 'GET') {
      this.counts.get += 1;
      const versions = this.secrets.get(name.toLowerCase());
      // The SDK asks for `/secrets/{name}/` (empty version) when it wants the latest.
      const found = third ? versions?.find((v) => v.version === third) : versions?.at(-1);
      if (!found) return this.secretNotFound(res, name, third);
      return this.reply(res, 200, { value: found.value, ...this.properties(name, found) });
    }
    if (method === 'PUT' && !third) {
      let body: unknown;
      try {
        body = await readJson(req);
      } catch (error) {
        const status = error instanceof RequestBodyError ? error.status : 400;
        return this.reply(res, status, kvError('BadParameter', (error as Error).message));
      }
      const parsed = setSecretSchema.safeParse(body);
      if (!parsed.success)
        return this.reply(res, 400, kvError('BadParameter', describeIssues(parsed.error.issues)));
      this.counts.set += 1;
      const version = this.setSecret(name, parsed.data.value, parsed.data);
      const stored = this.secrets.get(name.toLowerCase())!.find((v) => v.version === version)!;
      if (parsed.data.attributes?.enabled === false) stored.enabled = false;
      return this.reply(res, 200, { value: stored.value, ...this.properties(name, stored) });
    }
    return sendMethodNotAllowed(res, third ? 'GET' : 'GET, PUT');
  }

  /** Challenge-based authentication, as the real service does it. Returns false when it answered 401. */
  private async authorize(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const token = bearerToken(req);
    if (!token) {
      this.counts.challenges += 1;
      this.unauthorized(res, 'AKV10000: Request is missing a Bearer or PoP token.');
      return false;
    }
    if (!this.identityProvider) return true;
    const check = await this.identityProvider.verifyToken(token, { audience: KEY_VAULT_RESOURCE });
    if (check.ok) return true;
    this.counts.unauthorized += 1;
    const messages: Record<string, string> = {
      expired: 'AKV10032: Token has expired.',
      bad_audience: 'AKV10022: Invalid audience.',
      bad_issuer: 'AKV10032: Invalid issuer.',
    };
    this.unauthorized(res, messages[check.reason] ?? 'AKV10046: Invalid token signature.');
    return false;
  }

  private unauthorized(res: ServerResponse, message: string): void {
    const authority = this.identityProvider
      ? `${this.identityProvider.authorityHost}/${this.identityProvider.tenant}`
      : 'https://login.microsoftonline.com/common';
    this.reply(res, 401, kvError('Unauthorized', message), {
      'www-authenticate': `Bearer authorization="${authority}", resource="${KEY_VAULT_RESOURCE}"`,
    });
  }

  private properties(name: string, version: SecretVersion): Record<string, unknown> {
    const body: Record<string, unknown> = {
      id: `${this.url}/secrets/${name}/${version.version}`,
      attributes: {
        enabled: version.enabled,
        created: version.created,
        updated: version.updated,
        recoveryLevel: 'Recoverable+Purgeable',
        recoverableDays: 90,
      },
    };
    if (version.contentType !== undefined) body.contentType = version.contentType;
    if (version.tags !== undefined) body.tags = version.tags;
    return body;
  }

  private listItem(key: string): Record<string, unknown> {
    const latest = this.secrets.get(key)!.at(-1)!;
    const { id: _id, ...rest } = this.properties(key, latest);
    return { id: `${this.url}/secrets/${key}`, ...rest };
  }

  private secretNotFound(res: ServerResponse, name: string, version?: string): void {
    const message = version
      ? `A secret with (name/id) ${name}/${version} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`
      : `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`;
    this.reply(res, 404, kvError('SecretNotFound', message));
  }

  private reply(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    sendJson(res, status, body, {
      'x-ms-request-id': randomUUID(),
      'x-ms-keyvault-service-version': SERVICE_VERSION,
      ...headers,
    });
  }

  private async handleControl(req: IncomingMessage, res: ServerResponse, segments: string[]): Promise<void> {
    const route = segments.join('/');
    const handled = await this.handleCommonControl(req, res, route);
    if (handled) return;
    // `PUT /_sandbox/secrets/{name}` {value}: change a secret without a token (e.g. rotate the password).
    if (segments[0] === 'secrets' && segments.length === 2) {
      if (req.method !== 'PUT') return sendMethodNotAllowed(res, 'PUT');
      const parsed = setSecretSchema.safeParse(await readJson(req).catch(() => undefined));
      if (!parsed.success || !SECRET_NAME.test(segments[1])) {
        return sendJson(
          res,
          400,
          kvError('BadParameter', 'Expected {"value": string} and a valid secret name'),
        );
      }
      const version = this.setSecret(segments[1], parsed.data.value, parsed.data);
      return sendJson(res, 200, { id: `${this.url}/secrets/${segments[1]}/${version}`, version });
    }
    return sendNotFound(res);
  }
}

function kvError(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
