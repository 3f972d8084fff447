import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package's version (CLI `--version`, OpenAPI `info.version`), read once from package.json. */
export const PACKAGE_VERSION: string = (() => {
  // Two levels up from src/lib and dist/lib (the repository or the installed package); one level up from
  // the deployment bundle (.deploy/app/ → .deploy/package.json, which carries the same version).
  for (const file of [join(__dirname, '..', '..', 'package.json'), join(__dirname, '..', 'package.json')]) {
    try {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name?.startsWith('graph-token-manager') && pkg.version) return pkg.version;
    } catch {
      // not this one
    }
  }
  return '0.0.0';
})();
