/**
 * Per-cell dispatch: assigns every object of a cell to a chromosome type at once, as an optimal
 * constrained assignment (Hungarian algorithm, `munkres` package) instead of each object's own best guess.
 *
 * Slots: two of each autosome plus the sex chromosomes of a hypothesis (XX: X,X; XY: X,Y), both
 * hypotheses tried and the cheaper kept. Deviations from a normal cell are allowed at a price:
 *   - one extra slot per type (a third copy: possible trisomy, or XXY…) costs `extraCost`;
 *   - a normal slot left empty (possible monosomy, or a chromosome lost in preparation) costs `missingCost`;
 *   - an object that fits nowhere (debris, an extra or marker object) costs `unplacedCost`.
 * The cost of putting object i in a slot of type t is -log p(t | object i). The square cost matrix has
 * rows = objects + dummy rows and columns = normal + extra + "unplaced" slots, so every normal slot is
 * either filled by an object or paid for as missing.
 */
import { munkres } from 'munkres'
import { LabError } from '../../errors'
import { chromosomeTypes, type ChromosomeType } from '../types'

export type SexHypothesis = 'XX' | 'XY'

export interface DispatchOptions {
  /** Which sex-chromosome complements to try; both by default. */
  sex?: SexHypothesis | 'auto'
  extraCost?: number
  missingCost?: number
  unplacedCost?: number
  /** Object ids, to echo in the result (default: the row index as a string). */
  ids?: string[]
}

export type SlotKind = 'normal' | 'extra' | 'unplaced'

export interface ObjectAssignment {
  id: string
  /** Row of the probability table. */
  index: number
  type: ChromosomeType | null
  slot: SlotKind
  /** log p(assigned type) (null when unplaced). */
  logProb: number | null
  /** The classifier's own best type and its log-probability. */
  best: ChromosomeType
  bestLogProb: number
  /** True when the cell-level assignment overruled the classifier's best guess. */
  changed: boolean
}

export type DeviationKind = 'extra' | 'missing' | 'unplaced'

export interface Deviation {
  kind: DeviationKind
  /** The type concerned (null for an unplaced object). */
  type: ChromosomeType | null
  expected: number
  found: number
  /** Object ids concerned (the extra copies, or the unplaced object). */
  objects: string[]
  /** Plain words, e.g. "chromosome 21: 3 found, 2 expected (possible trisomy 21)". */
  message: string
}

export interface CellDispatch {
  sex: SexHypothesis
  assignments: ObjectAssignment[]
  counts: Record<ChromosomeType, number>
  deviations: Deviation[]
  /** Total cost (negative log-likelihood plus deviation costs) of the kept hypothesis. */
  cost: number
  /** Every hypothesis tried with its cost, cheapest first. */
  hypotheses: Array<{ sex: SexHypothesis; cost: number }>
}

export const defaultDispatchCosts = { extraCost: 6, missingCost: 6, unplacedCost: 9 }

function expectedCounts(sex: SexHypothesis): Record<ChromosomeType, number> {
  const counts = Object.fromEntries(chromosomeTypes.map((t) => [t, 2])) as Record<ChromosomeType, number>
  counts.X = sex === 'XX' ? 2 : 1
  counts.Y = sex === 'XX' ? 0 : 1
  return counts
}

function checkTable(logProbs: number[][]): void {
  if (!Array.isArray(logProbs)) throw new LabError('invalid_argument', 'The probability table must be an array of rows.')
  logProbs.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== chromosomeTypes.length) {
      throw new LabError('invalid_argument', `Row ${i} of the probability table has ${Array.isArray(row) ? row.length : 'no'} columns; 24 (1–22, X, Y) are needed.`)
    }
    if (row.some((v) => typeof v !== 'number' || Number.isNaN(v) || v > 1e-6)) {
      throw new LabError('invalid_argument', `Row ${i} of the probability table is not a row of log-probabilities (numbers ≤ 0).`)
    }
  })
}

interface Solved {
  sex: SexHypothesis
  cost: number
  slotOf: Array<{ type: ChromosomeType | null; slot: SlotKind }>
  missing: Record<ChromosomeType, number>
}

/** Floor for log-probabilities, so a classifier's -Infinity stays a (large) finite cost. */
const minLogProb = -50

function solve(logProbs: number[][], sex: SexHypothesis, costs: typeof defaultDispatchCosts): Solved {
  const n = logProbs.length
  const expected = expectedCounts(sex)
  const normal: ChromosomeType[] = chromosomeTypes.flatMap((t) => Array<ChromosomeType>(expected[t]).fill(t))
  const extra: ChromosomeType[] = [...chromosomeTypes]
  const columns = normal.length + extra.length + n
  const rows = columns // objects + dummies (normal.length + extra.length of them)
  const cost = (r: number, c: number): number => {
    if (r < n) {
      const lp = (t: ChromosomeType) => -Math.max(minLogProb, logProbs[r][chromosomeTypes.indexOf(t)])
      if (c < normal.length) return lp(normal[c])
      if (c < normal.length + extra.length) return lp(extra[c - normal.length]) + costs.extraCost
      return costs.unplacedCost
    }
    // Dummy rows fill whatever objects leave: a dummy in a normal slot is a missing chromosome.
    return c < normal.length ? costs.missingCost : 0
  }
  const matrix: number[][] = Array.from({ length: rows }, (_, r) => Array.from({ length: columns }, (_, c) => cost(r, c)))
  const pairs = munkres(matrix)
  const slotOf: Solved['slotOf'] = Array.from({ length: n }, () => ({ type: null, slot: 'unplaced' as SlotKind }))
  const missing = Object.fromEntries(chromosomeTypes.map((t) => [t, 0])) as Record<ChromosomeType, number>
  let total = 0
  for (const [r, c] of pairs) {
    total += matrix[r][c]
    if (r < n) {
      if (c < normal.length) slotOf[r] = { type: normal[c], slot: 'normal' }
      else if (c < normal.length + extra.length) slotOf[r] = { type: extra[c - normal.length], slot: 'extra' }
    } else if (c < normal.length) missing[normal[c]]++
  }
  return { sex, cost: total, slotOf, missing }
}

function typeName(t: ChromosomeType): string {
  return t === 'X' || t === 'Y' ? `chromosome ${t}` : `chromosome ${t}`
}

/** Dispatches one cell: `logProbs` is N objects × 24 types (1–22, X, Y) of natural-log probabilities. */
export function dispatchCell(logProbs: number[][], options: DispatchOptions = {}): CellDispatch {
  checkTable(logProbs)
  const costs = {
    extraCost: options.extraCost ?? defaultDispatchCosts.extraCost,
    missingCost: options.missingCost ?? defaultDispatchCosts.missingCost,
    unplacedCost: options.unplacedCost ?? defaultDispatchCosts.unplacedCost
  }
  const ids = options.ids ?? logProbs.map((_, i) => String(i))
  if (ids.length !== logProbs.length) throw new LabError('invalid_argument', `${ids.length} ids were given for ${logProbs.length} objects.`)
  const hypotheses: SexHypothesis[] = !options.sex || options.sex === 'auto' ? ['XY', 'XX'] : [options.sex]
  const solved = hypotheses.map((h) => solve(logProbs, h, costs)).sort((a, b) => a.cost - b.cost)
  const best = solved[0]

  const assignments: ObjectAssignment[] = logProbs.map((row, i) => {
    let bi = 0
    for (let k = 1; k < row.length; k++) if (row[k] > row[bi]) bi = k
    const { type, slot } = best.slotOf[i]
    const logProb = type === null ? null : row[chromosomeTypes.indexOf(type)]
    return { id: ids[i], index: i, type, slot, logProb, best: chromosomeTypes[bi], bestLogProb: row[bi], changed: type !== chromosomeTypes[bi] }
  })
  const counts = Object.fromEntries(chromosomeTypes.map((t) => [t, 0])) as Record<ChromosomeType, number>
  for (const a of assignments) if (a.type) counts[a.type]++

  const expected = expectedCounts(best.sex)
  const deviations: Deviation[] = []
  for (const t of chromosomeTypes) {
    const found = counts[t]
    const exp = expected[t]
    if (found > exp) {
      const objects = assignments.filter((a) => a.type === t && a.slot === 'extra').map((a) => a.id)
      const hint = t === 'X' || t === 'Y' ? 'extra sex chromosome' : `possible trisomy ${t}`
      deviations.push({ kind: 'extra', type: t, expected: exp, found, objects, message: `${typeName(t)}: ${found} found, ${exp} expected (${hint})` })
    } else if (found < exp) {
      const hint = t === 'X' || t === 'Y' ? 'missing sex chromosome' : `possible monosomy ${t}, or a chromosome lost from the spread`
      deviations.push({ kind: 'missing', type: t, expected: exp, found, objects: [], message: `${typeName(t)}: ${found} found, ${exp} expected (${hint})` })
    }
  }
  for (const a of assignments) {
    if (a.slot === 'unplaced') {
      deviations.push({ kind: 'unplaced', type: null, expected: 0, found: 1, objects: [a.id], message: `object ${a.id} fits no chromosome slot (debris, or an extra or marker object)` })
    }
  }
  return {
    sex: best.sex,
    assignments,
    counts,
    deviations,
    cost: best.cost,
    hypotheses: solved.map((s) => ({ sex: s.sex, cost: s.cost }))
  }
}
