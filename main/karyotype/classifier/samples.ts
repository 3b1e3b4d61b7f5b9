/**
 * Training and evaluation samples from a view table, as the training engine's readers: every crop in its
 * own orientation and turned upside down (the "p-arm down" polarity examples), with light augmentation
 * while training (left–right mirror, contrast and gamma, a little noise on the relative sizes).
 *
 * The engine calls one reader per input; they must agree on a sample's augmentation, so the random
 * choices come from a hash of (sample, epoch, seed) rather than a shared stream.
 */
import type { SampleReader, TrainData } from '../../ml/train'
import { chromosomeTypes } from '../types'
import { cellFeatures, featureCount, flipFeatures } from './features'
import { groupIndices } from './dataset'
import { measuresAt, type ViewTable } from './view-table'
import { flipRows, mirrorColumns } from './views'

/** Cell-relative feature rows for every crop of the table (crops that failed count for nothing). */
export function tableFeatures(t: ViewTable): Float32Array {
  const out = new Float32Array(t.count * featureCount)
  for (const indices of groupIndices(t.records).values()) {
    const usable = indices.filter((i) => t.problems[i] === null)
    const rows = cellFeatures(usable.map((i) => measuresAt(t, i)))
    usable.forEach((i, k) => out.set(rows.subarray(k * featureCount, (k + 1) * featureCount), i * featureCount))
  }
  return out
}

/** A 32-bit integer hash (lowbias32) → [0, 1). */
function hash01(...parts: number[]): number {
  let h = 0x9e3779b9
  for (const p of parts) {
    h ^= p + 0x7f4a7c15 + (h << 6) + (h >>> 2)
    h ^= h >>> 16
    h = Math.imul(h, 0x7feb352d)
    h ^= h >>> 15
    h = Math.imul(h, 0x846ca68b)
    h ^= h >>> 16
  }
  return (h >>> 0) / 2 ** 32
}

export interface SampleOptions {
  /** Add every crop turned upside down (polarity 1). */
  flips: boolean
  /** Polarity targets: true for upright crops (gband); false leaves them unknown (NaN: not trained). */
  polarityKnown: boolean
  seed?: number
}

/** Which crop and orientation sample `s` is. */
export function sampleAt(indices: ArrayLike<number>, s: number, flips: boolean): { crop: number; flipped: boolean } {
  const m = indices.length
  return { crop: indices[flips ? s % m : s], flipped: flips && s >= m }
}

export function buildSamples(t: ViewTable, indices: number[], features: Float32Array, o: SampleOptions): TrainData {
  const seed = o.seed ?? 1
  const count = indices.length * (o.flips ? 2 : 1)
  const G = t.config.global
  const L = t.config.local
  const gSize = G.width * G.height
  const lSize = L.width * L.height
  const scratch = new Float32Array(Math.max(gSize, lSize))

  type Aug = { mirror: boolean; gain: number; gamma: number; lengthNoise: number; massNoise: number } | null
  const augmentation = (s: number, info: { training: boolean; epoch: number }): Aug => {
    if (!info.training) return null
    const r = (k: number) => hash01(seed, info.epoch, s, k)
    return {
      mirror: r(1) < 0.5,
      gain: 0.85 + 0.3 * r(2),
      gamma: Math.exp((r(3) - 0.5) * 0.5),
      lengthNoise: 1 + (r(4) - 0.5) * 0.08,
      massNoise: 1 + (r(5) - 0.5) * 0.08
    }
  }

  const viewReader = (which: 'global' | 'upper' | 'lower'): SampleReader => (s, out, info) => {
    const { crop, flipped } = sampleAt(indices, s, o.flips)
    // Upside down, the upper view is the lower one turned over (and the reverse).
    const source = flipped && which !== 'global' ? (which === 'upper' ? 'lower' : 'upper') : which
    const [w, h, n] = which === 'global' ? [G.width, G.height, gSize] : [L.width, L.height, lSize]
    const bytes = t[source].subarray(crop * n, (crop + 1) * n)
    const a = augmentation(s, info)
    const tmp = scratch.subarray(0, n)
    for (let i = 0; i < n; i++) tmp[i] = bytes[i] / 255
    if (flipped) flipRows(tmp, w, h, out)
    else out.set(tmp)
    if (!a) return
    if (a.mirror) {
      mirrorColumns(out, w, h, tmp)
      out.set(tmp)
    }
    for (let i = 0; i < n; i++) if (out[i] > 0) out[i] = Math.min(1, a.gain * out[i] ** a.gamma)
  }

  const featureReader: SampleReader = (s, out, info) => {
    const { crop, flipped } = sampleAt(indices, s, o.flips)
    const row = features.subarray(crop * featureCount, (crop + 1) * featureCount)
    if (flipped) flipFeatures(row, out)
    else out.set(row)
    const a = augmentation(s, info)
    if (a) {
      out[0] *= a.lengthNoise
      out[1] *= a.massNoise
    }
  }

  const type = new Int32Array(count)
  const polarity = new Float32Array(count)
  for (let s = 0; s < count; s++) {
    const { crop, flipped } = sampleAt(indices, s, o.flips)
    type[s] = chromosomeTypes.indexOf(t.records[crop].type)
    polarity[s] = o.polarityKnown ? (flipped ? 1 : 0) : Number.NaN
  }
  return {
    count,
    inputs: { global: viewReader('global'), upper: viewReader('upper'), lower: viewReader('lower'), features: featureReader },
    targets: { type, polarity }
  }
}
