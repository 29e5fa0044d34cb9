/**
 * Reads a JSON request body with a hard size limit, counting bytes as they arrive so a lying or
 * missing Content-Length cannot make the server buffer more than the limit.
 */
import { ConnectError } from '../connect/errors';

export async function readJsonBody(request: Pick<Request, 'headers' | 'body'>, limitBytes: number): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new ConnectError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const text = await readText(request, limitBytes);
  try {
    return JSON.parse(text);
  } catch {
    throw new ConnectError('BAD_REQUEST', 'The body is not valid JSON.');
  }
}

async function readText(request: Pick<Request, 'body'>, limitBytes: number): Promise<string> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel();
      throw tooLarge(limitBytes);
    }
    chunks.push(value);
  }
  // A small body arrives in one chunk: decoded as it is, without a copy.
  return UTF8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
}

/** Stateless between calls (no `stream` option), so one decoder serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: false });

function tooLarge(limitBytes: number): ConnectError {
  return new ConnectError('PAYLOAD_TOO_LARGE', `The body is larger than ${limitBytes} bytes.`);
}
