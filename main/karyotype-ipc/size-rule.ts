/**
 * The classic rule-based chromosome call, used when no classifier model is available: each object's
 * length relative to the cell and its centromere index compared with the ISCN ideogram's (Denver-group
 * style). Much weaker than the trained classifier (it cannot tell chromosomes of similar size and shape
 * apart), so the result says so: ClassifierInfo.kind is 'rule'.
 */
import type { GreyRaster } from '../imaging/raster'
import { loadIdeogram } from '../karyotype/ideogram/load'
import { normaliseCell } from '../karyotype/normalise/normalise'
import type { Segmentation } from '../karyotype/types'
import { karyotypeTypes, type ChromosomeCall, type ClassifierInfo } from '../../preload/karyotype'

export const sizeRuleInfo: ClassifierInfo = {
  id: 'length-centromere-rule',
  description: 'Relative length and centromere index against the ISCN ideogram (no classifier model available)',
  kind: 'rule'
}

interface Reference {
  relativeLength: number
  centromereIndex: number
}

function references(): Reference[] {
  const ideogram = loadIdeogram(400)
  const lengths = ideogram.chromosomes.map((c) => c.length)
  // A diploid set: two of each autosome, an X and (half the time) a Y, as a cell's total.
  const total = 2 * lengths.slice(0, 22).reduce((s, l) => s + l, 0) + 1.5 * lengths[22] + 0.5 * lengths[23]
  return ideogram.chromosomes.map((c) => ({
    relativeLength: c.length / total,
    centromereIndex: Math.min(c.centromere, c.length - c.centromere) / c.length
  }))
}

function logSoftmax(scores: number[]): number[] {
  const max = Math.max(...scores)
  const lse = max + Math.log(scores.reduce((s, v) => s + Math.exp(v - max), 0))
  return scores.map((v) => v - lse)
}

export async function classifyBySize(image: GreyRaster<Uint8Array>, seg: Segmentation): Promise<ChromosomeCall[]> {
  if (seg.objects.length === 0) return []
  const refs = references()
  const normalised = await normaliseCell(image, seg)
  return normalised.map((n, i) => {
    const rel = n.relativeLength ?? 0
    const scores = refs.map((r) => {
      const sl = 0.18 * r.relativeLength + 0.002
      let s = -((rel - r.relativeLength) ** 2) / (2 * sl * sl)
      if (n.centromereIndex !== null) s += -((n.centromereIndex - r.centromereIndex) ** 2) / (2 * 0.08 * 0.08)
      return s
    })
    const logProbs = logSoftmax(scores)
    const best = logProbs.indexOf(Math.max(...logProbs))
    return { id: seg.objects[i].id, logProbs, best: karyotypeTypes[best], pUp: null }
  })
}
