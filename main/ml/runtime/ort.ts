/**
 * The one module that loads onnxruntime-node. It is loaded lazily, once, in the main process only
 * (never in worker threads: onnxruntime issue #20084). Sessions run asynchronously on ORT's own thread
 * pool, so inference never blocks the event loop.
 *
 * Provider choice, fallback, session caching and status live in runtime.ts (ModelRuntime), which creates
 * its sessions through `createSession`.
 */
import os from 'node:os'
import type { InferenceSession } from 'onnxruntime-node'

type Ort = typeof import('onnxruntime-node')
let ortPromise: Promise<Ort> | null = null

export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node')
  return ortPromise
}

export interface SessionOptions {
  /** intra-op threads; default one per core. */
  threads?: number
  executionProviders?: InferenceSession.ExecutionProviderConfig[]
  /** onnxruntime's log level: 0 verbose … 2 warnings (default) … 4 fatal only. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4
  /**
   * Let idle pool threads spin between ops (onnxruntime's default). Training turns it off: on a busy
   * machine spinning threads steal the cores the working ones need (measured several-fold slower).
   */
  allowSpinning?: boolean
  /**
   * onnxruntime's graph optimisation level (default 'all'). Training graphs use 'extended': the 'all'
   * level's blocked NCHWc convolution layout adds layout conversions around every convolution whose
   * neighbours (gradient ops) stay in NCHW, measured about 20% slower per training step.
   */
  graphOptimizationLevel?: InferenceSession.SessionOptions['graphOptimizationLevel']
}

export async function createSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<InferenceSession> {
  const ort = await loadOrt()
  const sessionOptions: InferenceSession.SessionOptions = {
    executionProviders: options.executionProviders ?? ['cpu'],
    intraOpNumThreads: options.threads ?? os.availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all'
  }
  if (options.logSeverityLevel !== undefined) sessionOptions.logSeverityLevel = options.logSeverityLevel
  if (options.allowSpinning === false) {
    sessionOptions.extra = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } }
  }
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, sessionOptions)
    : ort.InferenceSession.create(model, sessionOptions)
}
