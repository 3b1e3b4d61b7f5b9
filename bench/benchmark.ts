/** One `npm run bench -- <name>` benchmark: a file bench/<name>.ts whose default export is this. */
export interface Benchmark<R extends object = object> {
  description: string
  run(options: { args: string[]; log: (line: string) => void }): Promise<R>
  /** Human-readable summary; JSON is printed when absent. */
  format?(result: R): string
}

export function defineBenchmark<R extends object>(b: Benchmark<R>): Benchmark<R> {
  return b
}

/** The median (the mean of the middle two for an even count; 0 for none). */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : 0
}
