#!/usr/bin/env node
'use strict';
// Writes dist/app/: the function app as a Functions host loads it on this machine, from the compiled
// (unbundled) files of dist/. `npm start` serves it with the local host or with `func start --script-root
// dist/app`. The repository's own package.json is the library's (its `main` is dist/lib/index.js), so the
// function app needs a folder of its own: host.json, a package.json whose `main` is index.js, and index.js
// loading dist/functions/index.js (every registration). The deployment package is built separately, as one
// bundle of production code only: scripts/package-app.js. Run after `tsc -p tsconfig.build.json`.
const { copyFileSync, mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const outdir = join(root, 'dist', 'app');

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
copyFileSync(join(root, 'host.json'), join(outdir, 'host.json'));
const pkg = require(join(root, 'package.json'));
writeFileSync(
  join(outdir, 'package.json'),
  `${JSON.stringify({ name: `${pkg.name}-local-app`, version: pkg.version, private: true, main: 'index.js' }, null, 2)}\n`,
);
writeFileSync(
  join(outdir, 'index.js'),
  "'use strict';\n// The local function app: every registration of dist/functions (see scripts/build-local-app.js).\nrequire('../functions/index.js');\n",
);
