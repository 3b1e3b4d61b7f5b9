/**
 * `npm run bench -- <name> [--json] [args...]`: runs bench/<name>.ts. With --json the last line of
 * stdout is one JSON object; progress goes to stderr. Benchmarks are not part of the tests or CI.
 */
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Benchmark } from './benchmark'

const here = path.dirname(fileURLToPath(import.meta.url))
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'benchmark.ts'].includes(f) && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .sort()

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json')
  const [name, ...args] = argv.filter((a) => a !== '--json')
  if (!name || name === '--help') {
    process.stdout.write(`Usage: npm run bench -- <name> [--json]\n\nBenchmarks: ${available.join(', ') || '(none yet)'}\n`)
    return name ? 0 : 1
  }
  if (!available.includes(name)) {
    process.stderr.write(`bench: unknown benchmark "${name}". Available: ${available.join(', ') || '(none yet)'}\n`)
    return 2
  }
  const mod = (await import(pathToFileURL(path.join(here, `${name}.ts`)).href)) as { default: Benchmark }
  const bench = mod.default
  process.stderr.write(`bench ${name}: ${bench.description}\n`)
  try {
    const result = await bench.run({ args, log: (line) => process.stderr.write(line + '\n') })
    if (json) process.stdout.write(JSON.stringify(result) + '\n')
    else process.stdout.write((bench.format ? bench.format(result) : JSON.stringify(result, null, 2)) + '\n')
    return 0
  } catch (err) {
    process.stderr.write(`bench ${name}: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code))
