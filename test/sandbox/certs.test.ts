/** The sandbox certificate and the script that makes Node trust it. */
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureSandboxCertificate, sandboxDir } from '../../src/sandbox';

describe('ensureSandboxCertificate', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-certs-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates a certificate for localhost, 127.0.0.1 and ::1 once, and replaces a broken one', () => {
    const first = ensureSandboxCertificate(dir);
    expect(first.certPath).toBe(path.join(dir, 'certs', 'localhost.crt'));
    const x509 = new X509Certificate(first.cert);
    expect(x509.subjectAltName).toContain('DNS:localhost');
    expect(x509.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(Date.parse(x509.validTo) - Date.now()).toBeGreaterThan(365 * 24 * 3600 * 1000);
    expect(fs.statSync(first.keyPath).mode & 0o077).toBe(0);

    expect(ensureSandboxCertificate(dir).cert).toBe(first.cert); // reused

    fs.writeFileSync(first.certPath, 'not a certificate');
    const replaced = ensureSandboxCertificate(dir);
    expect(replaced.cert).not.toBe(first.cert);
    expect(new X509Certificate(replaced.cert).checkPrivateKey(createPrivateKey(replaced.key))).toBe(true);
  });

  it('defaults to GRAPH_SANDBOX_DIR, else .sandbox in the working directory', () => {
    const saved = process.env.GRAPH_SANDBOX_DIR;
    try {
      process.env.GRAPH_SANDBOX_DIR = dir;
      expect(sandboxDir()).toBe(dir);
      delete process.env.GRAPH_SANDBOX_DIR;
      expect(sandboxDir()).toBe(path.join(process.cwd(), '.sandbox'));
    } finally {
      if (saved === undefined) delete process.env.GRAPH_SANDBOX_DIR;
      else process.env.GRAPH_SANDBOX_DIR = saved;
    }
  });
});

describe('scripts/with-sandbox-ca.js', () => {
  const script = path.join(__dirname, '..', '..', 'scripts', 'with-sandbox-ca.js');
  const builtCerts = path.join(__dirname, '..', '..', 'dist', 'sandbox', 'certs.js');
  const run = (args: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 30_000 });

  (fs.existsSync(builtCerts) ? it : it.skip)(
    'runs the command with NODE_EXTRA_CA_CERTS and its exit code',
    () => {
      const result = run([
        process.execPath,
        '-e',
        'console.log(process.env.NODE_EXTRA_CA_CERTS); process.exit(3)',
      ]);
      expect(result.status).toBe(3);
      expect(String(result.stdout).trim()).toBe(ensureSandboxCertificate().certPath);
    },
  );

  it('explains its usage without a command', () => {
    const result = run([]);
    expect(result.status).toBe(2);
    expect(String(result.stderr)).toContain('usage');
  });
});
