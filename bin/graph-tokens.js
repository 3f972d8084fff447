#!/usr/bin/env node
'use strict';
/* global __filename, URL */
// Entry point of `graph-tokens` (SPEC §7). The sandbox identity provider (npm start) serves HTTPS with a
// generated certificate; MSAL trusts it only if NODE_EXTRA_CA_CERTS is set before Node starts, so when the
// configured GRAPH_AUTHORITY_HOST is on this machine and the variable is unset, re-run this script once
// with it pointing at the sandbox certificate.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

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
      env: { ...process.env, NODE_EXTRA_CA_CERTS: ca },
    });
    if (child.error) {
      process.stderr.write(`error: could not start node: ${child.error.code || child.error.name}\n`);
      process.exit(1);
    }
    process.exit(child.status === null ? 1 : child.status);
  }
  require(dist).main();
}

/** The sandbox CA file when it should be trusted and is not yet, else undefined. */
function sandboxCertificate() {
  if (process.env.NODE_EXTRA_CA_CERTS) return undefined;
  let env;
  try {
    env = require(join(__dirname, '..', 'dist', 'lib', 'config.js')).readLocalEnvironment(process.cwd());
  } catch {
    return undefined; // a broken local.settings.json is reported by the CLI itself
  }
  let host;
  try {
    host = new URL(env.GRAPH_AUTHORITY_HOST || '').hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
  if (!(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host))) return undefined;
  // Where src/sandbox/certs.ts keeps it: GRAPH_SANDBOX_DIR, else .sandbox/ in the working directory.
  const dirs = [env.GRAPH_SANDBOX_DIR, join(process.cwd(), '.sandbox'), join(__dirname, '..', '.sandbox')];
  const candidates = dirs.filter(Boolean).map((dir) => join(dir, 'certs', 'localhost.crt'));
  return candidates.find((file) => existsSync(file));
}

main();
