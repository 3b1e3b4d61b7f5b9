/**
 * A batch tensor of model inputs from image sources: each decoded, presented and resized as
 * preprocess/model-input.ts says (bit-identical wherever it runs), the images that decode packed one after
 * the other. The same function runs in the worker threads and, as a fallback, on the calling thread.
 */
import { LabError } from '../../errors'
import type { InputSpec } from '../../ml/registry/manifest'
import { inputGeometry, modelInput } from '../preprocess/model-input'
import { sourceRaster, type FeatureSource } from './source'

export interface PreparedBatch {
  /** ok.length × C×H×W values (float32, or uint8 for uint8 inputs). */
  data: Float32Array | Uint8Array
  /** Indices (into the sources) of the images in `data`, in order. */
  ok: number[]
  /** The sources that could not be decoded, with the error. */
  failed: { index: number; error: unknown }[]
}

export async function prepareBatch(sources: FeatureSource[], spec: InputSpec): Promise<PreparedBatch> {
  const g = inputGeometry(spec)
  const per = g.channels * g.width * g.height
  const failed: PreparedBatch['failed'] = []
  // Decoded together: the native JPEG decodes run on libuv's threads while this thread presents and resizes.
  const rasters = await Promise.all(
    sources.map((s, index) =>
      sourceRaster(s).catch((error: unknown) => {
        failed.push({ index, error })
        return null
      })
    )
  )
  const ok = rasters.flatMap((r, k) => (r ? [k] : []))
  const data = g.dtype === 'uint8' ? new Uint8Array(ok.length * per) : new Float32Array(ok.length * per)
  await Promise.all(ok.map((k, n) => modelInput(rasters[k]!, spec, { into: data, offset: n * per })))
  failed.sort((a, b) => a.index - b.index)
  return { data, ok, failed }
}

/** An error as it crosses a thread: LabErrors keep code, message and details; others their message. */
export type WireError = { lab: true; code: LabError['code']; message: string; details?: LabError['details'] } | { lab: false; name: string; message: string; stack?: string }

export function toWireError(err: unknown): WireError {
  if (err instanceof LabError) return { lab: true, code: err.code, message: err.message, details: err.details }
  if (err instanceof Error) return { lab: false, name: err.name, message: err.message, stack: err.stack }
  return { lab: false, name: 'Error', message: String(err) }
}

export function fromWireError(w: WireError): Error {
  if (w.lab) return new LabError(w.code, w.message, w.details)
  const err = new Error(w.message)
  err.name = w.name
  if (w.stack) err.stack = w.stack
  return err
}
