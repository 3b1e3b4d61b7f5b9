/**
 * The case summary a cytogenetics lab reports from its counted cells: how many cells, the modal
 * number, the range, and whether the counts suggest mosaicism (ISCN's clone rule: the same gain in at
 * least two cells, the same loss in at least three). When all cells agree, the level of mosaicism the
 * count excludes at 95% confidence (Hook, 1977: 20 cells exclude 14%).
 */
import type { KaryotypeCell } from '../db/karyotype-records'

export interface CountLine {
  count: number
  cells: number
}

export interface CaseSummary {
  cells: number
  excluded: number
  counted: number
  karyotyped: number
  modal: number | null
  /** "45–47", "46", or "" when nothing is counted. */
  range: string
  /** Cells per count, most frequent first. */
  distribution: CountLine[]
  mosaic: { suspected: boolean; lines: CountLine[]; message: string }
}

/** Largest mosaic fraction that `n` concordant cells fail to detect, at 95% confidence. */
export function excludedMosaicism(n: number): number {
  return n > 0 ? 1 - Math.pow(0.05, 1 / n) : 1
}

export function summarise(cells: KaryotypeCell[]): CaseSummary {
  const used = cells.filter((c) => c.status !== 'excluded')
  const counted = used.filter((c) => c.count !== null)
  const tally = new Map<number, number>()
  for (const c of counted) tally.set(c.count as number, (tally.get(c.count as number) ?? 0) + 1)
  const distribution = [...tally].map(([count, n]) => ({ count, cells: n })).sort((a, b) => b.cells - a.cells || Math.abs(a.count - 46) - Math.abs(b.count - 46))
  const modal = distribution[0]?.count ?? null
  const values = counted.map((c) => c.count as number)
  const range = values.length ? (Math.min(...values) === Math.max(...values) ? String(values[0]) : `${Math.min(...values)}–${Math.max(...values)}`) : ''
  const lines = modal === null ? [] : distribution.filter((d) => d.count !== modal && (d.count > modal ? d.cells >= 2 : d.cells >= 3))
  let message: string
  if (counted.length === 0) message = 'No cells counted yet.'
  else if (lines.length) {
    message = `Possible mosaicism: ${lines.map((l) => `${l.count} in ${l.cells} of ${counted.length} cells`).join('; ')} (modal number ${modal}).`
  } else if (distribution.length === 1) {
    message = `All ${counted.length} cell${counted.length === 1 ? '' : 's'} counted ${modal}; this excludes mosaicism above ${Math.round(100 * excludedMosaicism(counted.length))}% at 95% confidence.`
  } else {
    message = `No clone besides the modal number ${modal}: single cells with other counts are taken as preparation artefacts.`
  }
  return {
    cells: cells.length,
    excluded: cells.length - used.length,
    counted: counted.length,
    karyotyped: used.filter((c) => c.status === 'karyotyped').length,
    modal,
    range,
    distribution,
    mosaic: { suspected: lines.length > 0, lines, message }
  }
}
