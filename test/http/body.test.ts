/** lib/http/body.ts: the JSON body of a request, bounded while it streams in, decoded as UTF-8. */
import { describe, expect, it } from 'vitest';
import { readJsonBody } from '@/lib/http/body';

/** A request whose body arrives in these chunks, with the headers given (no Content-Length unless given). */
function streamed(chunks: Uint8Array<ArrayBuffer>[], headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  return { headers: new Headers(headers), body };
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('readJsonBody', () => {
  it('reads a body sent in one chunk', async () => {
    expect(await readJsonBody(streamed([bytes('{"a":"é"}')]), 100)).toEqual({ a: 'é' });
  });

  it('joins a body sent in several chunks, a multi-byte character split between two of them', async () => {
    const all = bytes('{"text":"naïve ☃"}');
    const cut = all.indexOf(0xe2) + 1; // inside the three bytes of ☃
    expect(await readJsonBody(streamed([all.subarray(0, 5), all.subarray(5, cut), all.subarray(cut)]), 100)).toEqual({ text: 'naïve ☃' });
  });

  it('drops a leading byte order mark, as before', async () => {
    expect(await readJsonBody(streamed([new Uint8Array([0xef, 0xbb, 0xbf]), bytes('{"a":1}')]), 100)).toEqual({ a: 1 });
  });

  it('counts the bytes that arrive, not the Content-Length: 16 bytes pass a 16-byte limit, 17 do not', async () => {
    const sixteen = bytes('{"a":"01234567"}');
    expect(sixteen.byteLength).toBe(16);
    const lying = { 'content-type': 'application/json', 'content-length': '2' };
    expect(await readJsonBody(streamed([sixteen.subarray(0, 8), sixteen.subarray(8)], lying), 16)).toEqual({ a: '01234567' });
    const seventeen = bytes('{"a":"012345678"}');
    await expect(readJsonBody(streamed([seventeen.subarray(0, 8), seventeen.subarray(8)], lying), 16)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('refuses a declared Content-Length over the limit before reading, and a body that is not JSON', async () => {
    await expect(readJsonBody(streamed([bytes('{}')], { 'content-type': 'application/json', 'content-length': '17' }), 16)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await expect(readJsonBody(streamed([bytes('{"a":')]), 16)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(readJsonBody(streamed([bytes('{}')], { 'content-type': 'text/plain' }), 16)).rejects.toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });
});
