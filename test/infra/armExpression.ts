/**
 * A small evaluator for the ARM template expressions that the compiled Bicep uses in the properties the
 * infrastructure test checks (network rules, conditions, names), so a test can ask "what does this
 * property become when restrictNetwork is true" instead of matching expression text. Only the functions
 * below are known; any other one throws, so a template change that needs more fails loudly.
 */
type Value = unknown;

type Node =
  | { kind: 'literal'; value: Value }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'property'; target: Node; key: string }
  | { kind: 'index'; target: Node; index: Node };

export interface Context {
  parameters: Record<string, Value>;
  /** Raw template variables (expressions inside are evaluated on use). */
  variables: Record<string, Value>;
  /** The iteration of a copy loop, for copyIndex(). */
  copyIndex?: number;
}

interface Scope extends Context {
  lambda: Record<string, Value>;
}

function parse(text: string): Node {
  let pos = 0;
  const skip = (): void => {
    while (pos < text.length && /\s/.test(text[pos])) pos += 1;
  };
  const expect = (ch: string): void => {
    skip();
    if (text[pos] !== ch) throw new Error(`expected '${ch}' at ${pos} in ${text}`);
    pos += 1;
  };
  const expression = (): Node => {
    skip();
    let node: Node;
    if (text[pos] === "'") {
      let value = '';
      pos += 1;
      for (;;) {
        if (pos >= text.length) throw new Error(`unterminated string in ${text}`);
        if (text[pos] === "'") {
          if (text[pos + 1] === "'") {
            value += "'";
            pos += 2;
            continue;
          }
          pos += 1;
          break;
        }
        value += text[pos];
        pos += 1;
      }
      node = { kind: 'literal', value };
    } else if (/[-0-9]/.test(text[pos])) {
      const m = /^-?\d+/.exec(text.slice(pos));
      if (!m) throw new Error(`bad number at ${pos} in ${text}`);
      pos += m[0].length;
      node = { kind: 'literal', value: Number(m[0]) };
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(pos));
      if (!m) throw new Error(`unexpected '${text[pos]}' at ${pos} in ${text}`);
      pos += m[0].length;
      expect('(');
      const args: Node[] = [];
      skip();
      if (text[pos] === ')') pos += 1;
      else {
        for (;;) {
          args.push(expression());
          skip();
          if (text[pos] === ',') {
            pos += 1;
            continue;
          }
          expect(')');
          break;
        }
      }
      node = { kind: 'call', name: m[0].toLowerCase(), args };
    }
    for (;;) {
      skip();
      if (text[pos] === '.') {
        pos += 1;
        const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(text.slice(pos));
        if (!m) throw new Error(`bad property at ${pos} in ${text}`);
        pos += m[0].length;
        node = { kind: 'property', target: node, key: m[0] };
      } else if (text[pos] === '[') {
        pos += 1;
        const index = expression();
        expect(']');
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const node = expression();
  skip();
  if (pos !== text.length) throw new Error(`trailing text at ${pos} in ${text}`);
  return node;
}

const isEmpty = (v: Value): boolean =>
  v === null ||
  v === undefined ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

function call(node: Extract<Node, { kind: 'call' }>, scope: Scope): Value {
  const arg = (i: number): Value => run(node.args[i], scope);
  const args = (): Value[] => node.args.map((a) => run(a, scope));
  switch (node.name) {
    case 'if':
      return arg(0) === true ? arg(1) : arg(2);
    case 'parameters': {
      const name = String(arg(0));
      if (!(name in scope.parameters)) throw new Error(`no value for parameter ${name}`);
      return scope.parameters[name];
    }
    case 'variables': {
      const name = String(arg(0));
      if (!(name in scope.variables)) throw new Error(`no variable ${name}`);
      return evaluate(scope.variables[name], scope);
    }
    case 'lambdavariables':
      return scope.lambda[String(arg(0))];
    case 'map':
    case 'filter': {
      const items = arg(0) as Value[];
      const fn = node.args[1];
      if (fn.kind !== 'call' || fn.name !== 'lambda') throw new Error(`${node.name} needs a lambda`);
      const name = String(run(fn.args[0], scope));
      const apply = (item: Value): Value =>
        run(fn.args[1], { ...scope, lambda: { ...scope.lambda, [name]: item } });
      return node.name === 'map' ? items.map(apply) : items.filter((item) => apply(item) === true);
    }
    case 'empty':
      return isEmpty(arg(0));
    case 'not':
      return arg(0) !== true;
    case 'equals':
      return JSON.stringify(arg(0)) === JSON.stringify(arg(1));
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
    case 'createobject': {
      const values = args();
      const out: Record<string, Value> = {};
      for (let i = 0; i < values.length; i += 2) out[String(values[i])] = values[i + 1];
      return out;
    }
    case 'createarray':
      return args();
    case 'concat': {
      const values = args();
      return values.every(Array.isArray) ? values.flat() : values.map(String).join('');
    }
    case 'format': {
      const [pattern, ...rest] = args();
      return String(pattern).replace(/\{(\d+)\}/g, (_m, i: string) => String(rest[Number(i)]));
    }
    case 'join':
      return (arg(0) as Value[]).map(String).join(String(arg(1)));
    case 'length': {
      const v = arg(0);
      return typeof v === 'string' || Array.isArray(v) ? v.length : Object.keys(v as object).length;
    }
    case 'copyindex':
      if (scope.copyIndex === undefined) throw new Error('copyIndex() outside a copy loop');
      return scope.copyIndex + args().reduce<number>((n, a) => (typeof a === 'number' ? a : n), 0);
    case 'split':
      return String(arg(0)).split(String(arg(1)));
    case 'replace':
      return String(arg(0))
        .split(String(arg(1)))
        .join(String(arg(2)));
    case 'tolower':
      return String(arg(0)).toLowerCase();
    case 'uniquestring':
      return 'u'.padEnd(13, '0'); // stands in for the hash: stable and the right length
    case 'subscription':
      return { id: '/subscriptions/sub', subscriptionId: 'sub' };
    case 'resourcegroup':
      return { id: '/subscriptions/sub/resourceGroups/rg', name: 'rg', location: 'westeurope' };
    case 'resourceid': {
      const [type, ...names] = args().map(String);
      const [namespace, ...types] = type.split('/');
      const path = types.map((t, i) => `${t}/${names[i]}`).join('/');
      return `/subscriptions/sub/resourceGroups/rg/providers/${namespace}/${path}`;
    }
    default:
      throw new Error(`armExpression: unsupported function ${node.name}()`);
  }
}

function run(node: Node, scope: Scope): Value {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'call':
      return call(node, scope);
    case 'property':
      return (run(node.target, scope) as Record<string, Value>)[node.key];
    case 'index': {
      const target = run(node.target, scope) as Record<string | number, Value>;
      return target[run(node.index, scope) as string | number];
    }
  }
}

/** Evaluates a template value: expressions ("[...]") anywhere inside it are replaced by their result. */
export function evaluate(value: Value, context: Context): Value {
  const scope: Scope = { lambda: {}, ...context };
  if (typeof value === 'string') {
    if (value.startsWith('[[')) return value.slice(1);
    if (value.startsWith('[') && value.endsWith(']')) return run(parse(value.slice(1, -1)), scope);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => evaluate(v, context));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v, context)]));
  }
  return value;
}
