import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers of docs/architecture.md, one way: `src/lib` ← `src/http` ← `src/functions`, with `src/cli`
 * and `src/admin` on lib/http. `src/sandbox`, `src/host` and `src/bench` are development-only: nothing
 * in the other folders imports them. Imports are resolved to files, so the rules hold whatever the
 * relative path looks like (`../lib`, `../../http/x`, `../../src/...`).
 */
const DEV_FOLDERS = ['./src/sandbox', './src/host', './src/bench'];
const only = (folder, allowed, why) => ({
  target: `./src/${folder}`,
  from: './src',
  except: allowed.map((name) => `./${name}`),
  message: why,
});
const LAYERS = [
  only('lib', ['lib'], 'src/lib is the domain: it imports nothing else of src (see docs/architecture.md).'),
  only('http', ['lib', 'http'], 'src/http builds on src/lib only (see docs/architecture.md).'),
  only(
    'functions',
    ['lib', 'http', 'functions'],
    'src/functions are thin registrations over src/http and src/lib (see docs/architecture.md).',
  ),
  only('cli', ['lib', 'http', 'cli'], 'src/cli uses src/lib and src/http only (see docs/architecture.md).'),
  only(
    'admin',
    ['lib', 'http', 'admin'],
    'src/admin uses src/lib and src/http only (see docs/architecture.md).',
  ),
  {
    // Any other folder of src (and files directly in it): the development folders stay out.
    target: './src/!(sandbox|host|bench|lib|http|functions|cli|admin)/**',
    from: DEV_FOLDERS,
    message: 'src/sandbox, src/host and src/bench are development-only (see docs/architecture.md).',
  },
  {
    target: './src/*.ts',
    from: DEV_FOLDERS,
    message: 'src/sandbox, src/host and src/bench are development-only (see docs/architecture.md).',
  },
];

/** Configuration is parsed once, in src/lib/config.ts; only it and the entry points read the environment. */
const PROCESS_ENV_MESSAGE =
  'Read settings from the Config (src/lib/config.ts) or take an `env` parameter; only the configuration ' +
  'module and the entry points read process.env.';
const ENV_READERS = [
  'src/lib/config.ts',
  'src/cli/index.ts',
  'src/host/main.ts',
  'src/sandbox/start.ts',
  'src/bench/**',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      '.deploy/**',
      'node_modules/**',
      'coverage/**',
      'infra/**',
      'test-artifacts/**',
      '.tools/**',
      'src/admin/static/vendor/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createNodeResolver({ extensions: ['.ts', '.d.ts', '.js', '.json', '.node'] }),
      ],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: LAYERS }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: PROCESS_ENV_MESSAGE },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "VariableDeclarator[init.name='process'] > ObjectPattern > Property[key.name='env']",
          message: PROCESS_ENV_MESSAGE,
        },
      ],
    },
  },
  {
    // No circles in src/lib: each module can be read and changed from the ones below it (issue 15).
    // Type-only imports form no runtime cycle and are allowed.
    files: ['src/lib/**/*.ts'],
    settings: {
      // The dependency graph is read from the TypeScript sources themselves.
      'import-x/extensions': ['.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ENV_READERS,
    rules: { 'no-restricted-properties': 'off', 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
