/**
 * ISCN result strings from counted chromosomes, and mosaic results across cells (ISCN 2020 conventions):
 *   46,XX   47,XY,+21   45,X   47,XXY   45,XX,-21   48,XY,+13,+21
 * Sex chromosomes are written as the complement found (XXY, not XY,+X: constitutional style); autosomal
 * gains and losses follow in chromosome order, each copy written once ("+21,+21" for tetrasomy).
 */
import { LabError } from '../../errors'
import { chromosomeTypes, type ChromosomeType } from '../types'

export type ChromosomeCounts = Record<ChromosomeType, number>

export function iscnFromCounts(counts: Partial<ChromosomeCounts>): string {
  const get = (t: ChromosomeType) => {
    const v = counts[t] ?? 0
    if (!Number.isInteger(v) || v < 0) throw new LabError('invalid_argument', `The count for chromosome ${t} must be a whole number ≥ 0 (got ${v}).`)
    return v
  }
  const total = chromosomeTypes.reduce((s, t) => s + get(t), 0)
  // No sex chromosome at all is not a karyotype anyone writes; '?' marks it as unidentified (ISCN's "?").
  const sex = 'X'.repeat(get('X')) + 'Y'.repeat(get('Y')) || '?'
  const parts = [String(total), sex]
  for (const t of chromosomeTypes) {
    if (t === 'X' || t === 'Y') continue
    const d = get(t) - 2
    for (let k = 0; k < Math.abs(d); k++) parts.push(`${d > 0 ? '+' : '-'}${t}`)
  }
  return parts.join(',')
}

/** True for the normal diploid karyotypes 46,XX and 46,XY. */
export function isNormalKaryotype(iscn: string): boolean {
  return iscn === '46,XX' || iscn === '46,XY'
}

export interface Clone {
  iscn: string
  cells: number
}

/**
 * The result for a case from its cells' karyotypes (one string per cell, or clones with cell counts).
 * One clone: "47,XY,+21[20]". Several: "mos 47,XXY[12]/46,XY[8]" — abnormal clones first, largest first
 * (ties by string), the normal clone last, as ISCN orders constitutional mosaics. `cellCounts: false`
 * leaves out the [n].
 */
export function mosaicIscn(cells: Array<string | Clone>, options: { cellCounts?: boolean } = {}): string {
  const sizes = new Map<string, number>()
  for (const c of cells) {
    const clone: Clone = typeof c === 'string' ? { iscn: c, cells: 1 } : c
    const iscn = clone.iscn.trim()
    if (!iscn) throw new LabError('invalid_argument', 'A cell has an empty karyotype.')
    if (!Number.isInteger(clone.cells) || clone.cells < 1) {
      throw new LabError('invalid_argument', `Clone ${iscn} must have a whole number of cells ≥ 1 (got ${clone.cells}).`)
    }
    sizes.set(iscn, (sizes.get(iscn) ?? 0) + clone.cells)
  }
  if (sizes.size === 0) throw new LabError('invalid_argument', 'No cells were given.')
  const clones = [...sizes].map(([iscn, n]) => ({ iscn, cells: n }))
  clones.sort((a, b) => {
    const na = isNormalKaryotype(a.iscn) ? 1 : 0
    const nb = isNormalKaryotype(b.iscn) ? 1 : 0
    return na - nb || b.cells - a.cells || a.iscn.localeCompare(b.iscn)
  })
  const withCounts = options.cellCounts ?? true
  const text = clones.map((c) => (withCounts ? `${c.iscn}[${c.cells}]` : c.iscn)).join('/')
  return clones.length > 1 ? `mos ${text}` : text
}
