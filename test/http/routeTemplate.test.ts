import { comparePrecedence, matchRoute, parseRouteTemplate } from '../../src/http/routeTemplate';

describe('route templates', () => {
  const match = (template: string, path: string): Record<string, string> | null =>
    matchRoute(parseRouteTemplate(template), path);

  it('matches literals case-insensitively and ignores a trailing slash', () => {
    expect(match('graph-tokens/status', 'graph-tokens/status')).toEqual({});
    expect(match('graph-tokens/status', '/Graph-Tokens/STATUS/')).toEqual({});
    expect(match('graph-tokens/status', 'graph-tokens/status/x')).toBeNull();
    expect(match('graph-tokens/status', 'graph-tokens')).toBeNull();
    expect(match('openapi.json', 'openapi.json')).toEqual({});
  });

  it('binds parameters, decoded', () => {
    expect(match('graph-tokens/{id}/deactivate', 'graph-tokens/a%20b/deactivate/')).toEqual({ id: 'a b' });
    expect(match('graph-tokens/{id}/deactivate', 'graph-tokens//deactivate')).toBeNull();
    expect(match('items/{n:int}', 'items/12')).toEqual({ n: '12' });
    expect(match('items/{n:int}', 'items/x')).toBeNull();
    expect(match('items/{n?}', 'items')).toEqual({});
    expect(match('bad/{id}', 'bad/%E0%A4%A')).toBeNull();
  });

  it('gives a catch-all the rest of the path, or nothing', () => {
    expect(match('{*rest}', '')).toEqual({});
    expect(match('{*rest}', 'a/b/c/')).toEqual({ rest: 'a/b/c' });
    expect(match('admin/{*path}', 'admin/app.js')).toEqual({ path: 'app.js' });
    expect(match('admin/{*path}', 'admin')).toEqual({});
  });

  it('orders literals before parameters before catch-alls', () => {
    const templates = [
      '{*rest}',
      'graph-tokens/{id}/deactivate',
      'graph-tokens/status',
      'graph-tokens',
      'admin/{*path}',
    ];
    const sorted = templates
      .map(parseRouteTemplate)
      .sort(comparePrecedence)
      .map((t) => t.template);
    expect(sorted.indexOf('graph-tokens/status')).toBeLessThan(
      sorted.indexOf('graph-tokens/{id}/deactivate'),
    );
    expect(sorted.at(-1)).toBe('{*rest}');
    expect(sorted.indexOf('admin/{*path}')).toBeLessThan(sorted.indexOf('{*rest}'));
  });

  it('refuses templates the Functions host would not accept', () => {
    expect(() => parseRouteTemplate('{*rest}/more')).toThrow(/last segment/);
    expect(() => parseRouteTemplate('a{b')).toThrow(/Unsupported/);
  });
});
