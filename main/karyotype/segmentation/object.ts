/** Builds the plain-data ChromosomeObject (contour, medial axis, flags) from a mask. */
import type { CellScale, ChromosomeObject, ObjectFlag, ObjectMask, ObjectOrigin } from '../types'
import type { Point } from '../types'
import { cropToContent, maskArea, maskCentroid, maskMoments, outerContour, splitComponents } from './mask-ops'
import { medialAxis, polylineLength, type MedialAxis } from './skeleton'

export function describeObject(
  id: string,
  origin: ObjectOrigin,
  mask: ObjectMask,
  image: { width: number; height: number },
  scale: CellScale,
  extraFlags: ObjectFlag[] = []
): ChromosomeObject {
  const m = cropToContent(mask)
  const area = maskArea(m)
  const axis = chainedAxis(m)
  const flags = new Set<ObjectFlag>(extraFlags)
  const { x, y, width, height } = m.box
  if (x <= 0 || y <= 0 || x + width >= image.width || y + height >= image.height) flags.add('border')
  if (area < 0.25 * scale.unitArea) flags.add('tiny')
  return {
    id,
    origin,
    mask: m,
    box: { ...m.box },
    area,
    centroid: maskCentroid(m),
    contour: outerContour(m),
    medialAxis: axis.points.map(([px, py]) => [round2(px), round2(py)]),
    length: round2(axis.length),
    flags: [...flags]
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100
}

/**
 * The medial axis of a mask in one or more pieces (a merged object can be two halves of a chromosome):
 * the pieces' axes in order along the whole object's long axis, each pointing the same way.
 */
function chainedAxis(m: ObjectMask): MedialAxis {
  const parts = splitComponents(m)
  if (parts.length <= 1) return medialAxis(m)
  const whole = maskMoments(m)
  const ux = Math.cos(whole.angle)
  const uy = Math.sin(whole.angle)
  const along = (p: Point) => p[0] * ux + p[1] * uy
  const axes = parts
    .map((p) => medialAxis(p))
    .map((a) => (a.points.length > 1 && along(a.points[0]) > along(a.points[a.points.length - 1]) ? [...a.points].reverse() : a.points))
    .sort((a, b) => along(a[0]) - along(b[0]))
  const points = axes.flat()
  return { points, length: polylineLength(points), branches: [] }
}
