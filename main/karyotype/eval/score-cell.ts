/**
 * Scores one labelled cell: classify its chromosomes, dispatch the cell, compare with the truth.
 * A crop that could not be normalised still counts: it gets a uniform probability row (dispatch places
 * it somewhere or leaves it unplaced) and is wrong for polarity, so failures lower the figures instead
 * of vanishing from them.
 */
import type { ChromosomeClassifier } from '../classifier/classify'
import { cellFeatures } from '../classifier/features'
import type { ChromosomeViews } from '../classifier/views'
import { dispatchCell } from '../dispatch/dispatch'
import { chromosomeTypes, type ChromosomeType } from '../types'
import type { CellOutcome } from './metrics'

export interface LabelledCell {
  group: string
  truth: ChromosomeType[]
  /** Views per chromosome as the crop stands (null when it could not be normalised). */
  views: (ChromosomeViews | null)[]
  /** Whether the crops stand upright with the p-arm up (G-band karyogram crops do; Q-band spread crops do not). */
  upright: boolean
}

const uniform = chromosomeTypes.map(() => Math.log(1 / chromosomeTypes.length))

export async function scoreCell(cell: LabelledCell, classifier: ChromosomeClassifier, options: { mirror?: boolean } = {}): Promise<CellOutcome> {
  const usable = cell.views.map((v, i) => (v ? i : -1)).filter((i) => i >= 0)
  const views = usable.map((i) => cell.views[i]!)
  const features = cellFeatures(views.map((v) => v.measures))
  const calls = await classifier.classify(views, features, options)
  const logProbs: number[][] = cell.views.map(() => uniform)
  const raw: (ChromosomeType | null)[] = cell.views.map(() => null)
  let polarityRight = 0
  usable.forEach((i, k) => {
    logProbs[i] = calls[k].logProbs
    raw[i] = calls[k].type
    // Upright crops are "up" (p-arm down = 0); the flipped copy's answer is the complement by construction.
    if (cell.upright && calls[k].pArmDown < 0.5) polarityRight += 2
  })
  const dispatch = dispatchCell(logProbs)
  return {
    group: cell.group,
    truth: cell.truth,
    raw,
    dispatched: dispatch.assignments.map((a) => a.type),
    polarityScored: cell.upright ? 2 * cell.views.length : 0,
    polarityRight
  }
}
