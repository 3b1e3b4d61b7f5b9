import { z } from 'zod'
import { contract, isChannel, type Channel, type IpcResult, type JsonValue } from '../../preload/api'
import { toErrorData } from '../errors'
import type { Handlers } from './handlers'

export type Dispatch = (channel: unknown, args: unknown) => Promise<IpcResult<unknown>>

/**
 * Validates a call against the contract, runs its handler and wraps the outcome in an envelope.
 * Used by Electron's ipcMain binding and, unchanged, by the end-to-end test bridge.
 */
export function createDispatcher(handlers: Handlers): Dispatch {
  return async (channel, args) => {
    if (!isChannel(channel)) {
      return {
        ok: false,
        error: {
          code: 'unknown_channel',
          message: `There is no operation called "${String(channel)}".`,
          details: { channel: String(channel) }
        }
      }
    }
    const spec = contract[channel]
    const parsed = spec.args.safeParse(args)
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          code: 'invalid_argument',
          message: `Could not ${spec.title}: ${describeIssues(parsed.error.issues)}`,
          details: {
            channel,
            issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }))
          }
        }
      }
    }
    try {
      const value = await runHandler(handlers, channel, parsed.data)
      return { ok: true, value }
    } catch (err) {
      const error = toErrorData(err)
      return { ok: false, error: { ...error, message: `Could not ${spec.title}: ${error.message}` } }
    }
  }
}

function runHandler(handlers: Handlers, channel: Channel, args: unknown): Promise<unknown> {
  // The validator above guarantees `args` matches this channel's schema.
  const handler = handlers[channel] as (a: unknown) => Promise<unknown>
  return handler(args)
}

/** "inferenceThreads: must be at most 256; siteName: expected a string" */
export function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'the argument'
      return `${where}: ${plainMessage(issue)}`
    })
    .join('; ')
}

function plainMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return `must be at least ${String(issue.minimum)}`
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`
    case 'invalid_type':
      return `expected ${issue.expected}`
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v as JsonValue)).join(', ')}`
    default:
      return issue.message
  }
}
