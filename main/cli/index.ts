/**
 * Headless CLI: `npm run lightbox -- <command> [options] [--json]`.
 * Convention: with --json, the last line of stdout is exactly one JSON object; errors go to stderr and
 * the exit code is non-zero.
 */
import { parseArgs } from 'node:util'
import { createAppContext } from '../app/create-context'
import { defaultDataDir, sourceResourcesDir } from '../app/paths'
import { toErrorData } from '../errors'
import type { CliIO, Command } from './command'
import { commands } from './commands'

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  return [
    'Usage: npm run lightbox -- <command> [options] [--json]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --json (print one JSON object as the last line of stdout) and --help.'
  ].join('\n')
}

function commandHelp(c: Command): string {
  const opts = Object.entries(c.options ?? {}).map(
    ([name, o]) => `  --${name}${o.type === 'string' ? ' <value>' : ''}${o.default !== undefined ? ` (default ${String(o.default)})` : ''}`
  )
  return [`Usage: npm run lightbox -- ${c.name} ${c.usage}`, '', c.summary, ...(opts.length ? ['', 'Options:', ...opts] : [])].join('\n')
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n')
    return name ? 0 : 1
  }
  const command = commands.find((c) => c.name === name)
  if (!command) {
    process.stderr.write(`lightbox: unknown command "${name}"\n\n${usage()}\n`)
    return 2
  }
  let parsed
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { ...command.options, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } }
    })
  } catch (err) {
    process.stderr.write(`lightbox ${name}: ${(err as Error).message}\n\n${commandHelp(command)}\n`)
    return 2
  }
  const { json, help, ...options } = parsed.values as Record<string, string | boolean | undefined>
  if (help) {
    process.stdout.write(commandHelp(command) + '\n')
    return 0
  }
  const io: CliIO = {
    print: (line) => {
      if (!json) process.stdout.write(line + '\n')
    },
    progress: (line) => process.stderr.write(line + '\n')
  }
  const ctx = createAppContext({ dataDir: defaultDataDir(), resourcesDir: sourceResourcesDir })
  try {
    const result = await command.run({ positionals: parsed.positionals, options, json: json === true }, ctx, io)
    if (json) process.stdout.write(JSON.stringify(result) + '\n')
    else process.stdout.write((command.format ? command.format(result) : JSON.stringify(result, null, 2)) + '\n')
    return 0
  } catch (err) {
    const e = toErrorData(err)
    process.stderr.write(`lightbox ${name}: ${e.message}\n`)
    if (e.code === 'internal' && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n')
    return 1
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    process.stderr.write(`lightbox: ${String(err)}\n`)
    process.exitCode = 1
  }
)
