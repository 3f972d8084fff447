/**
 * The documents MSAL reads before its first token request: OIDC discovery per tenant, instance discovery
 * (`/common/discovery/instance`) and the JWKS.
 */
import type { IdpConfig } from './state';

/** `common` and `organizations` stand for "any tenant", as in Entra ID; everything resolves to ours. */
export function isTenantPath(config: IdpConfig, segment: string): boolean {
  return segment === config.tenant || segment === 'common' || segment === 'organizations';
}

export function issuerFor(config: IdpConfig, tenantSegment: string): string {
  return tenantSegment === config.tenant ? config.issuer : `${config.authorityHost}/{tenantid}/v2.0`;
}

export function openIdConfiguration(config: IdpConfig, tenantSegment: string): Record<string, unknown> {
  const base = `${config.authorityHost}/${tenantSegment}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: issuerFor(config, tenantSegment),
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${config.authorityHost}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'email',
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: new URL(config.authorityHost).host,
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

export function instanceDiscovery(config: IdpConfig, url: URL): Record<string, unknown> {
  const host = new URL(config.authorityHost).host;
  let tenantSegment = config.tenant;
  const authorizationEndpoint = url.searchParams.get('authorization_endpoint');
  if (authorizationEndpoint) {
    try {
      tenantSegment = new URL(authorizationEndpoint).pathname.split('/').filter(Boolean)[0] ?? config.tenant;
    } catch {
      // Entra answers with its own tenant-less discovery document for unparsable input; so do we.
    }
  }
  return {
    tenant_discovery_endpoint: `${config.authorityHost}/${tenantSegment}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}
