import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package's version (CLI `--version`, OpenAPI `info.version`), read once from package.json. */
export const PACKAGE_VERSION: string = (() => {
  try {
    // Two levels up from both src/lib and dist/lib.
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
