/** The result string prefilled from the karyotyped cells (one per cell, then the case's clones). */
import { iscnFromCounts, mosaicIscn } from '../karyotype/iscn/format'
import type { ChromosomeType } from '../karyotype/types'
import type { IscnPrefill } from '../../preload/karyotype'

export function prefillIscn(cells: Array<Partial<Record<ChromosomeType, number>>>): IscnPrefill {
  const perCell = cells.map((counts) => iscnFromCounts(counts))
  return { cells: perCell, result: mosaicIscn(perCell) }
}
