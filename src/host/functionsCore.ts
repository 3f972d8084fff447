/**
 * A stand-in for `@azure/functions-core`, the module the Azure Functions Node.js worker provides to
 * `@azure/functions`. Outside the worker that module is absent and the library skips every
 * `app.http`/`app.timer` call ("test mode"); with this stand-in resolvable, the library registers
 * exactly what it would register with the real worker, and the local host reads it from here.
 *
 * Only what `@azure/functions` 4.x calls is implemented: `registerFunction`, `registerHook`,
 * `setProgrammingModel`, `getProgrammingModel` and `log`.
 */

/** A binding as the library describes it to the host (`toCoreFunctionMetadata`). */
export interface RpcBindingInfo {
  type?: string;
  direction?: 'in' | 'out' | 'inout';
  name?: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
  schedule?: string;
  runOnStartup?: boolean;
  useMonitor?: boolean;
  [key: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;
export type HookCallback = (context: Record<string, unknown>) => unknown;

export interface Registration {
  readonly metadata: FunctionMetadata;
  readonly callback: FunctionCallback;
}

/** The library's programming model; its invocation model turns worker-shaped requests into handler calls. */
export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: {
    invocationId: string;
    functionId: string;
    inputData: { name: string; data: Record<string, unknown> }[];
    triggerMetadata: Record<string, unknown>;
  };
  metadata: FunctionMetadata & { functionId?: string };
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: string, category: string, message: string): void;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<{ returnValue?: Record<string, unknown> | null }>;
}

export class Disposable {
  #dispose: (() => void) | undefined;
  constructor(dispose: () => void) {
    this.#dispose = dispose;
  }
  dispose(): void {
    this.#dispose?.();
    this.#dispose = undefined;
  }
}

const registrations = new Map<string, Registration>();
const hooks = new Map<string, HookCallback[]>();
let programmingModel: ProgrammingModel | undefined;
let systemLog: (level: string, category: string, message: string) => void = (level, _category, message) => {
  if (level === 'error' || level === 'critical' || level === 'warning') console.error(message);
};

export function registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
  const key = metadata.name.toLowerCase();
  if (registrations.has(key)) throw new Error(`A function named "${metadata.name}" is already registered.`);
  registrations.set(key, Object.freeze({ metadata, callback }));
  return new Disposable(() => registrations.delete(key));
}

export function registerHook(hookName: string, callback: HookCallback): Disposable {
  const list = hooks.get(hookName) ?? [];
  list.push(callback);
  hooks.set(hookName, list);
  return new Disposable(() => {
    const i = list.indexOf(callback);
    if (i >= 0) list.splice(i, 1);
  });
}

export function setProgrammingModel(model: ProgrammingModel): void {
  programmingModel = model;
}

export function getProgrammingModel(): ProgrammingModel {
  if (programmingModel === undefined) throw new Error('No programming model has been set.');
  return programmingModel;
}

export function log(level: string, category: string, message: string): void {
  systemLog(level, category, message);
}

// ---- read by the local host ------------------------------------------------------------------------

export function registeredFunctions(): Registration[] {
  return [...registrations.values()];
}

export function registeredHooks(hookName: string): HookCallback[] {
  return [...(hooks.get(hookName) ?? [])];
}

export function setSystemLog(write: (level: string, category: string, message: string) => void): void {
  systemLog = write;
}
