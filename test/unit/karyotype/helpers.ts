/** Shared helpers for the karyotype tests. */
import path from 'node:path'
import { repoRoot } from '../../../main/app/paths'
import type { ObjectMask } from '../../../main/karyotype/types'

export const chromosomesDir = path.join(repoRoot, '..', 'shared', 'datasets', 'chromosomes')

/** Intersection over union of two masks in image coordinates. */
export function iou(a: ObjectMask, b: ObjectMask): number {
  let inter = 0
  let areaA = 0
  let areaB = 0
  for (let y = 0; y < a.box.height; y++) {
    for (let x = 0; x < a.box.width; x++) {
      if (!a.data[y * a.box.width + x]) continue
      areaA++
      const bx = a.box.x + x - b.box.x
      const by = a.box.y + y - b.box.y
      if (bx >= 0 && by >= 0 && bx < b.box.width && by < b.box.height && b.data[by * b.box.width + bx]) inter++
    }
  }
  for (let i = 0; i < b.data.length; i++) areaB += b.data[i]
  return inter / Math.max(1, areaA + areaB - inter)
}

/** For each truth mask, the best IoU with any of the found masks. */
export function bestMatches(truth: ObjectMask[], found: ObjectMask[]): number[] {
  return truth.map((t) => {
    let best = 0
    for (const f of found) {
      if (f.box.x > t.box.x + t.box.width || t.box.x > f.box.x + f.box.width) continue
      if (f.box.y > t.box.y + t.box.height || t.box.y > f.box.y + f.box.height) continue
      best = Math.max(best, iou(t, f))
    }
    return best
  })
}
