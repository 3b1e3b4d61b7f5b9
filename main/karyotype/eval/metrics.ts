/**
 * Karyotyping accuracy over cells, in the terms of the issue (and of Varifocal-Net): per chromosome
 * before and after dispatch, per cell (mean over cells of the fraction right: "accuracy per patient
 * case"), whole cells right, and polarity over upright crops and their flips.
 */
import type { ChromosomeType } from '../types'

export interface CellOutcome {
  group: string
  truth: ChromosomeType[]
  /** The classifier's own best type per chromosome (null when the crop could not be used). */
  raw: (ChromosomeType | null)[]
  /** The dispatched type per chromosome (null when dispatch left it unplaced). */
  dispatched: (ChromosomeType | null)[]
  /** Polarity decisions scored for this cell (upright crop and its flip count as two), and how many were right. */
  polarityScored: number
  polarityRight: number
}

export interface KaryotypeMetrics {
  chromosomes: number
  cells: number
  type_accuracy_raw: number
  type_accuracy_dispatched: number
  per_cell_accuracy: number
  cells_fully_correct: number
  /** null when no crop of known polarity was scored (e.g. Q-band crops in spread orientation). */
  polarity_accuracy: number | null
}

export function summarise(outcomes: CellOutcome[]): KaryotypeMetrics {
  let chromosomes = 0
  let raw = 0
  let dispatched = 0
  let fully = 0
  let perCell = 0
  let polScored = 0
  let polRight = 0
  for (const c of outcomes) {
    const n = c.truth.length
    let right = 0
    c.truth.forEach((t, i) => {
      if (c.raw[i] === t) raw++
      if (c.dispatched[i] === t) right++
    })
    chromosomes += n
    dispatched += right
    if (n > 0) perCell += right / n
    if (right === n) fully++
    polScored += c.polarityScored
    polRight += c.polarityRight
  }
  const cells = outcomes.length
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0)
  return {
    chromosomes,
    cells,
    type_accuracy_raw: ratio(raw, chromosomes),
    type_accuracy_dispatched: ratio(dispatched, chromosomes),
    per_cell_accuracy: ratio(perCell, cells),
    cells_fully_correct: fully,
    polarity_accuracy: polScored > 0 ? polRight / polScored : null
  }
}
