// Text a person would see as nothing: spaces of any Unicode kind, control characters, and the
// characters that draw nothing (zero-width space U+200B, word joiner U+2060, BOM U+FEFF, soft hyphen,
// variation selectors, Hangul fillers...). String.prototype.trim() knows the spaces but not the
// zero-width ones, so a title of one U+200B passed as text and showed as an empty row.

const INVISIBLE_ONLY = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}]*$/u;

/** True when `text` has no character that shows. */
export const isBlank = (text: string): boolean => INVISIBLE_ONLY.test(text);

/** The problem said of a title (or other text people read) that shows nothing. */
export const BLANK_MESSAGE = 'must not be blank: it has only spaces or invisible characters';
