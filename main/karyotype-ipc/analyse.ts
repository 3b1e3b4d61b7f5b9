/**
 * The workspace's view of the engine: a metaphase image in, everything the screens need out
 * (segmentation, calls, the cell's dispatch, chromosome images); and the same after every edit.
 */
import { LabError } from '../errors'
import type { GreyRaster } from '../imaging/raster'
import { segmentSpread } from '../karyotype'
import { dispatchCell } from '../karyotype/dispatch/dispatch'
import { addObject, deleteObjects, mergeObjects, splitObject } from '../karyotype/segmentation/edit'
import type { Segmentation, Stain } from '../karyotype/types'
import type { CellAnalysis, MetaphaseAnalysis, SegmentationEdit } from '../../preload/karyotype'
import { chromosomeImages, displayScale } from './chromosome-images'
import type { CellClassifier } from './classify'
import { metaphaseImage } from './image-cache'

const seconds = (t0: number) => Math.round((performance.now() - t0) / 10) / 100

/** Classifies, dispatches and draws the objects of a segmentation (images only for ids not in `known`). */
export async function analyseSegmentation(
  image: GreyRaster<Uint8Array>,
  seg: Segmentation,
  classify: CellClassifier,
  known: string[] = []
): Promise<CellAnalysis> {
  if (image.width !== seg.width || image.height !== seg.height) {
    throw new LabError('invalid_argument', `The image is ${image.width}×${image.height} but the segmentation is ${seg.width}×${seg.height}: they do not belong together.`)
  }
  const timings: Record<string, number> = {}
  let t = performance.now()
  const { calls, classifier } = await classify(image, seg)
  timings['classify'] = seconds(t)
  t = performance.now()
  const dispatch = dispatchCell(calls.map((c) => c.logProbs), { ids: calls.map((c) => c.id) })
  timings['dispatch'] = seconds(t)
  t = performance.now()
  const scale = displayScale(seg)
  const have = new Set(known)
  const chromosomes = await chromosomeImages(image, seg, scale, new Set(seg.objects.map((o) => o.id).filter((id) => !have.has(id))))
  timings['images'] = seconds(t)
  return { segmentation: seg, calls, dispatch, chromosomes, chromosomeScale: scale, classifier, timings }
}

export async function analyseMetaphase(
  bytes: Uint8Array,
  name: string,
  stain: Stain | 'auto' | undefined,
  classify: CellClassifier
): Promise<MetaphaseAnalysis> {
  let t = performance.now()
  const { hash, read } = await metaphaseImage(bytes, name)
  const decode = seconds(t)
  t = performance.now()
  const seg = await segmentSpread(read.image, { stain })
  const segmented: Segmentation = { ...seg, pixelScale: read.pixelScale, warnings: [...read.warnings, ...seg.warnings] }
  const segment = seconds(t)
  const analysis = await analyseSegmentation(read.image, segmented, classify)
  return {
    ...analysis,
    timings: { decode, segment, ...analysis.timings },
    display: { width: read.image.width, height: read.image.height, data: read.image.data },
    sha256: hash
  }
}

export async function applyEdit(seg: Segmentation, edit: SegmentationEdit, image: GreyRaster<Uint8Array>): Promise<Segmentation> {
  switch (edit.op) {
    case 'split':
      return splitObject(seg, edit.id, edit.line)
    case 'merge':
      return mergeObjects(seg, edit.ids)
    case 'delete':
      return deleteObjects(seg, edit.ids)
    case 'add':
      return addObject(seg, edit.outline, image)
  }
}

export async function editCell(
  bytes: Uint8Array,
  name: string,
  seg: Segmentation,
  edit: SegmentationEdit,
  classify: CellClassifier,
  known: string[] = []
): Promise<CellAnalysis> {
  const { read } = await metaphaseImage(bytes, name)
  if (read.image.width !== seg.width || read.image.height !== seg.height) {
    throw new LabError('invalid_argument', `${name} is ${read.image.width}×${read.image.height} but the segmentation is ${seg.width}×${seg.height}: they do not belong together.`, { file: name })
  }
  const t = performance.now()
  const next = await applyEdit(seg, edit, read.image)
  const editSeconds = seconds(t)
  const analysis = await analyseSegmentation(read.image, next, classify, known)
  return { ...analysis, timings: { edit: editSeconds, ...analysis.timings } }
}

export async function reclassifyCell(bytes: Uint8Array, name: string, seg: Segmentation, classify: CellClassifier, known: string[] = []): Promise<CellAnalysis> {
  const { read } = await metaphaseImage(bytes, name)
  return analyseSegmentation(read.image, seg, classify, known)
}
