/**
 * Classification of a cell's objects for the workspace: the engine's trained classifier for the cell's
 * stain (main/karyotype/pipeline.ts) when its model is installed, else the length-and-centromere rule;
 * the result names which one made the calls.
 */
import type { AppContext } from '../app/context'
import { LabError } from '../errors'
import type { GreyRaster } from '../imaging/raster'
import { classifySegmentation } from '../karyotype/pipeline'
import type { Segmentation } from '../karyotype/types'
import { runtimeFor } from '../ml/runtime'
import type { ChromosomeCall, ClassifierInfo } from '../../preload/karyotype'
import { classifyBySize, sizeRuleInfo } from './size-rule'

export interface CellClassification {
  calls: ChromosomeCall[]
  classifier: ClassifierInfo
}

export type CellClassifier = (image: GreyRaster<Uint8Array>, seg: Segmentation) => Promise<CellClassification>

export const ruleClassifier: CellClassifier = async (image, seg) => ({ calls: await classifyBySize(image, seg), classifier: sizeRuleInfo })

/** The trained model for the stain, on the app's runtime; the rule when no model is installed for it. */
export function engineClassifier(ctx: AppContext): CellClassifier {
  return async (image, seg) => {
    try {
      const r = await classifySegmentation(image, seg, { resourcesDir: ctx.resourcesDir, runtime: runtimeFor(ctx) })
      return {
        calls: r.calls.map((c) => ({ id: c.id, logProbs: c.logProbs, best: c.best, pUp: c.pUp })),
        classifier: r.classifier
      }
    } catch (err) {
      if (!(err instanceof LabError && err.code === 'not_found')) throw err
      const calls = await classifyBySize(image, seg)
      return { calls, classifier: { ...sizeRuleInfo, description: `${sizeRuleInfo.description}. ${err.message}` } }
    }
  }
}
