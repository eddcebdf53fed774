/**
 * The contact card exactly as the original builds it: digits = the phone with everything but digits
 * removed, lines joined with "\n".
 */
export function buildVcard(name: string, phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `FN:${name}`,
    `TEL;type=CELL;type=VOICE;waid=${digits}:+${digits}`,
    'END:VCARD',
  ].join('\n');
}
