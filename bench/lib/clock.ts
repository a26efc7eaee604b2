/**
 * Milliseconds on CLOCK_MONOTONIC. The clock is shared by every process on the machine, so a
 * time taken in one generator process can be compared with a time taken in another.
 */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
