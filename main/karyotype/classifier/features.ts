/**
 * The measurements a cytogeneticist reads first, as the numbers the classifier's heads take beside the
 * pixels: size relative to the cell (length, integrated density, width) and the centromere estimate.
 * Size only means something relative to the other chromosomes of the same cell (magnification and
 * condensation differ from cell to cell), so every cell is measured as a whole.
 *
 * Relative length and density are over the cell's TOTAL (×46, so an average chromosome is 1): a total
 * does not change when segmentation merges two touching chromosomes or splits one, unlike a median.
 */
import type { ChromosomeMeasures } from './views'

export const featureNames = [
  'relativeLength',
  'relativeMass',
  'relativeWidth',
  'centromereIndex',
  'centromerePosition',
  'centromereFound'
] as const

export const featureCount = featureNames.length

/** Chromosomes in a normal human cell: the scale of the relative measures. */
const normalCount = 46

function median(values: number[]): number {
  if (values.length === 0) return 0
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/**
 * Feature rows (featureCount per chromosome, in `featureNames` order) for the chromosomes of ONE cell,
 * each as its views show it (the centromere position is measured from the top of the views).
 */
export function cellFeatures(cell: ChromosomeMeasures[]): Float32Array {
  const out = new Float32Array(cell.length * featureCount)
  const totalLength = cell.reduce((s, m) => s + m.length, 0)
  const totalMass = cell.reduce((s, m) => s + m.mass, 0)
  const medianWidth = median(cell.map((m) => m.width))
  cell.forEach((m, i) => {
    const row = out.subarray(i * featureCount, (i + 1) * featureCount)
    row[0] = totalLength > 0 ? (normalCount * m.length) / totalLength : 1
    row[1] = totalMass > 0 ? (normalCount * m.mass) / totalMass : 1
    row[2] = medianWidth > 0 ? m.width / medianWidth : 1
    const found = m.centromere !== null && m.centromereIndex !== null
    row[3] = found ? 2 * m.centromereIndex! : 0
    row[4] = found ? m.centromere! : 0.5
    row[5] = found ? 1 : 0
  })
  return out
}

/** A feature row of the same chromosome turned upside down. */
export function flipFeatures(row: Float32Array, out: Float32Array = new Float32Array(featureCount)): Float32Array {
  out.set(row)
  if (row[5] > 0) out[4] = 1 - row[4]
  return out
}
