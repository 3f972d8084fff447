/**
 * The repository explains itself: comments, docs and tests point at the project's own documents
 * (docs/*.md, README), never at sections of a contract that does not ship with the code.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SKIP = new Set([
  'node_modules',
  'dist',
  '.deploy',
  'coverage',
  'test-artifacts',
  '.git',
  '.tools',
  'vendor',
]);
const TEXT = /\.(ts|js|mjs|cjs|md|bicep|json|sh|html|css|yaml|yml)$|^run$/;

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (TEXT.test(name)) yield path;
  }
}

it('no file cites a section of an outside specification', () => {
  const outside = new RegExp(['SPEC', '\\s*§'].join(''));
  const offenders: string[] = [];
  for (const dir of ['src', 'test', 'docs', 'scripts', 'bin', 'infra', '.ci']) {
    for (const file of files(join(ROOT, dir))) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (outside.test(line)) offenders.push(`${relative(ROOT, file)}:${i + 1}`);
        });
    }
  }
  if (outside.test(readFileSync(join(ROOT, 'README.md'), 'utf8'))) offenders.push('README.md');
  expect(offenders).toEqual([]);
});
