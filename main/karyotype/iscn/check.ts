/** Validates an ISCN result against the ideogram package's band tables (all three resolutions loaded). */
import { loadIdeogram } from '../ideogram/load'
import { bandResolutions, type BandResolution } from '../ideogram/parse'
import { validateIscn, type IscnValidation } from './validate'

export function checkIscn(text: string, resolution?: BandResolution): IscnValidation {
  return validateIscn(text, { resolution, ideograms: bandResolutions.map((r) => loadIdeogram(r)) })
}
