#!/usr/bin/env node
'use strict';
// Writes the library's ES module entry, dist/lib/index.mjs, and its types, dist/lib/index.d.mts: a thin
// wrapper that re-exports the CommonJS build (dist/lib/index.js), so `import` and `require` share one
// instance of every class (GraphTokenError, MicrosoftGraphTokenService) and one process-wide service.
// The export list is read from the built module, so it cannot drift. Run after `tsc -p tsconfig.build.json`.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const lib = join(__dirname, '..', 'dist', 'lib');
const names = Object.keys(require(join(lib, 'index.js')))
  .filter((name) => name !== 'default' && name !== '__esModule')
  .sort();
writeFileSync(
  join(lib, 'index.mjs'),
  [
    '// ES module entry of graph-token-manager: re-exports the CommonJS build (scripts/build-esm.js).',
    "import lib from './index.js';",
    '',
    `export const { ${names.join(', ')} } = lib;`,
    'export default lib;',
    '',
  ].join('\n'),
);
writeFileSync(
  join(lib, 'index.d.mts'),
  [
    '// Types of the ES module entry (scripts/build-esm.js): the same as the CommonJS build.',
    "export * from './index.js';",
    "import * as lib from './index.js';",
    'export default lib;',
    '',
  ].join('\n'),
);
