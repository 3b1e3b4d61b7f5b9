/** Runs a head's ONNX bytes once over feature vectors (training-time checks; the app uses the runtime's sessions). */
import { createSession, loadOrt } from '../../ml/runtime/ort'

export async function onnxScores(onnx: Uint8Array, vectors: Float32Array[], outputs: string[]): Promise<Record<string, Float32Array>> {
  if (vectors.length === 0) return Object.fromEntries(outputs.map((o) => [o, new Float32Array(0)]))
  const ort = await loadOrt()
  const dim = vectors[0].length
  const batch = new Float32Array(vectors.length * dim)
  vectors.forEach((v, i) => batch.set(v, i * dim))
  const session = await createSession(onnx, { threads: 1 })
  try {
    const out = await session.run({ features: new ort.Tensor('float32', batch, [vectors.length, dim]) }, outputs)
    return Object.fromEntries(outputs.map((o) => [o, out[o].data as Float32Array]))
  } finally {
    await session.release()
  }
}
