/** How auth state values are stored: JSON text with Baileys' Buffer encoding. */
import { BufferJSON } from '@whiskeysockets/baileys';

export const encode = (value: unknown): string => JSON.stringify(value, BufferJSON.replacer);
export const decode = <T = unknown>(text: string): T => JSON.parse(text, BufferJSON.reviver) as T;
