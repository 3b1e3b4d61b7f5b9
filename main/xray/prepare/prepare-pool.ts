/**
 * A small pool of worker threads that turn image sources into batch tensors of model inputs (decode →
 * presentation → resize → normalisation, prepare-batch.ts), so that the main thread only feeds
 * onnxruntime. Batches come back as transferred buffers. If a worker cannot start or dies, its work and
 * all later work is done on the calling thread by the same code (identical results), and `status()` says why.
 *
 * sharp is already loaded on the main thread by the time workers start (prepare-batch.ts imports the
 * decoders): that keeps libvips loaded for the workers' whole life (sharp issue #2263). Idle workers are
 * unreferenced and do not keep the process alive; a worker is never terminated in the middle of a job.
 */
import os from 'node:os'
import { Worker } from 'node:worker_threads'
import type { InputSpec } from '../../ml/registry/manifest'
import { fromWireError, prepareBatch, type PreparedBatch } from './prepare-batch'
import type { BatchReply, BatchRequest } from './prepare-worker'
import type { FeatureSource } from './source'
import { prepareWorkerScript } from './worker-script'

interface Job {
  id: number
  sources: FeatureSource[]
  spec: InputSpec
  resolve: (b: PreparedBatch) => void
  reject: (err: unknown) => void
}

interface Slot {
  worker: Worker
  job: Job | null
}

export interface PreparePoolStatus {
  /** Worker threads running. */
  workers: number
  /** Why preparation runs on the calling thread instead (null while the workers do it). */
  inThread: string | null
}

/** Worker count for this machine: one per core beyond the first, at least one, at most `max`. */
export function defaultPrepareWorkers(max = 2): number {
  return Math.max(1, Math.min(max, os.availableParallelism() - 1))
}

export class PreparePool {
  private slots: Slot[] = []
  private readonly queue: Job[] = []
  private starting: Promise<void> | null = null
  private inThreadReason: string | null = null
  private nextId = 1

  constructor(readonly size: number = defaultPrepareWorkers()) {
    if (size < 0 || !Number.isInteger(size)) throw new Error(`A preparation pool needs a whole number of workers, not ${size}`)
    if (size === 0) this.inThreadReason = 'no worker threads were asked for'
  }

  /** How many batches are worth having in preparation at once. */
  get parallelism(): number {
    return this.inThreadReason ? 1 : this.size
  }

  status(): PreparePoolStatus {
    return { workers: this.slots.length, inThread: this.inThreadReason }
  }

  /** One batch: the sources' model inputs packed in order (those that fail to decode are listed, not thrown). */
  async prepare(sources: FeatureSource[], spec: InputSpec): Promise<PreparedBatch> {
    if (sources.length === 0 || this.inThreadReason) return prepareBatch(sources, spec)
    await (this.starting ??= this.start())
    if (this.inThreadReason) return prepareBatch(sources, spec)
    return new Promise<PreparedBatch>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, sources, spec, resolve, reject })
      this.dispatch()
    })
  }

  /** Stops the workers once their current jobs are done; later batches are prepared on the calling thread. */
  async close(): Promise<void> {
    this.inThreadReason ??= 'the pool was closed'
    const slots = this.slots
    this.slots = []
    await Promise.all(slots.map((s) => (s.job ? new Promise<void>((done) => s.worker.once('message', () => done())) : null)))
    await Promise.all(slots.map((s) => s.worker.terminate()))
    for (const job of this.queue.splice(0)) this.runInThread(job)
  }

  private async start(): Promise<void> {
    try {
      const script = await prepareWorkerScript()
      for (let i = 0; i < this.size; i++) {
        const worker = new Worker(script.filename, { eval: script.eval })
        const slot: Slot = { worker, job: null }
        worker.on('message', (reply: BatchReply) => this.finish(slot, reply))
        worker.on('error', (err) => this.lose(slot, `a preparation worker failed: ${err.message}`))
        worker.on('exit', (code) => this.lose(slot, `a preparation worker stopped (exit code ${code})`))
        worker.unref()
        this.slots.push(slot)
      }
    } catch (err) {
      this.inThreadReason = `preparation workers could not start: ${(err as Error).message}`
    }
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue
      const job = this.queue.shift()!
      slot.job = job
      slot.worker.ref()
      const request: BatchRequest = { id: job.id, sources: job.sources, spec: job.spec }
      slot.worker.postMessage(request)
    }
    if (this.slots.length === 0) for (const job of this.queue.splice(0)) this.runInThread(job)
  }

  private finish(slot: Slot, reply: BatchReply): void {
    const job = slot.job
    if (!job || job.id !== reply.id) return
    slot.job = null
    slot.worker.unref()
    if ('error' in reply) job.reject(fromWireError(reply.error))
    else job.resolve({ data: reply.data, ok: reply.ok, failed: reply.failed.map((f) => ({ index: f.index, error: fromWireError(f.error) })) })
    this.dispatch()
  }

  /** A worker died: its job (if any) and, when none is left, every queued one, run on this thread. */
  private lose(slot: Slot, why: string): void {
    const i = this.slots.indexOf(slot)
    if (i < 0) return
    this.slots.splice(i, 1)
    if (this.slots.length === 0) this.inThreadReason ??= why
    if (slot.job) this.runInThread(slot.job)
    slot.job = null
    this.dispatch()
  }

  private runInThread(job: Job): void {
    prepareBatch(job.sources, job.spec).then(job.resolve, job.reject)
  }
}

let shared: PreparePool | null = null

/** The process's pool (started on first use). */
export function preparePool(): PreparePool {
  return (shared ??= new PreparePool())
}
