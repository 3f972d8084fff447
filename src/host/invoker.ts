import { randomUUID } from 'node:crypto';
import {
  getProgrammingModel,
  registeredHooks,
  type CoreInvocationContext,
  type FunctionCallback,
  type Registration,
} from './functionsCore';

/**
 * Invokes a registered function the way the Node.js worker does: the library's own invocation model
 * turns worker-shaped input (`RpcTypedData`) into the real `HttpRequest`/`Timer` and `InvocationContext`,
 * calls the handler between the pre- and post-invocation hooks, and converts its result back. So the
 * functions see exactly the objects the Functions host would give them.
 */

export type HostLog = (entry: {
  level: string;
  category: string;
  message: string;
  function?: string;
  invocation_id?: string;
}) => void;

export interface InputBinding {
  name: string;
  data: Record<string, unknown>;
}

export class FunctionInvoker {
  readonly #log: HostLog;
  readonly #appHookData: Record<string, unknown> = {};

  constructor(log: HostLog) {
    this.#log = log;
  }

  get appHookData(): Record<string, unknown> {
    return this.#appHookData;
  }

  /** Runs the function; resolves to the worker's `returnValue` (`RpcTypedData`) or rejects with the handler's error. */
  async invoke(
    registration: Registration,
    inputData: InputBinding[],
  ): Promise<Record<string, unknown> | null | undefined> {
    const invocationId = randomUUID();
    const name = registration.metadata.name;
    const coreContext: CoreInvocationContext = {
      invocationId,
      request: { invocationId, functionId: name, inputData, triggerMetadata: {} },
      metadata: registration.metadata,
      state: undefined,
      log: (level, category, message) =>
        this.#log({ level, category, message, function: name, invocation_id: invocationId }),
    };
    const model = getProgrammingModel().getInvocationModel(coreContext);
    const { context, inputs } = await model.getArguments();

    const hookData: Record<string, unknown> = {};
    let callback: FunctionCallback = registration.callback;
    let args = inputs;
    coreContext.state = 'preInvocationHooks';
    for (const hook of registeredHooks('preInvocation')) {
      const hookContext = {
        hookData,
        appHookData: this.#appHookData,
        invocationContext: context,
        inputs: args,
        functionCallback: callback,
      };
      await hook(hookContext);
      callback = hookContext.functionCallback;
      args = hookContext.inputs;
    }

    coreContext.state = 'invocation';
    let result: unknown;
    let error: unknown;
    try {
      result = await model.invokeFunction(context, args, callback);
    } catch (e) {
      error = e;
    }

    coreContext.state = 'postInvocationHooks';
    for (const hook of registeredHooks('postInvocation')) {
      const hookContext = {
        hookData,
        appHookData: this.#appHookData,
        invocationContext: context,
        inputs: args,
        result,
        error,
      };
      await hook(hookContext);
      result = hookContext.result;
      error = hookContext.error;
    }
    coreContext.state = undefined;
    if (error !== undefined) throw error;
    const response = await model.getResponse(context, result);
    return response.returnValue;
  }

  /** Runs the `appStart` or `appTerminate` hooks. */
  async runAppHooks(hookName: 'appStart' | 'appTerminate'): Promise<void> {
    for (const hook of registeredHooks(hookName)) {
      await hook({ hookData: {}, appHookData: this.#appHookData });
    }
  }
}
