import { MAX_BODY_BYTES, isJsonContentType, parseJsonObject, readBodyLimited } from '../../src/http/body';
import { HttpProblem } from '../../src/http/problem';

function streamOf(chunks: number[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(new Uint8Array(chunks[i++]!).fill(0x20));
      else controller.close();
    },
  });
}

const request = (
  body: ReadableStream<Uint8Array> | string | null,
  headers: Record<string, string> = {},
): Request =>
  new Request('http://localhost/api/x', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

async function status(promise: Promise<unknown> | (() => unknown)): Promise<number> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
    return 0;
  } catch (error) {
    return (error as HttpProblem).status;
  }
}

describe('request bodies', () => {
  it('reads a body up to the limit', async () => {
    expect((await readBodyLimited(request(streamOf([MAX_BODY_BYTES - 10, 10])))).length).toBe(MAX_BODY_BYTES);
  });

  it('stops a streamed (chunked) body as soon as it passes the limit', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(16 * 1024));
      },
    });
    expect(await status(readBodyLimited(request(endless)))).toBe(413);
    expect(pulled).toBeLessThan(10);
  });

  it('refuses a declared Content-Length over the limit without reading', async () => {
    expect(
      await status(
        readBodyLimited({
          headers: new Headers({ 'content-length': String(MAX_BODY_BYTES + 1) }),
          body: null,
        }),
      ),
    ).toBe(413);
  });

  it.each([
    ['application/json', true],
    ['Application/JSON; charset=UTF-8', true],
    ['application/json;charset="utf-8"', true],
    ['application/json; charset=latin1', false],
    ['text/plain', false],
    ['application/jsonx', false],
    [null, false],
  ])('content type %s is JSON: %s', (value, expected) => {
    expect(isJsonContentType(value)).toBe(expected);
  });

  it.each([
    ['', null, 0],
    ['', 'text/plain', 0],
    ['  ', 'application/json', 0],
    ['{"a":1}', 'application/json', 0],
    ['{"a":1}', null, 415],
    ['{"a":1}', 'text/plain', 415],
    ['{"a":', 'application/json', 400],
    ['null', 'application/json', 400],
    ['[]', 'application/json', 400],
    ['"x"', 'application/json', 400],
    ['1', 'application/json', 400],
  ])('body %j with %s → %i', async (text, contentType, expected) => {
    expect(await status(() => parseJsonObject(Buffer.from(text), contentType))).toBe(expected);
  });

  it('refuses bytes that are not UTF-8', async () => {
    expect(await status(() => parseJsonObject(Buffer.from([0x7b, 0xff, 0x7d]), 'application/json'))).toBe(
      400,
    );
  });
});
