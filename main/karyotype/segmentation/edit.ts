/**
 * Editing a segmentation, for the metaphase view's tools. Every operation returns a NEW Segmentation and
 * leaves its input untouched (objects that did not change are shared), so the UI can keep the old one
 * for undo. New objects get fresh ids ("c<nextId>"); ids are never reused.
 */
import { Mask } from 'image-js'
import { LabError } from '../../errors'
import type { GreyRaster } from '../../imaging/raster'
import type { ChromosomeObject, ObjectMask, Point, Segmentation } from '../types'
import { cutMask } from './cut'
import { cropToContent, fillHoles, maskArea, unionMasks } from './mask-ops'
import { describeObject } from './object'
import { thresholdSpread } from './segment'

function findObject(seg: Segmentation, id: string): ChromosomeObject {
  const o = seg.objects.find((x) => x.id === id)
  if (!o) throw new LabError('not_found', `There is no object ${id} in this segmentation.`, { id })
  return o
}

function checkPoints(points: Point[], min: number, what: string): void {
  if (!Array.isArray(points) || points.length < min) {
    throw new LabError('invalid_argument', `${what} needs at least ${min} points.`)
  }
  for (const p of points) {
    if (!Array.isArray(p) || p.length !== 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
      throw new LabError('invalid_argument', `${what} has a point that is not two finite numbers.`)
    }
  }
}

/** Splits object `id` along the drawn polyline `line` (image coordinates) into the pieces it cuts off. */
export function splitObject(seg: Segmentation, id: string, line: Point[]): Segmentation {
  checkPoints(line, 2, 'A split line')
  const target = findObject(seg, id)
  const rounded = line.map(([x, y]) => [Math.round(x), Math.round(y)] as Point)
  const pieces = cutMask(target.mask, rounded, Math.max(3, 0.02 * seg.scale.unitArea))
  if (pieces.length < 2) {
    throw new LabError(
      'invalid_argument',
      `The line does not cut object ${id} in two: draw it right across the chromosome, from background to background.`,
      { id }
    )
  }
  let next = seg.nextId
  const made = pieces.map((p) => describeObject(`c${next++}`, 'split', p, seg, seg.scale))
  return replace(seg, [id], made, next)
}

/** Merges the given objects into one (e.g. a chromosome cut in two at a pale band or its centromere). */
export function mergeObjects(seg: Segmentation, ids: string[]): Segmentation {
  const unique = [...new Set(ids)]
  if (unique.length < 2) throw new LabError('invalid_argument', 'Merging needs at least two different objects.')
  const parts = unique.map((id) => findObject(seg, id))
  const mask = unionMasks(parts.map((p) => p.mask))
  const merged = describeObject(`c${seg.nextId}`, 'merged', mask, seg, seg.scale)
  return replace(seg, unique, [merged], seg.nextId + 1)
}

/** Removes objects (debris, a nucleus, an object outside the cell). */
export function deleteObjects(seg: Segmentation, ids: string[]): Segmentation {
  for (const id of ids) findObject(seg, id)
  const gone = new Set(ids)
  return { ...seg, objects: seg.objects.filter((o) => !gone.has(o.id)) }
}

/**
 * Adds an object from an outline drawn around it (polygon, image coordinates). With the image, the object
 * is the stained pixels inside the outline (holes filled), so a rough outline is enough; without it, or
 * when the outline holds almost no stained pixels, the outline itself is the object.
 */
export async function addObject(seg: Segmentation, outline: Point[], image?: GreyRaster<Uint8Array>): Promise<Segmentation> {
  checkPoints(outline, 3, 'An outline')
  const xs = outline.map((p) => p[0])
  const ys = outline.map((p) => p[1])
  const x0 = Math.max(0, Math.floor(Math.min(...xs)))
  const y0 = Math.max(0, Math.floor(Math.min(...ys)))
  const x1 = Math.min(seg.width - 1, Math.ceil(Math.max(...xs)))
  const y1 = Math.min(seg.height - 1, Math.ceil(Math.max(...ys)))
  if (x1 < x0 || y1 < y0) throw new LabError('invalid_argument', 'The outline lies outside the image.')
  const w = x1 - x0 + 1
  const h = y1 - y0 + 1
  const poly = new Mask(w, h).drawPolygon(
    outline.map(([x, y]) => ({ column: Math.round(x) - x0, row: Math.round(y) - y0 })),
    { filled: true }
  )
  const drawn: ObjectMask = { box: { x: x0, y: y0, width: w, height: h }, data: new Uint8Array(poly.getRawImage().data) }
  const drawnArea = maskArea(drawn)
  if (drawnArea < 3) throw new LabError('invalid_argument', 'The outline encloses almost no pixels; draw around the chromosome.')
  let mask = drawn
  if (image) {
    if (image.width !== seg.width || image.height !== seg.height) {
      throw new LabError('invalid_argument', `The image is ${image.width}×${image.height} but the segmentation is ${seg.width}×${seg.height}.`)
    }
    const t = await thresholdSpread(image, { stain: seg.stain })
    const stained: ObjectMask = { box: drawn.box, data: new Uint8Array(w * h) }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x
        if (drawn.data[i] && t.binary[(y + y0) * seg.width + x + x0]) stained.data[i] = 1
      }
    }
    const refined = fillHoles(stained)
    if (maskArea(refined) >= 0.2 * drawnArea) mask = refined
  }
  const made = describeObject(`c${seg.nextId}`, 'drawn', cropToContent(mask), seg, seg.scale)
  return { ...seg, objects: [...seg.objects, made], nextId: seg.nextId + 1 }
}

/** Puts `made` where the first of `ids` was and drops the others. */
function replace(seg: Segmentation, ids: string[], made: ChromosomeObject[], nextId: number): Segmentation {
  const gone = new Set(ids)
  const objects: ChromosomeObject[] = []
  let placed = false
  for (const o of seg.objects) {
    if (!gone.has(o.id)) objects.push(o)
    else if (!placed) ((placed = true), objects.push(...made))
  }
  return { ...seg, objects, nextId }
}
