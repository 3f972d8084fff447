import Module from 'node:module';

/**
 * Makes `require('@azure/functions-core')` resolve to the local host's stand-in, the way the Functions
 * worker makes its own module resolvable. Must run before any function file loads `@azure/functions`.
 */
const CORE_MODULE = '@azure/functions-core';

type ResolveFilename = (request: string, ...rest: unknown[]) => string;

let installed = false;

export function installFunctionsCore(): void {
  if (installed) return;
  installed = true;
  const target = require.resolve('./functionsCore');
  const internals = Module as unknown as { _resolveFilename: ResolveFilename };
  const original = internals._resolveFilename;
  internals._resolveFilename = function resolveFilename(this: unknown, request: string, ...rest: unknown[]) {
    if (request === CORE_MODULE) return target;
    return original.call(this, request, ...rest);
  };
}
