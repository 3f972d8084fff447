#!/usr/bin/env node
/**
 * Runs a command that trusts the sandbox's self-signed HTTPS certificate:
 *
 *   node scripts/with-sandbox-ca.js <command> [args...]
 *
 * MSAL and the Azure SDK talk to the sandbox identity provider, Key Vault and Graph over HTTPS, and Node
 * reads NODE_EXTRA_CA_CERTS only when a process starts. So the certificate is created first, then the
 * command is started with NODE_EXTRA_CA_CERTS pointing at it. Requires the build (dist/) to exist.
 */
'use strict';

const { spawn } = require('node:child_process');
const path = require('node:path');

function main() {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error('usage: node scripts/with-sandbox-ca.js <command> [args...]');
    process.exit(2);
  }

  let certs;
  try {
    certs = require(path.join(__dirname, '..', 'dist', 'sandbox', 'certs.js'));
  } catch (error) {
    console.error(
      `with-sandbox-ca: cannot load dist/sandbox/certs.js (${error.message}). Run \`npm run build\` first.`,
    );
    process.exit(2);
  }
  const { certPath } = certs.ensureSandboxCertificate();

  const child = spawn(command, args, {
    stdio: 'inherit',
    shell: false,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath },
  });

  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('SIGINT', () => forward('SIGINT'));
  process.on('SIGTERM', () => forward('SIGTERM'));

  child.on('error', (error) => {
    console.error(`with-sandbox-ca: cannot start ${command}: ${error.message}`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    // A child killed by a signal exits the conventional way: 128 + the signal number.
    if (signal) process.exit(128 + (require('node:os').constants.signals[signal] ?? 0));
    process.exit(code ?? 1);
  });
}

main();
