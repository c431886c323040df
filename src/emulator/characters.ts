/**
 * Lengths as the KMS model counts them: in characters (Unicode code points), as KMS's service
 * framework does, not in UTF-16 units as `String.prototype.length` does. An ID of 64 emoji is 64
 * characters (128 UTF-16 units) and within the model's 1–64.
 */

/** The number of code points of a string (a lone surrogate counts as one). */
export function characterCount(value: string): number {
  let count = 0;
  for (let index = 0; index < value.length; index++) {
    const unit = value.charCodeAt(index);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < value.length) {
      const next = value.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index++;
    }
    count++;
  }
  return count;
}

/** The first `limit` characters of a string, never splitting a surrogate pair. */
export function firstCharacters(value: string, limit: number): string {
  if (value.length <= limit) return value;
  let end = 0;
  for (let taken = 0; taken < limit && end < value.length; taken++) {
    const unit = value.charCodeAt(end);
    const next = value.charCodeAt(end + 1);
    end += unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
  }
  return value.slice(0, end);
}
