import type { ParseArgsConfig } from 'node:util'
import type { AppContext } from '../app/context'

export type OptionSpec = NonNullable<ParseArgsConfig['options']>

export interface ParsedCommand {
  /** Positional arguments after the command name. */
  positionals: string[]
  /** Option values by name (strings or booleans, as declared). */
  options: Record<string, string | boolean | undefined>
  json: boolean
}

export interface CliIO {
  /** Human-readable output (suppressed with --json). */
  print(line: string): void
  /** Progress and diagnostics, always on stderr. */
  progress(line: string): void
}

/**
 * One `lightbox <name>` command. `run` returns a JSON-safe object: printed as the one last line of
 * stdout with --json, or handed to `format` for people.
 */
export interface Command<R extends object = object> {
  name: string
  summary: string
  /** e.g. '<dataset-dir> [--epochs N]' */
  usage: string
  options?: OptionSpec
  run(cmd: ParsedCommand, ctx: AppContext, io: CliIO): Promise<R>
  format?(result: R): string
}

export function defineCommand<R extends object>(command: Command<R>): Command<R> {
  return command
}
