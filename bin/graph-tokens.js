#!/usr/bin/env node
'use strict';
/* global __filename, URL */
// Entry point of `graph-tokens` (docs/cli.md). The sandbox identity provider (npm start) serves HTTPS with a
// generated certificate; MSAL trusts it only if NODE_EXTRA_CA_CERTS names it before Node starts. So when
// the configured GRAPH_AUTHORITY_HOST is on this machine and the sandbox certificate is not trusted yet,
// this script runs itself once more with NODE_EXTRA_CA_CERTS pointing at it (together with any file the
// variable already named, since Node reads only one).
const { createHash } = require('node:crypto');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const REEXEC_MARKER = 'GRAPH_TOKENS_SANDBOX_CA';

function main() {
  const dist = join(__dirname, '..', 'dist', 'cli', 'index.js');
  if (!existsSync(dist)) {
    process.stderr.write('error: graph-tokens is not built (dist/cli/index.js is missing)\n');
    process.stderr.write('hint: run `npm run build` in the graph-token-manager package\n');
    process.exit(2);
  }
  const ca = sandboxCertificate();
  if (ca) {
    const { spawnSync } = require('node:child_process');
    const child = spawnSync(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, NODE_EXTRA_CA_CERTS: ca, [REEXEC_MARKER]: '1' },
    });
    if (child.error) {
      process.stderr.write(`error: could not start node: ${child.error.code || child.error.name}\n`);
      process.exit(1);
    }
    process.exit(child.status === null ? 1 : child.status);
  }
  require(dist).main(process.argv.slice(2), devTokensFile() ? { devTokens: loadDevTokens } : {});
}

/**
 * `dev-token` signs with the local sandbox's key. The sandbox is development code: the CLI does not import
 * it, this executable hands it over on demand, and an installation without it (the published package)
 * gets a clear "not available" from the command instead.
 */
function devTokensFile() {
  const file = join(__dirname, '..', 'dist', 'sandbox', 'devToken.js');
  return existsSync(file) ? file : undefined;
}

async function loadDevTokens() {
  return require(devTokensFile());
}

/** A file for NODE_EXTRA_CA_CERTS that adds the sandbox certificate, or undefined when none is needed. */
function sandboxCertificate() {
  if (process.env[REEXEC_MARKER]) return undefined; // already re-run once
  const config = require(join(__dirname, '..', 'dist', 'lib', 'config.js'));
  let env;
  try {
    env = config.readLocalEnvironment(process.cwd());
  } catch {
    return undefined; // a broken local.settings.json is reported by the CLI itself
  }
  let host;
  try {
    host = new URL(env.GRAPH_AUTHORITY_HOST || '').hostname;
  } catch {
    return undefined;
  }
  if (!config.isLoopback(host)) return undefined;
  // Where src/sandbox/certs.ts keeps it (GRAPH_SANDBOX_DIR, else .sandbox/ in the working directory), or
  // the sandbox of this package's own clone.
  const dirs = [config.sandboxDirectory(env, process.cwd()), join(__dirname, '..', '.sandbox')];
  const certFile = dirs
    .filter(Boolean)
    .map((dir) => join(dir, 'certs', 'localhost.crt'))
    .find((file) => existsSync(file));
  if (!certFile) return undefined;
  const cert = readFileSync(certFile, 'utf8').trim();
  const current = process.env.NODE_EXTRA_CA_CERTS;
  if (!current) return certFile;
  let existing;
  try {
    existing = readFileSync(current, 'utf8');
  } catch {
    return certFile; // Node would ignore an unreadable file anyway
  }
  if (existing.includes(cert)) return undefined;
  const bundle = `${existing.trimEnd()}\n${cert}\n`;
  const name = `graph-tokens-ca-${createHash('sha256').update(bundle).digest('hex').slice(0, 16)}.pem`;
  const file = join(tmpdir(), name);
  if (!existsSync(file)) writeFileSync(file, bundle, { mode: 0o644 });
  return file;
}

main();
