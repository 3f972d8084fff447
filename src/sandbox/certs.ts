/**
 * The sandbox's TLS certificate: one self-signed certificate for `localhost`, `127.0.0.1` and `::1`,
 * shared by every HTTPS stand-in (identity provider, Key Vault, Graph).
 *
 * MSAL and the Azure SDK refuse plain HTTP authorities and vaults, so the stand-ins must speak HTTPS,
 * and Node only trusts an extra root when `NODE_EXTRA_CA_CERTS` names it *before* the process starts
 * (`scripts/with-sandbox-ca.js` does that). That is why the certificate lives in a file that outlives
 * the process, and why it is reused instead of being generated per run.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sandboxDirectory } from '../lib/config';

export interface SandboxCertificate {
  /** PEM certificate file; point `NODE_EXTRA_CA_CERTS` at it. */
  certPath: string;
  /** PEM private key file (PKCS#8). */
  keyPath: string;
  cert: string;
  key: string;
}

/** A certificate expiring sooner than this is replaced. */
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;
/** 825 days: the longest validity current TLS clients accept for a server certificate. */
const VALIDITY_DAYS = 825;
const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 60_000;

/** Directory for sandbox state: `GRAPH_SANDBOX_DIR`, else `.sandbox/` under the working directory. */
export function sandboxDir(): string {
  return sandboxDirectory();
}

/**
 * Returns the sandbox certificate in `dir/certs/`, creating it when it is missing, unreadable or expires
 * within 7 days. Safe to call from several processes at once (a lock directory serialises creation).
 *
 * @example
 * const { certPath } = ensureSandboxCertificate();
 * spawn('node', ['server.js'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath } });
 */
export function ensureSandboxCertificate(dir: string = sandboxDir()): SandboxCertificate {
  const certDir = path.join(dir, 'certs');
  const certPath = path.join(certDir, 'localhost.crt');
  const keyPath = path.join(certDir, 'localhost.key');

  const existing = readUsable(certPath, keyPath);
  if (existing) return existing;

  fs.mkdirSync(certDir, { recursive: true });
  const lockPath = path.join(certDir, '.lock');
  acquireLock(lockPath);
  try {
    // Another process may have written a certificate while we waited for the lock.
    const written = readUsable(certPath, keyPath);
    if (written) return written;
    const { cert, key } = generateCertificate();
    writeAtomically(keyPath, key, 0o600);
    writeAtomically(certPath, cert, 0o644);
    return { certPath, keyPath, cert, key };
  } finally {
    fs.rmSync(lockPath, { recursive: true, force: true });
  }
}

function readUsable(certPath: string, keyPath: string): SandboxCertificate | null {
  try {
    const cert = fs.readFileSync(certPath, 'utf8');
    const key = fs.readFileSync(keyPath, 'utf8');
    const x509 = new X509Certificate(cert);
    if (Date.parse(x509.validTo) - Date.now() < RENEW_BEFORE_MS) return null;
    if (!x509.checkPrivateKey(createPrivateKey(key))) return null;
    return { certPath, keyPath, cert, key };
  } catch {
    return null;
  }
}

/**
 * `selfsigned` 5 only generates asynchronously (WebCrypto), but this function is synchronous so that
 * callers can use it at module level and in scripts. Generation is rare (once per machine and every two
 * years), so running it in a short-lived child process is an acceptable price.
 */
function generateCertificate(): { cert: string; key: string } {
  const script = `
    const [modulePath, days] = process.argv.slice(1);
    const { generate } = require(modulePath);
    const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
    const notAfterDate = new Date(Date.now() + Number(days) * 24 * 3600 * 1000);
    generate([{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'Graph Token Manager sandbox' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
      ],
    }).then(
      (pems) => process.stdout.write(JSON.stringify({ cert: pems.cert, key: pems.private })),
      (error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); },
    );`;
  const output = execFileSync(
    process.execPath,
    ['-e', script, require.resolve('selfsigned'), String(VALIDITY_DAYS)],
    {
      encoding: 'utf8',
      // The child must not inherit a NODE_OPTIONS that loads test hooks or a debugger.
      // Passes the environment through (no setting is read here).
      // eslint-disable-next-line no-restricted-properties
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    },
  );
  const parsed = JSON.parse(output) as { cert: string; key: string };
  return parsed;
}

function writeAtomically(file: string, contents: string, mode: number): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, contents, { mode });
  fs.renameSync(tmp, file);
}

/** A directory as a cross-process lock: `mkdir` is atomic. A lock older than 30 s is presumed abandoned. */
function acquireLock(lockPath: string): void {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.mkdirSync(lockPath);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    try {
      if (Date.now() - fs.statSync(lockPath).mtimeMs > LOCK_STALE_MS) {
        fs.rmSync(lockPath, { recursive: true, force: true });
        continue;
      }
    } catch {
      continue; // the holder released it between our mkdir and stat
    }
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for the sandbox certificate lock ${lockPath}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}
