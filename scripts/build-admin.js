#!/usr/bin/env node
'use strict';
// Builds the admin page (docs/admin.md) into dist/admin-page/, which src/functions/admin.ts serves:
// app.js and redirect.js bundled by esbuild (MSAL Browser included, so no CDN is needed), plus the static
// index.html, redirect.html and app.css. Run after `tsc -p tsconfig.build.json` (part of `npm run build`).
const { build } = require('esbuild');
const { cpSync, mkdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const outdir = join(root, 'dist', 'admin-page');

async function main() {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: { app: 'src/admin/page/main.ts', redirect: 'src/admin/page/redirect.ts' },
    outdir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'redirect.html', 'app.css']) {
    cpSync(join(root, 'src', 'admin', 'static', file), join(outdir, file));
  }
}

main().catch((error) => {
  process.stderr.write(`build-admin: ${error && error.message ? error.message : error}\n`);
  process.exit(1);
});
