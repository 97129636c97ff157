/**
 * Text as its UTF-16 code units in a typed array, and the number readers that work on one. A
 * bulk load reads every character of a restore several times; `charCodeAt` on a string sliced
 * from the text re-tests the string's representation at every call, an index into a typed array
 * does not. One copy per restore: Buffer latin1 when every character fits a byte, else two bytes
 * per character.
 */
export type CharCodes = Uint8Array | Uint16Array;

/** The characters of text as CharCodes (the exact code units either way). */
export function charCodes(text: string): CharCodes {
  if (!NOT_LATIN1.test(text)) return Buffer.from(text, 'latin1');
  const codes = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) codes[i] = text.charCodeAt(i);
  return codes;
}

const NOT_LATIN1 = /[^\u0000-\u00ff]/;

/** A dotted quad C[from, to) (1-3 digits per part, each <= 255) as a number; null when not one. */
export function dottedQuad(C: CharCodes, from: number, to: number): number | null {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = C[i]!;
    if (c === 46) {
      if (digits === 0 || part > 255) return null;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
    } else return null;
  }
  if (dots !== 3 || digits === 0 || part > 255) return null;
  return (n * 256 + part) >>> 0;
}
