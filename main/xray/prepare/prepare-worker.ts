/**
 * Worker-thread entry of the input preparation pool (prepare-pool.ts): batch jobs in, batch tensors out
 * (their buffers transferred, not copied). Only decoding and image work is imported here — never
 * onnxruntime, which crashes when loaded in worker threads (onnxruntime issue #20084).
 */
import { parentPort } from 'node:worker_threads'
import type { InputSpec } from '../../ml/registry/manifest'
import { prepareBatch, toWireError, type WireError } from './prepare-batch'
import type { FeatureSource } from './source'

export interface BatchRequest {
  id: number
  sources: FeatureSource[]
  spec: InputSpec
}

export type BatchReply =
  | { id: number; data: Float32Array | Uint8Array; ok: number[]; failed: { index: number; error: WireError }[] }
  | { id: number; error: WireError }

const port = parentPort
if (!port) throw new Error('prepare-worker.ts runs only as a worker thread')

port.on('message', async ({ id, sources, spec }: BatchRequest) => {
  let reply: BatchReply
  try {
    const { data, ok, failed } = await prepareBatch(sources, spec)
    reply = { id, data, ok, failed: failed.map((f) => ({ index: f.index, error: toWireError(f.error) })) }
  } catch (err) {
    reply = { id, error: toWireError(err) }
  }
  port.postMessage(reply, 'data' in reply ? [reply.data.buffer as ArrayBuffer] : [])
})
