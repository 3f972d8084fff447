/**
 * The OData query options the sandbox Graph understands on events (docs/sandbox.md, "Queries"):
 * `$filter` on a single-value extended property with `Any()`, `$expand` of single-value extended
 * properties filtered by id, and `$select`. Anything else in `$filter` or `$expand` is a 400, so a
 * query the sandbox would silently misread cannot pass a test.
 */
import { GraphInputError } from './eventFields';

const QUOTED = "'((?:[^']|'')*)'";
const ANY = new RegExp(
  `^singleValueExtendedProperties/any\\(\\s*(\\w+)\\s*:\\s*\\1/id eq ${QUOTED} and (?:\\1/value (eq|ne) ${QUOTED}|(contains|startswith)\\(\\s*\\1/value\\s*,\\s*${QUOTED}\\s*\\))\\s*\\)$`,
  'i',
);

const unquote = (s: string): string => s.replace(/''/g, "'");

/** `singleValueExtendedProperties/Any(ep: ep/id eq '…' and <value test>)` as a predicate on an event's properties. */
export function parsePropertyFilter(filter: string): (properties: Record<string, string>) => boolean {
  const m = ANY.exec(filter.trim());
  if (!m) throw new GraphInputError(400, 'BadRequest', 'Invalid filter clause');
  const id = unquote(m[2]!);
  const op = (m[3] ?? m[5]!).toLowerCase();
  // Graph documents value comparisons on extended properties as case-insensitive, the id's name as case-sensitive.
  const value = unquote(m[4] ?? m[6]!).toLowerCase();
  return (properties) => {
    const v = properties[id]?.toLowerCase();
    if (v === undefined) return false;
    if (op === 'eq') return v === value;
    if (op === 'ne') return v !== value;
    if (op === 'contains') return v.includes(value);
    return v.startsWith(value);
  };
}

const EXPAND = /^singleValueExtendedProperties(?:\(\s*\$filter\s*=\s*(.*)\))?$/i;
const ID_EQ = new RegExp(`^id eq ${QUOTED}$`, 'i');

/**
 * `$expand=singleValueExtendedProperties($filter=id eq 'a' or id eq 'b')`: the property ids to return,
 * or `all` without a filter (Graph documents the filtered form only; the sandbox returns every one).
 */
export function parseExpand(expand: string | null): Set<string> | 'all' | null {
  if (expand === null) return null;
  const m = EXPAND.exec(expand.trim());
  if (!m) {
    throw new GraphInputError(
      400,
      'BadRequest',
      `Parsing OData Select and Expand failed: '${expand.slice(0, 80)}'.`,
    );
  }
  if (m[1] === undefined) return 'all';
  const ids = new Set<string>();
  for (const clause of m[1].split(/\s+or\s+/i)) {
    const c = ID_EQ.exec(clause.trim());
    if (!c) throw new GraphInputError(400, 'BadRequest', 'Invalid filter clause');
    ids.add(unquote(c[1]!));
  }
  return ids;
}

/** The extended properties an expansion returns, as Graph writes them. */
export function expandedProperties(
  properties: Record<string, string>,
  wanted: Set<string> | 'all',
): Array<{ id: string; value: string }> {
  return Object.entries(properties)
    .filter(([id]) => wanted === 'all' || wanted.has(id))
    .map(([id, value]) => ({ id, value }));
}

/** `$select=subject,start`: the property names kept (id and the etag always are). */
export function parseSelect(select: string | null): Set<string> | null {
  if (select === null) return null;
  return new Set([
    '@odata.etag',
    'id',
    ...select
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean),
  ]);
}

/** `$top` (default 10 as Graph pages events, at most 1000) and `$skip` of a collection request. */
export function paging(query: URLSearchParams): { top: number; skip: number } {
  const top = Math.min(1000, Math.max(1, Number(query.get('$top') ?? 10) || 10));
  const skip = Math.max(0, Number(query.get('$skip') ?? 0) || 0);
  return { top, skip };
}

/** Parses `Prefer` (one header or several, comma-joined): `outlook.timezone` and `outlook.body-content-type`. */
export function parsePrefer(prefer: string | undefined): { timeZone?: string; bodyType?: 'text' | 'html' } {
  const out: { timeZone?: string; bodyType?: 'text' | 'html' } = {};
  const re = /([\w.-]+)\s*=\s*(?:"([^"]*)"|([^,;\s]+))/g;
  for (let m = re.exec(prefer ?? ''); m; m = re.exec(prefer ?? '')) {
    const name = m[1]!.toLowerCase();
    const value = m[2] ?? m[3]!;
    if (name === 'outlook.timezone') out.timeZone = value;
    if (name === 'outlook.body-content-type') {
      const v = value.toLowerCase();
      if (v === 'text' || v === 'html') out.bodyType = v;
    }
  }
  return out;
}
