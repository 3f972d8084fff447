#!/usr/bin/env node
'use strict';
// Builds .deploy/, the deployment package `azd deploy` uploads (azure.yaml `dist: .deploy`): production
// code only (docs/architecture.md, "Packaging").
//
//   .deploy/app/index.js   every registration of src/functions, bundled (esbuild) with @azure/functions,
//                          jose and zod; only `@azure/functions-core`, which the worker provides, is external
//   .deploy/app/service.js the service core with the Azure SDKs and MSAL, loaded on first use
//   .deploy/app/schemas.js zod, the request/response schemas and the OpenAPI builder, loaded on first use
//   .deploy/admin-page/    the admin page's static files (scripts/build-admin.js builds them into dist/)
//   .deploy/host.json      as in the repository
//   .deploy/package.json   `main` = app/index.js, no dependencies (everything is in the bundle)
//
// No sandbox, local host, bench, CLI, tests, TypeScript sources or node_modules: they are never imported
// by src/functions (the linter enforces it), so the bundle cannot contain them. Run after `npm run build`
// (the admin page must be built): `npm run package`.
const { build } = require('esbuild');
const { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const { join, relative, resolve, sep } = require('node:path');

const root = join(__dirname, '..');
// `--out DIR` builds elsewhere (tests); the default is what azure.yaml deploys.
const outArg = process.argv.indexOf('--out');
const outdir =
  outArg > 0 && process.argv[outArg + 1] ? resolve(process.argv[outArg + 1]) : join(root, '.deploy');
/** What each bundle is made of (esbuild's inputs), for review and tests; kept out of the package. */
const inputsFile =
  outdir === join(root, '.deploy') ? join(root, 'dist', 'deploy-inputs.json') : `${outdir}.inputs.json`;

/** What the worker provides at run time; everything else is bundled. */
const EXTERNAL = ['@azure/functions-core'];

async function main() {
  const pagedir = join(root, 'dist', 'admin-page');
  if (!existsSync(join(pagedir, 'index.html'))) {
    throw new Error('dist/admin-page is missing: run `npm run build` first');
  }
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(join(outdir, 'app'), { recursive: true });

  // Two bundles, so a cold start parses only what registering the functions needs:
  // - app/index.js: src/functions, src/http and the parts of src/lib they import at load time;
  // - app/service.js: the service core with the Azure SDKs and MSAL, which src/http/service.ts loads on the
  //   first request or timer run (its `require('../lib')`).
  // The src/lib modules of index.js are shared, not copied: service.js takes them from index.js's
  // `__shared` table, so there is one GraphTokenError class, one configuration module, and so on.
  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Short to parse, but names and stack traces stay readable in Application Insights.
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    legalComments: 'linked',
    tsconfig: join(root, 'tsconfig.build.json'),
    metafile: true,
    logLevel: 'warning',
  };
  const libIndex = join(root, 'src', 'lib', 'index.ts');
  const lazyService = {
    name: 'lazy-service',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/lib$/ }, (args) =>
        args.importer === join(root, 'src', 'http', 'service.ts')
          ? { path: './service.js', external: true }
          : undefined,
      );
    },
  };
  // The schemas (and zod, about a third of the registrations' code) are required lazily by src/http/routes.ts,
  // src/functions/signIn.ts and src/functions/openapi.ts: in the package they come from app/schemas.js.
  const LAZY_SCHEMAS = new Set([
    join(root, 'src', 'http', 'schemas.ts'),
    join(root, 'src', 'http', 'openapi.ts'),
  ]);
  const lazySchemas = {
    name: 'lazy-schemas',
    setup(b) {
      b.onResolve({ filter: /(^|\/)(schemas|openapi)$/ }, async (args) => {
        if (args.pluginData === 'lazy-schemas' || args.kind !== 'require-call') return undefined;
        const resolved = await b.resolve(args.path, {
          resolveDir: args.resolveDir,
          kind: args.kind,
          importer: args.importer,
          pluginData: 'lazy-schemas',
        });
        return LAZY_SCHEMAS.has(resolved.path) ? { path: './schemas.js', external: true } : undefined;
      });
    },
  };
  // 1. What the registrations import at load time.
  const probe = await build({
    ...common,
    entryPoints: ['src/functions/index.ts'],
    write: false,
    outfile: join(outdir, 'app', 'index.js'),
    external: EXTERNAL,
    plugins: [lazyService, lazySchemas],
  });
  const shared = Object.keys(probe.metafile.inputs).filter((f) => f.startsWith('src/lib/'));
  // The schema chunk also takes src/http modules (the route table, roles) from index.js.
  const sharedWithSchemas = Object.keys(probe.metafile.inputs).filter(
    (f) => f.startsWith('src/lib/') || f.startsWith('src/http/'),
  );
  // 2. The registrations, exporting those modules for the service bundle.
  const entry = [
    "require('./src/functions/index.ts');",
    `module.exports.__shared = {${sharedWithSchemas.map((f) => `${JSON.stringify(f)}: require(${JSON.stringify(`./${f}`)})`).join(', ')}};`,
  ].join('\n');
  const app = await build({
    ...common,
    stdin: { contents: entry, resolveDir: root, sourcefile: 'deploy-entry.js', loader: 'js' },
    outfile: join(outdir, 'app', 'index.js'),
    external: EXTERNAL,
    plugins: [lazyService, lazySchemas],
  });
  // 3. The service core, with the shared modules taken from index.js.
  const fromApp = (sharedList) => ({
    name: 'shared-from-app',
    setup(b) {
      b.onResolve({ filter: /^\./ }, async (args) => {
        if (args.pluginData === 'shared') return undefined;
        const resolved = await b.resolve(args.path, {
          resolveDir: args.resolveDir,
          kind: args.kind,
          importer: args.importer,
          pluginData: 'shared',
        });
        const rel = relative(root, resolved.path).split(sep).join('/');
        return sharedList.includes(rel) ? { path: rel, namespace: 'shared' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'shared' }, (args) => ({
        contents: `module.exports = require('./index.js').__shared[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
    },
  });
  const service = await build({
    ...common,
    entryPoints: [libIndex],
    outfile: join(outdir, 'app', 'service.js'),
    external: [...EXTERNAL, './index.js'],
    plugins: [fromApp(shared)],
  });
  // 4. The schemas and the OpenAPI builder, with zod; src/lib and src/http modules from index.js.
  const schemaEntry = [
    "module.exports = Object.assign({}, require('./src/http/schemas.ts'), require('./src/http/openapi.ts'));",
  ].join('\n');
  const schemaChunk = await build({
    ...common,
    stdin: { contents: schemaEntry, resolveDir: root, sourcefile: 'schemas-entry.js', loader: 'js' },
    outfile: join(outdir, 'app', 'schemas.js'),
    external: [...EXTERNAL, './index.js'],
    plugins: [fromApp(sharedWithSchemas.filter((f) => !LAZY_SCHEMAS.has(join(root, f))))],
  });

  cpSync(pagedir, join(outdir, 'admin-page'), { recursive: true });
  cpSync(join(root, 'host.json'), join(outdir, 'host.json'));
  const pkg = require(join(root, 'package.json'));
  const deployPackage = {
    name: `${pkg.name}-app`,
    version: pkg.version,
    description: `${pkg.description} (deployment package, built by scripts/package-app.js)`,
    private: true,
    license: pkg.license,
    main: 'app/index.js',
    engines: pkg.engines,
    dependencies: {},
  };
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify(deployPackage, null, 2)}\n`);

  // What each bundle is made of, for review (kept out of the package).
  const inputs = (r) => Object.keys(r.metafile.inputs).sort();
  writeFileSync(
    inputsFile,
    `${JSON.stringify({ 'app/index.js': inputs(app), 'app/service.js': inputs(service), 'app/schemas.js': inputs(schemaChunk), shared }, null, 2)}\n`,
  );
  const files = listFiles(outdir).map((f) => f.slice(outdir.length + 1));
  process.stdout.write(
    `package-app: .deploy/ (${files.length} files; app/index.js ${inputs(app).length} modules, app/service.js ${inputs(service).length})\n`,
  );
}

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}

main().catch((error) => {
  process.stderr.write(`package-app: ${error && error.message ? error.message : error}\n`);
  process.exit(1);
});
