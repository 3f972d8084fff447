import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

/**
 * What the Functions host reads from the app folder: `package.json` `main` (a file or a glob of
 * registration files), `host.json` (the HTTP route prefix) and, locally, `local.settings.json`.
 */

export { readLocalSettings, type LocalSettings } from '../lib/config';

/** As Core Tools does: settings become environment variables, but a variable already set wins. */
export function applySettings(values: Record<string, string>, env: NodeJS.ProcessEnv): void {
  for (const [key, value] of Object.entries(values)) if (env[key] === undefined) env[key] = value;
}

export function readRoutePrefix(scriptRoot: string): string {
  const file = join(scriptRoot, 'host.json');
  if (!existsSync(file)) return 'api';
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as {
    extensions?: { http?: { routePrefix?: unknown } };
  };
  const prefix = parsed.extensions?.http?.routePrefix;
  return typeof prefix === 'string' ? prefix.replace(/^\/+|\/+$/g, '') : 'api';
}

/** The files `package.json` `main` names, expanding `*` and `**` the way the Node.js worker's glob does. */
export function resolveEntryPoints(scriptRoot: string): string[] {
  const pkg = JSON.parse(readFileSync(join(scriptRoot, 'package.json'), 'utf8')) as { main?: unknown };
  const main = typeof pkg.main === 'string' && pkg.main !== '' ? pkg.main : 'index.js';
  if (!/[*?{]/.test(main)) return [resolve(scriptRoot, main)];
  const parts = main.replace(/^\.\//, '').split('/');
  const firstGlob = parts.findIndex((p) => /[*?{]/.test(p));
  const base = resolve(scriptRoot, parts.slice(0, firstGlob).join('/') || '.');
  const pattern = globToRegExp(parts.slice(firstGlob).join('/'));
  if (!existsSync(base)) return [];
  return walk(base)
    .filter((file) => pattern.test(relative(base, file).split(sep).join('/')))
    .sort();
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      source += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      source += `(?:${glob
        .slice(i + 1, end)
        .split(',')
        .map((s) => s.replace(/[.+^$()|[\]\\]/g, '\\$&'))
        .join('|')})`;
      i = end;
    } else source += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
