/**
 * Azure Functions route templates (ASP.NET Core syntax): literal segments (case-insensitive),
 * `{name}`, `{name?}`, `{name:constraint}` and a final catch-all `{*name}`. A trailing slash is
 * ignored, as ASP.NET Core routing ignores it. Used by the catch-all function (to tell 405 from 404)
 * and by the local host (to route requests the way the Functions host does).
 */

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'parameter'; name: string; optional: boolean; constraint: string | undefined }
  | { kind: 'catchAll'; name: string };

export interface RouteTemplate {
  readonly template: string;
  readonly segments: readonly Segment[];
  /** ASP.NET Core inbound precedence: lower is more specific and is tried first. */
  readonly precedence: string;
}

const PARAMETER = /^\{(\*{1,2})?([A-Za-z_][A-Za-z0-9_]*)(\?)?(?::([^}]*))?\}$/;

export function parseRouteTemplate(template: string): RouteTemplate {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const parts = trimmed === '' ? [] : trimmed.split('/');
  const segments: Segment[] = parts.map((part, index) => {
    const m = PARAMETER.exec(part);
    if (m === null) {
      if (/[{}]/.test(part)) throw new Error(`Unsupported route segment "${part}" in "${template}"`);
      return { kind: 'literal', value: part };
    }
    const [, star, name, optional, constraint] = m;
    if (star !== undefined) {
      if (index !== parts.length - 1)
        throw new Error(`A catch-all must be the last segment of "${template}"`);
      return { kind: 'catchAll', name: name! };
    }
    return { kind: 'parameter', name: name!, optional: optional !== undefined, constraint };
  });
  const digits = segments.map((s) =>
    s.kind === 'literal' ? '1' : s.kind === 'catchAll' ? '5' : s.constraint !== undefined ? '3' : '4',
  );
  return Object.freeze({ template, segments: Object.freeze(segments), precedence: digits.join('') });
}

/** Orders templates as the Functions host tries them: the most specific first. */
export function comparePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  // Compare as decimals 0.d1d2d3…: digit by digit, a missing digit counting as 0 (ASP.NET ComputeInbound).
  const length = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < length; i++) {
    const x = Number(a.precedence[i] ?? '0');
    const y = Number(b.precedence[i] ?? '0');
    if (x !== y) return x - y;
  }
  return 0;
}

function satisfies(constraint: string | undefined, value: string): boolean {
  if (constraint === undefined) return true;
  switch (constraint.toLowerCase()) {
    case 'int':
    case 'long':
      return /^-?\d+$/.test(value);
    case 'alpha':
      return /^[A-Za-z]+$/.test(value);
    case 'guid':
      return /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i.test(value);
    case 'bool':
      return /^(true|false)$/i.test(value);
    default:
      return true;
  }
}

/**
 * The route values if `path` (below the route prefix, without query) matches `route`, else `null`.
 * Path segments are percent-decoded; a catch-all receives the rest of the path, still joined by `/`.
 */
export function matchRoute(route: RouteTemplate, path: string): Record<string, string> | null {
  const trimmed = path.replace(/^\/+/, '').replace(/\/$/, '');
  const raw = trimmed === '' ? [] : trimmed.split('/');
  let parts: string[];
  try {
    parts = raw.map((p) => decodeURIComponent(p));
  } catch {
    return null;
  }
  const values: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i]!;
    const part = parts[i];
    if (segment.kind === 'catchAll') {
      const rest = parts.slice(i).join('/');
      if (rest !== '') values[segment.name] = rest;
      return values;
    }
    if (part === undefined) {
      if (segment.kind === 'parameter' && segment.optional) continue;
      return null;
    }
    if (segment.kind === 'literal') {
      if (part.toLowerCase() !== segment.value.toLowerCase()) return null;
    } else {
      if (part === '' || !satisfies(segment.constraint, part)) return null;
      values[segment.name] = part;
    }
  }
  return parts.length === route.segments.length ||
    (parts.length < route.segments.length && route.segments.slice(parts.length).every(isOptional))
    ? values
    : null;
}

function isOptional(segment: Segment): boolean {
  return segment.kind === 'catchAll' || (segment.kind === 'parameter' && segment.optional);
}
