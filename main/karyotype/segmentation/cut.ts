/**
 * Cutting a mask along a straight segment: the segment's pixels are removed as a 4-connected line (so no
 * 8-connected path crosses it), the mask falls apart into pieces, and the line's pixels are given back to
 * the piece they touch, so the pieces tile the original mask exactly.
 */
import type { ObjectMask, Point } from '../types'
import { absorbSmallLabels, labelComponents, maskArea, masksFromLabels } from './mask-ops'

/** Pixels of a 4-connected line from a to b (image coordinates), extended by `extend` pixels at both ends. */
export function supercoverLine(a: Point, b: Point, extend = 0): Point[] {
  let [x0, y0] = a
  let [x1, y1] = b
  const len = Math.hypot(x1 - x0, y1 - y0)
  if (len > 0 && extend > 0) {
    const ux = (x1 - x0) / len
    const uy = (y1 - y0) / len
    x0 -= ux * extend
    y0 -= uy * extend
    x1 += ux * extend
    y1 += uy * extend
  }
  let x = Math.round(x0)
  let y = Math.round(y0)
  const xe = Math.round(x1)
  const ye = Math.round(y1)
  const dx = Math.abs(xe - x)
  const dy = Math.abs(ye - y)
  const sx = xe > x ? 1 : -1
  const sy = ye > y ? 1 : -1
  const out: Point[] = [[x, y]]
  let ix = 0
  let iy = 0
  while (ix < dx || iy < dy) {
    // Step in whichever direction keeps us closer to the ideal line (never diagonally).
    if ((0.5 + ix) / Math.max(dx, 1e-9) < (0.5 + iy) / Math.max(dy, 1e-9)) ((x += sx), ix++)
    else ((y += sy), iy++)
    out.push([x, y])
  }
  return out
}

/**
 * Cuts `mask` along the polyline `line` (image coordinates). Returns the pieces (largest first) whose
 * area is at least `minPiece`; smaller crumbs are given to the piece they touch.
 */
export function cutMask(mask: ObjectMask, line: Point[], minPiece = 1, extend = 2): ObjectMask[] {
  const { box } = mask
  const w = box.width
  const h = box.height
  const data = mask.data.slice()
  for (let s = 0; s + 1 < line.length || (s === 0 && line.length === 1); s++) {
    const seg = line.length === 1 ? [line[0]] : supercoverLine(line[s], line[s + 1], s === 0 || s + 2 === line.length ? extend : 0)
    for (const [x, y] of seg) {
      const lx = x - box.x
      const ly = y - box.y
      if (lx < 0 || ly < 0 || lx >= w || ly >= h) continue
      const i = ly * w + lx
      data[i] = 0
    }
  }
  const { labels, count } = labelComponents(data, w, h, true)
  // The cut line itself and any crumbs go back to a neighbouring piece.
  absorbSmallLabels(labels, mask.data, w, h, count, minPiece)
  return masksFromLabels(labels, w, h, count, box)
    .filter((m) => maskArea(m) > 0)
    .sort((a, b) => maskArea(b) - maskArea(a))
}
