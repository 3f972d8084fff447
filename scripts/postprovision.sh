#!/usr/bin/env bash
# Post-provision step for Graph Token Manager (run by `azd up`/`azd provision` as the postprovision hook,
# or by hand after `az deployment ...`).
#
#   1. stores the service-account password in Key Vault (secret graph-password): from GRAPH_PASSWORD if set,
#      otherwise typed at a hidden prompt; an existing password is kept unless --replace-password;
#   2. stores a freshly generated 256-bit token encryption key (secret token-encryption-key) — only if the
#      vault has none: replacing it would make every stored token unreadable (use `graph-tokens rotate-key`);
#   3. prints the manual Entra ID steps that a template cannot do.
#
# Neither value is ever echoed or passed as a command-line argument: they go to `az keyvault secret set
# --file` through a private temporary file, and az's output (which would include the value) is discarded.
#
# Usage: scripts/postprovision.sh [--vault NAME] [--replace-password] [--steps-only]
# Needs: az (logged in to the tenant of the vault with Key Vault Secrets Officer on it), openssl.
# Reads: KEY_VAULT_NAME (azd output), GRAPH_PASSWORD_SECRET_NAME, TOKEN_ENCRYPTION_KEY_SECRET_NAME,
#        GRAPH_PASSWORD, and for the printed steps GRAPH_CLIENT_ID, API_AUDIENCE, SERVICE_API_URI, ADMIN_CLIENT_ID.
set -euo pipefail

vault=${KEY_VAULT_NAME:-}
password_secret=${GRAPH_PASSWORD_SECRET_NAME:-graph-password}
key_secret=${TOKEN_ENCRYPTION_KEY_SECRET_NAME:-token-encryption-key}
replace_password=false
steps_only=false

log() { printf 'postprovision: %s\n' "$*"; }
die() {
  printf 'postprovision: error: %s\n' "$*" >&2
  exit 1
}

while (($# > 0)); do
  case $1 in
    --vault)
      [[ $# -ge 2 ]] || die "--vault needs a name"
      vault=$2
      shift 2
      ;;
    --replace-password)
      replace_password=true
      shift
      ;;
    --steps-only)
      steps_only=true
      shift
      ;;
    -h | --help)
      sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

print_steps() {
  local client=${GRAPH_CLIENT_ID:-<GRAPH_CLIENT_ID>}
  local audience=${API_AUDIENCE:-<API_AUDIENCE>}
  local app_url=${SERVICE_API_URI:-https://<function-app>.azurewebsites.net}
  cat <<STEPS

Remaining manual steps (Entra ID objects are not created by the template):

 1. ROPC app registration ${client}:
    - Authentication > "Allow public client flows" = Yes
        az ad app update --id ${client} --is-fallback-public-client true
    - API permissions > Microsoft Graph > Delegated: Group.ReadWrite.All and User.Read, then
      "Grant admin consent" (ROPC cannot show a consent prompt):
        az ad app permission add --id ${client} --api 00000003-0000-0000-c000-000000000000 \\
          --api-permissions 4e46008b-f24c-477d-8fff-7bb4ec7aafe0=Scope e1fe6dd8-ba31-4d61-89e7-88639da4683d=Scope
        az ad app permission admin-consent --id ${client}
 2. Service account ${GRAPH_USERNAME:-<GRAPH_USERNAME>}: a cloud-only account that ROPC can sign in with
    (no MFA prompt; exclude it from Conditional Access policies that require MFA), member of the group
    ${GRAPH_GROUP_ID:-<GRAPH_GROUP_ID>} whose calendar receives events.
 3. API app registration whose Application ID URI (or client id) is API_AUDIENCE = ${audience}:
    - app roles (allowed member types Users/Groups and Applications):
        GraphTokens.Read, GraphTokens.Admin (implies Read), Events.Read, Events.Create,
        Events.Manage (implies Events.Read) — docs/http.md has the manifest and who may do what
    - assign the roles to the callers (backends' managed identities or app registrations, operators);
      a caller's access token must carry aud = ${audience} and the role in its roles claim.
    To change API_AUDIENCE: azd env set API_AUDIENCE <value> && azd provision
 4. Admin page (optional): a SPA app registration with redirect URI ${app_url}/api/admin, allowed to
    request the API's scope; set its client id: azd env set ADMIN_CLIENT_ID <id> && azd provision
 5. Check: curl ${app_url}/api/health, then GET /api/graph-tokens/status with a GraphTokens.Read token
    ("configuration" must list nothing missing).
STEPS
}

if $steps_only; then
  print_steps
  exit 0
fi

if [[ -z $vault ]] && command -v azd >/dev/null 2>&1; then
  vault=$(azd env get-value KEY_VAULT_NAME 2>/dev/null || true)
fi
[[ -n $vault ]] || die "KEY_VAULT_NAME is not set (run via azd, or pass --vault NAME)"
command -v az >/dev/null 2>&1 || die "the Azure CLI (az) is needed to write the Key Vault secrets"
command -v openssl >/dev/null 2>&1 || die "openssl is needed to generate the encryption key"
az account show --output none 2>/dev/null || die "az is not logged in: run 'az login' (same tenant as the vault)"

umask 077
tmpdir=$(mktemp -d)
cleanup() { rm -rf "$tmpdir"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Prints present, absent or deleted. Existence is checked by listing the vault's secrets (metadata only),
# never by reading one: a read by anyone but the app's identity raises the "secret read by another
# identity" alert (docs/infra.md). A fresh role assignment can take minutes to reach Key Vault, so
# "forbidden" is retried: treating it as "absent" would overwrite an existing encryption key.
secret_state() {
  local name=$1 found err attempt
  for attempt in $(seq 1 30); do
    if found=$(az keyvault secret list --vault-name "$vault" --query "[?name=='$name'].name" --output tsv \
      2>"$tmpdir/az-error"); then
      if [[ -n $found ]]; then
        echo present
      elif az keyvault secret show-deleted --vault-name "$vault" --name "$name" --query recoveryId \
        --output none 2>/dev/null; then
        echo deleted
      else
        echo absent
      fi
      return 0
    fi
    err=$(<"$tmpdir/az-error")
    case $err in
      *ForbiddenByFirewall* | *"Client address is not authorized"*)
        printf '%s\n' "$err" >&2
        die "the vault's firewall does not admit this machine (restrictNetwork): add its public IP with" \
          "'azd env set ALLOWED_IP_ADDRESSES <ip>' and 'azd provision', or run this step from the app's network"
        ;;
      *Forbidden* | *"not authorized"* | *"does not have"*)
        log "waiting for the Key Vault role assignment to take effect ($attempt/30)" >&2
        sleep 10
        ;;
      *)
        printf '%s\n' "$err" >&2
        die "cannot list the secrets of vault '$vault'"
        ;;
    esac
  done
  die "still not allowed to list secrets in '$vault' after 5 minutes; does your account have Key Vault Secrets Officer on it?"
}

# A soft-deleted secret blocks `set`; recovering it keeps the old value (for the key, the only one that can
# decrypt the stored tokens).
recover_secret() {
  local name=$1
  log "recovering soft-deleted secret '$name'"
  az keyvault secret recover --vault-name "$vault" --name "$name" --output none
  for _ in $(seq 1 30); do
    [[ $(secret_state "$name") == present ]] && return 0
    sleep 5
  done
  die "secret '$name' was not recovered in time; run this script again"
}

store_secret() {
  local name=$1 file=$2 content_type=$3
  az keyvault secret set --vault-name "$vault" --name "$name" --file "$file" --encoding utf-8 \
    --content-type "$content_type" --output none
}

read_password() {
  local first second
  [[ -t 0 ]] || return 1
  IFS= read -rs -p "Password of the service account ${GRAPH_USERNAME:-}: " first
  echo >&2
  IFS= read -rs -p "Repeat the password: " second
  echo >&2
  [[ -n $first ]] || die "empty password"
  [[ $first == "$second" ]] || die "the passwords do not match"
  printf '%s' "$first" >"$tmpdir/password"
}

# 1. Service-account password.
state=$(secret_state "$password_secret")
if [[ $state == deleted ]]; then
  recover_secret "$password_secret"
  state=present
fi
if [[ -n ${GRAPH_PASSWORD:-} ]]; then
  printf '%s' "$GRAPH_PASSWORD" >"$tmpdir/password"
  unset GRAPH_PASSWORD
  store_secret "$password_secret" "$tmpdir/password" "text/plain"
  log "stored the password from GRAPH_PASSWORD as '$password_secret' (unset GRAPH_PASSWORD in your shell now)"
elif [[ $state == present && $replace_password == false ]]; then
  log "kept the existing password '$password_secret' (--replace-password to change it)"
elif read_password; then
  store_secret "$password_secret" "$tmpdir/password" "text/plain"
  log "stored the password as '$password_secret'"
else
  log "WARNING: no password stored (no terminal and GRAPH_PASSWORD unset); run this script in a terminal"
  log "         or: az keyvault secret set --vault-name $vault --name $password_secret --file <file>"
fi
rm -f "$tmpdir/password"

# 2. Token encryption key: created once, never replaced here.
state=$(secret_state "$key_secret")
case $state in
  present) log "kept the existing encryption key '$key_secret'" ;;
  deleted) recover_secret "$key_secret" ;;
  absent)
    openssl rand -base64 32 | tr -d '\n' >"$tmpdir/key"
    [[ $(wc -c <"$tmpdir/key") -eq 44 ]] || die "openssl did not produce a 256-bit key"
    store_secret "$key_secret" "$tmpdir/key" "application/octet-stream; base64; 256-bit AES key"
    rm -f "$tmpdir/key"
    log "generated and stored a new 256-bit encryption key as '$key_secret'"
    ;;
esac

print_steps
