/**
 * Finding events by single-value extended properties in the sandbox Graph: `$filter` with Any() over
 * many events, paged with `$top` and `@odata.nextLink`, `$expand` of chosen properties, `$select`, and
 * PATCH setting or replacing properties.
 */
import { SandboxGraph, SandboxIdentityProvider } from '../../src/sandbox';
import { client, graphToken, type Json } from './graphClient';

const SET = '{6f1d9a52-7c3e-4b8a-9d2f-3e5b8c1a7d40}';
const SCOPE = `String ${SET} Name GraphTokenManagerScope`;
const EXTERNAL = `String ${SET} Name GraphTokenManagerExternalId`;
const OWNER = `String ${SET} Name GraphTokenManagerOwner`;

describe('extended properties: $filter, $expand, paging', () => {
  let idp: SandboxIdentityProvider;
  let graph: SandboxGraph;
  let call: ReturnType<typeof client>;
  let events: string;

  beforeAll(async () => {
    idp = await SandboxIdentityProvider.start();
    graph = await SandboxGraph.start({ identityProvider: idp });
    call = client(graph, await graphToken(idp));
    events = `/groups/${graph.groupIds[0]}/events`;
    for (let i = 0; i < 30; i++) {
      const scope = i < 25 ? 'Scope-A' : 'scope-b';
      await call(events, {
        method: 'POST',
        body: {
          subject: `Event ${i}`,
          start: { dateTime: `2027-04-01T${String(8 + (i % 10)).padStart(2, '0')}:00:00`, timeZone: 'UTC' },
          end: { dateTime: `2027-04-01T${String(9 + (i % 10)).padStart(2, '0')}:00:00`, timeZone: 'UTC' },
          singleValueExtendedProperties: [
            { id: SCOPE, value: scope },
            { id: EXTERNAL, value: `ext-${i}` },
            { id: OWNER, value: 'tid:oid' },
          ],
        },
      });
    }
    // A person's own meeting has no properties and is never found by them.
    graph.outlook.createMeeting({
      subject: 'Coffee',
      start: { dateTime: '2027-04-01T10:00:00', timeZone: 'UTC' },
      end: { dateTime: '2027-04-01T10:30:00', timeZone: 'UTC' },
    });
  });
  afterAll(async () => {
    await graph.close();
    await idp.close();
  });

  const any = (id: string, test: string): string =>
    `$filter=${encodeURIComponent(`singleValueExtendedProperties/Any(ep: ep/id eq '${id}' and ${test})`)}`;

  it('pages a filtered list 10 at a time by default, $top at a time when asked, values compared case-insensitively', async () => {
    const subjects: string[] = [];
    let next: string | undefined = `${events}?${any(SCOPE, "ep/value eq 'scope-a'")}`;
    const sizes: number[] = [];
    while (next) {
      const page = await call(next);
      expect(page.status).toBe(200);
      sizes.push(page.body.value.length);
      subjects.push(...page.body.value.map((e: Json) => e.subject));
      next = page.body['@odata.nextLink'];
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(new Set(subjects).size).toBe(25);
    const big = await call(`${events}?${any(SCOPE, "ep/value eq 'SCOPE-A'")}&$top=100`);
    expect([big.body.value.length, big.body['@odata.nextLink']]).toEqual([25, undefined]);
    // The list's answer carries no properties unless expanded (Graph: "does not include the extended property").
    expect(big.body.value[0].singleValueExtendedProperties).toBeUndefined();

    const one = await call(`${events}?${any(EXTERNAL, "ep/value eq 'ext-7'")}`);
    expect(one.body.value.map((e: Json) => e.subject)).toEqual(['Event 7']);
    expect((await call(`${events}?${any(EXTERNAL, "ep/value eq 'none'")}`)).body.value).toEqual([]);
    expect(
      (await call(`${events}?${any(EXTERNAL, "startswith(ep/value, 'ext-2')")}&$top=50`)).body.value,
    ).toHaveLength(11);
    expect(
      (await call(`${events}?${any(EXTERNAL, "contains(ep/value, '-1')")}&$top=50`)).body.value,
    ).toHaveLength(11);
    expect((await call(`${events}?${any(SCOPE, "ep/value ne 'scope-a'")}&$top=50`)).body.value).toHaveLength(
      5,
    );
    // The id's name is case-sensitive.
    expect(
      (await call(`${events}?${any(SCOPE.replace('Scope', 'scope'), "ep/value eq 'scope-a'")}`)).body.value,
    ).toEqual([]);

    const unsupported = await call(`${events}?$filter=${encodeURIComponent("subject eq 'Event 1'")}`);
    expect([unsupported.status, unsupported.body.error.code]).toEqual([400, 'BadRequest']);
  });

  it('expands the properties asked for by id, with $select, on lists and single events', async () => {
    const expand = `$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${SCOPE}' or id eq '${EXTERNAL}')`)}`;
    const list = await call(`${events}?${any(EXTERNAL, "ep/value eq 'ext-3'")}&${expand}&$select=subject`);
    const [e] = list.body.value as Json[];
    expect(Object.keys(e!).sort()).toEqual(['@odata.etag', 'id', 'singleValueExtendedProperties', 'subject']);
    expect(e!.singleValueExtendedProperties).toEqual([
      { id: SCOPE, value: 'Scope-A' },
      { id: EXTERNAL, value: 'ext-3' },
    ]);
    const single = await call(
      `${events}/${e!.id}?$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${OWNER}')`)}`,
    );
    expect(single.body.singleValueExtendedProperties).toEqual([{ id: OWNER, value: 'tid:oid' }]);
    const bad = await call(`${events}/${e!.id}?$expand=attachments`);
    expect(bad.status).toBe(400);

    // PATCH sets a new property and replaces an existing one; the others stay.
    const patched = await call(`${events}/${e!.id}?${expand}`, {
      method: 'PATCH',
      body: { singleValueExtendedProperties: [{ id: EXTERNAL, value: 'ext-3b' }] },
    });
    expect(patched.body.singleValueExtendedProperties).toEqual([
      { id: SCOPE, value: 'Scope-A' },
      { id: EXTERNAL, value: 'ext-3b' },
    ]);
    expect((await call(`${events}?${any(EXTERNAL, "ep/value eq 'ext-3'")}`)).body.value).toEqual([]);
    expect((await call(`${events}?${any(OWNER, "ep/value eq 'tid:oid'")}&$top=100`)).body.value).toHaveLength(
      30,
    );
  });
});
