import { HTTP_ERRORS, HttpProblem, badRequest } from './problem';

/** docs/http.md: bodies over 64 KiB are refused before anything parses them. */
export const MAX_BODY_BYTES = 64 * 1024;

interface ByteReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(): Promise<void>;
}

/** What `HttpRequest` (a web `Request`) offers: headers and a byte stream. */
interface BodySource {
  readonly headers: { get(name: string): string | null };
  readonly body: { getReader(): ByteReader } | null;
}

function tooLarge(limit: number): HttpProblem {
  return new HttpProblem(HTTP_ERRORS.PAYLOAD_TOO_LARGE, `The request body exceeds ${limit} bytes.`);
}

/**
 * Reads the body, counting bytes as they arrive, and stops at the limit: a declared `Content-Length`
 * over the limit is refused without reading, and a chunked body is cut off as soon as it passes it.
 */
export async function readBodyLimited(request: BodySource, limit: number = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > limit) throw tooLarge(limit);
  if (request.body === null) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done || value === undefined) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks, total);
}

/** `application/json`, with any parameters; a `charset` other than UTF-8 is not JSON as RFC 8259 defines it. */
export function isJsonContentType(value: string | null): boolean {
  if (value === null) return false;
  const [type, ...params] = value.split(';');
  if (type!.trim().toLowerCase() !== 'application/json') return false;
  for (const param of params) {
    const [name, raw] = param.split('=');
    if (name?.trim().toLowerCase() === 'charset') {
      const charset = raw?.trim().replace(/^"|"$/g, '').toLowerCase();
      if (charset !== 'utf-8' && charset !== 'utf8') return false;
    }
  }
  return true;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The JSON object in `bytes`. An empty body means `{}` (every route with a body accepts that shape and
 * lets its schema decide); any other body must be declared as JSON (415) and be a JSON object (400).
 */
export function parseJsonObject(bytes: Buffer, contentType: string | null): Record<string, unknown> {
  if (bytes.length === 0) return {};
  if (!isJsonContentType(contentType)) {
    throw new HttpProblem(
      HTTP_ERRORS.UNSUPPORTED_MEDIA_TYPE,
      contentType === null
        ? 'The request has a body but no Content-Type; send it as application/json.'
        : 'The request body must be application/json.',
    );
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw badRequest('The request body is not valid UTF-8.');
  }
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw badRequest(`The request body must be a JSON object, not ${kind}.`);
  }
  return value as Record<string, unknown>;
}
