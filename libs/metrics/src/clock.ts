/** Seconds elapsed since `startedMs`, a `performance.now()` reading (monotonic: no wall-clock steps). */
export const secondsSince = (startedMs: number): number => (performance.now() - startedMs) / 1000;
