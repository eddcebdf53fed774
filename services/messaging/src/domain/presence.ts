/**
 * The original's presence simulation: after "seen" and "typing…", wait
 * 1000 + random·2000 + min(len·50, 5000) ms, where len is the text's length for a text and 20 for anything
 * else; at most 8 s. `scale` shortens it (tests); 1 is the original.
 */
export function presenceDelayMs(textLength: number | undefined, scale = 1, random: () => number = Math.random): number {
  const len = textLength ?? 20;
  return Math.round((1000 + random() * 2000 + Math.min(len * 50, 5000)) * scale);
}
