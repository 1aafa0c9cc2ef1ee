/** The image types whose magic bytes the fetcher can confirm; `accept` takes only these. */
export const SNIFFABLE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;

export type ImageMimeType = (typeof SNIFFABLE_TYPES)[number];

/** Bytes needed to recognise every type below (RIFF....WEBP is the longest). */
export const SNIFF_LENGTH = 12;

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0): boolean =>
  bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);

const ascii = (text: string): number[] => Array.from(text, (char) => char.charCodeAt(0));

/** The image type the leading bytes prove, or undefined when they prove none of them. */
export function sniffImageType(bytes: Uint8Array): ImageMimeType | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  return undefined;
}

// Non-standard names still sent by real servers for JPEG.
const ALIASES: Readonly<Record<string, string>> = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg' };

/** `Image/JPEG; charset=binary` → `image/jpeg`; undefined when the header is absent or empty. */
export function declaredMimeType(contentType: string | undefined): string | undefined {
  const essence = contentType?.split(';')[0]?.trim().toLowerCase();
  if (!essence) return undefined;
  return ALIASES[essence] ?? essence;
}
