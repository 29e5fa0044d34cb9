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
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
}

function tooLarge(limitBytes: number): ConnectError {
  return new ConnectError('PAYLOAD_TOO_LARGE', `The body is larger than ${limitBytes} bytes.`);
}
