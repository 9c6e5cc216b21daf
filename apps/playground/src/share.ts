/**
 * What a shared link carries, in the page's fragment (after `#`, so no
 * server ever sees it): a bundled example by name, or the scenario's whole
 * text — deflated and base64url-encoded — and the step shown.
 *
 *   #ex=02-first-interrupt-v3&step=10
 *   #text=<deflate-raw, base64url>&step=4
 */
export interface Shared {
  /** A bundled example's id. */
  example?: string;
  /** The scenario's text, when it is not a bundled example unchanged. */
  text?: string;
  step: number;
}

async function through(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function encodeShared(shared: Shared): Promise<string> {
  const params = new URLSearchParams();
  if (shared.example !== undefined) params.set('ex', shared.example);
  else if (shared.text !== undefined) {
    const packed = await through(new TextEncoder().encode(shared.text), new CompressionStream('deflate-raw'));
    params.set('text', toBase64Url(packed));
  }
  params.set('step', String(shared.step));
  return `#${params.toString()}`;
}

/** The link's scenario and step; null for a fragment that carries none, or one that does not decode. */
export async function decodeShared(hash: string): Promise<Shared | null> {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const stepText = params.get('step') ?? '0';
  const step = /^\d{1,9}$/.test(stepText) ? Number(stepText) : 0;
  const example = params.get('ex');
  if (example !== null) return { example, step };
  const packed = params.get('text');
  if (packed === null) return null;
  try {
    const bytes = await through(fromBase64Url(packed), new DecompressionStream('deflate-raw'));
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), step };
  } catch {
    return null;
  }
}
