/**
 * The deployment package (scripts/package-app.js, what `azd deploy` uploads): production code only, and
 * a Functions worker loading its entry point gets exactly the functions the compiled app registers.
 * Each load runs in a fresh Node process with the local host's stand-in for `@azure/functions-core`
 * (dist/bench/loadEntry.js), as the worker would load it. Needs the build (dist/).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import type { EntryLoad } from '../../src/bench/loadEntry';

jest.setTimeout(180_000);

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const LOAD_ENTRY = join(ROOT, 'dist', 'bench', 'loadEntry.js');
const repoPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

let work: string;
let out: string;
let files: string[];
let inputs: { 'app/index.js': string[]; 'app/service.js': string[]; shared: string[] };

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full) : [relative(out, full).split(sep).join('/')];
  });
}

async function load(entries: string[], env: Record<string, string> = {}): Promise<EntryLoad> {
  const { stdout } = await run(process.execPath, [LOAD_ENTRY, ...entries], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '', ...env },
    maxBuffer: 8 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as EntryLoad;
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'admin-page', 'index.html'))) {
    await run(process.execPath, [join(ROOT, 'scripts', 'build-admin.js')], { cwd: ROOT });
  }
  work = mkdtempSync(join(tmpdir(), 'gtm-deploy-'));
  out = join(work, 'deploy');
  await run(process.execPath, [join(ROOT, 'scripts', 'package-app.js'), '--out', out], { cwd: ROOT });
  files = listFiles(out).sort();
  inputs = JSON.parse(readFileSync(`${out}.inputs.json`, 'utf8')) as typeof inputs;
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('contents', () => {
  test('the bundled app, host.json, package.json and the admin page — nothing else', () => {
    expect(files).toEqual(
      [
        'admin-page/app.css',
        'admin-page/app.js',
        'admin-page/app.js.LEGAL.txt',
        'admin-page/app.js.map',
        'admin-page/index.html',
        'admin-page/redirect.html',
        'admin-page/redirect.js',
        'admin-page/redirect.js.LEGAL.txt',
        'admin-page/redirect.js.map',
        'app/index.js',
        'app/index.js.LEGAL.txt',
        'app/schemas.js',
        'app/service.js',
        'app/service.js.LEGAL.txt',
        'host.json',
        'package.json',
      ].filter((f) => !f.endsWith('.LEGAL.txt') || files.includes(f)),
    );
    expect(files.filter((f) => /\.(ts|mts|cts)$/.test(f) || f.includes('node_modules/'))).toEqual([]);
    expect(readFileSync(join(out, 'host.json'), 'utf8')).toBe(readFileSync(join(ROOT, 'host.json'), 'utf8'));
  });

  test('package.json: main is the bundle, no dependencies to install, no scripts', () => {
    const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.main).toBe('app/index.js');
    expect(pkg.dependencies).toEqual({});
    expect(pkg).not.toHaveProperty('devDependencies');
    expect(pkg).not.toHaveProperty('scripts');
    expect(pkg.private).toBe(true);
  });

  test('the bundles hold production code only: no sandbox, host, bench, CLI, admin page source or test', () => {
    const all = [...inputs['app/index.js'], ...inputs['app/service.js']];
    const ours = all.filter((f) => f.startsWith('src/') || f.startsWith('test/'));
    expect(ours.filter((f) => !/^src\/(lib|http|functions)\//.test(f))).toEqual([]);
    expect(inputs['app/index.js']).toContain('src/functions/index.ts');
    // Every registration file of src/functions is in the bundle (src/functions/index.ts lists them all).
    for (const file of readdirSync(join(ROOT, 'src', 'functions'))) {
      expect(inputs['app/index.js']).toContain(`src/functions/${file}`);
    }
  });

  test('no devDependency is bundled, and the text carries no trace of the dev sign-in or the sandbox', () => {
    const all = [...inputs['app/index.js'], ...inputs['app/service.js']];
    const packages = new Set(
      all
        .map((f) => /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1])
        .filter((p): p is string => p !== undefined),
    );
    for (const dev of Object.keys(repoPackage.devDependencies)) expect(packages).not.toContain(dev);
    for (const dep of [
      '@azure/functions',
      '@azure/msal-node',
      '@azure/identity',
      '@azure/data-tables',
      'jose',
      'zod',
    ]) {
      expect(packages).toContain(dep);
    }
    const text =
      readFileSync(join(out, 'app', 'index.js'), 'utf8') +
      readFileSync(join(out, 'app', 'service.js'), 'utf8');
    for (const marker of [
      'issueDevToken',
      'signWithStoredKey',
      'SandboxIdentityProvider',
      'SANDBOX_SIGNING_KEY_FILE',
      'dev-sign-in',
      'selfsigned',
    ]) {
      expect({ marker, found: text.includes(marker) }).toEqual({ marker, found: false });
    }
  });
});

describe('loading the entry point as the worker does', () => {
  test('registers the same functions, routes, methods, schedules and hooks as dist/functions', async () => {
    const compiled = readdirSync(join(ROOT, 'dist', 'functions'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => join(ROOT, 'dist', 'functions', f));
    const [bundle, reference] = await Promise.all([load([join(out, 'app', 'index.js')]), load(compiled)]);
    expect(bundle.functions.length).toBeGreaterThanOrEqual(15);
    expect(bundle.functions).toEqual(reference.functions);
    expect(bundle.hooks).toEqual(reference.hooks);
    const routes = bundle.functions.flatMap((f) =>
      Object.values(
        f.bindings as Record<
          string,
          { type?: string; route?: string; methods?: string[]; schedule?: string }
        >,
      )
        .filter((b) => b.type === 'httpTrigger' || b.type === 'timerTrigger')
        .map((b) => `${f.name} ${b.type} ${b.route ?? b.schedule} ${(b.methods ?? []).join(',')}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'acquireToken httpTrigger graph-tokens/acquire_token POST',
        'tokenStatus httpTrigger graph-tokens/status GET',
        'adminAssets httpTrigger admin/{*path} GET',
        'refreshTimer timerTrigger %REFRESH_SCHEDULE% ',
        'cleanupTimer timerTrigger %CLEANUP_SCHEDULE% ',
        'validateTimer timerTrigger %VALIDATE_SCHEDULE% ',
      ]),
    );
    expect(routes.join('\n')).not.toContain('dev-sign-in');
    // A cold start loads one file: the service core waits for the first request.
    expect(bundle.modules).toBe(1);
  });

  test('the service core loads on first use and shares the app bundle’s modules (one error class)', async () => {
    const script = `
      require(${JSON.stringify(join(ROOT, 'dist', 'host', 'capture.js'))}).installFunctionsCore();
      const app = require(${JSON.stringify(join(out, 'app', 'index.js'))});
      const lib = require(${JSON.stringify(join(out, 'app', 'service.js'))});
      const errors = app.__shared['src/lib/errors.ts'];
      const config = app.__shared['src/lib/config.ts'];
      const service = lib.createTokenService({ env: { GRAPH_CLIENT_ID: 'x' } });
      process.stdout.write(JSON.stringify({
        sameErrors: lib.GraphTokenError === errors.GraphTokenError,
        sameConfig: lib.loadConfig === config.loadConfig,
        valid: service.config.report.valid,
      }));
      service.close().then(() => process.exit(0));`;
    const { stdout } = await run(process.execPath, ['-e', script], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(JSON.parse(stdout)).toEqual({ sameErrors: true, sameConfig: true, valid: false });
  });
});
