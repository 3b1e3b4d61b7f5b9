/**
 * Classification of a cell's objects for the workspace: the registry's active chromosome classifier for
 * the cell's stain (the shipped one unless the lab promoted its own; main/karyotype/pipeline.ts runs it),
 * else, when none is installed, the length-and-centromere rule; the result names which one made the calls.
 */
import type { AppContext } from '../app/context'
import { LabError } from '../errors'
import type { GreyRaster } from '../imaging/raster'
import { stainVariant } from '../karyotype/classifier/model-files'
import { classifySegmentation } from '../karyotype/pipeline'
import type { Segmentation } from '../karyotype/types'
import { registryFor } from '../ml/registry'
import { runtimeFor } from '../ml/runtime'
import type { ChromosomeCall, ClassifierInfo } from '../../preload/karyotype'
import { classifyBySize, sizeRuleInfo } from './size-rule'

export interface CellClassification {
  calls: ChromosomeCall[]
  classifier: ClassifierInfo
}

export type CellClassifier = (image: GreyRaster<Uint8Array>, seg: Segmentation) => Promise<CellClassification>

export const ruleClassifier: CellClassifier = async (image, seg) => ({ calls: await classifyBySize(image, seg), classifier: sizeRuleInfo })

/** The active model for the stain, on the app's runtime; the rule when no model is installed for it. */
export function engineClassifier(ctx: AppContext): CellClassifier {
  return async (image, seg) => {
    try {
      const active = await registryFor(ctx).active('chromosome-classification', stainVariant[seg.stain])
      if (!active) throw new LabError('not_found', `No ${seg.stain}-banded chromosome classifier is installed.`)
      const r = await classifySegmentation(image, seg, { models: { [seg.stain]: active.dir }, runtime: runtimeFor(ctx) })
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
