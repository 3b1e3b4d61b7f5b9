/**
 * Classification of a cell's objects for the workspace: the trained classifier when it is available,
 * the length-and-centromere rule otherwise (the result names which one made the calls).
 */
import type { GreyRaster } from '../imaging/raster'
import type { Segmentation } from '../karyotype/types'
import type { ChromosomeCall, ClassifierInfo } from '../../preload/karyotype'
import { classifyBySize, sizeRuleInfo } from './size-rule'

export interface CellClassification {
  calls: ChromosomeCall[]
  classifier: ClassifierInfo
}

export type CellClassifier = (image: GreyRaster<Uint8Array>, seg: Segmentation) => Promise<CellClassification>

export const ruleClassifier: CellClassifier = async (image, seg) => ({ calls: await classifyBySize(image, seg), classifier: sizeRuleInfo })
