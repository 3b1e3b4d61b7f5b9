/** The editing API: split along a line, merge, delete, add from an outline; each returns a new segmentation. */
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { addObject, deleteObjects, mergeObjects, segmentSpread, splitObject } from '../../../main/karyotype'
import type { GreyRaster } from '../../../main/imaging/raster'
import { syntheticSpread, type SyntheticSpread } from '../../../main/karyotype/synthetic/spread'
import type { ChromosomeObject, Point, Segmentation } from '../../../main/karyotype/types'
import { iou } from './helpers'

let spread: SyntheticSpread
let seg: Segmentation
let image: GreyRaster<Uint8Array>

/** The longest object and a line across its middle, perpendicular to its medial axis. */
function longestWithCut(s: Segmentation): { o: ChromosomeObject; line: Point[] } {
  const o = [...s.objects].sort((a, b) => b.length - a.length)[0]
  const k = Math.floor(o.medialAxis.length / 2)
  const [x0, y0] = o.medialAxis[k - 2]
  const [x1, y1] = o.medialAxis[k + 2]
  const [cx, cy] = o.medialAxis[k]
  const n = Math.hypot(x1 - x0, y1 - y0)
  const nx = -(y1 - y0) / n
  const ny = (x1 - x0) / n
  const reach = 3 * s.scale.chromosomeWidth
  return { o, line: [[cx - nx * reach, cy - ny * reach], [cx + nx * reach, cy + ny * reach]] }
}

describe('segmentation editing', () => {
  before(async () => {
    spread = await syntheticSpread({ seed: 77 })
    image = spread.image
    seg = await segmentSpread(image)
  })

  it('splits an object along a drawn line into two new objects, leaving the input untouched', () => {
    const { o, line } = longestWithCut(seg)
    const before = JSON.stringify(seg.objects.map((x) => x.id))
    const out = splitObject(seg, o.id, line)
    assert.equal(JSON.stringify(seg.objects.map((x) => x.id)), before, 'input unchanged')
    assert.equal(out.objects.length, seg.objects.length + 1)
    assert.ok(!out.objects.some((x) => x.id === o.id))
    const made = out.objects.filter((x) => x.origin === 'split')
    assert.equal(made.length, 2)
    assert.deepEqual(made.map((x) => x.id).sort(), [`c${seg.nextId}`, `c${seg.nextId + 1}`].sort())
    assert.equal(out.nextId, seg.nextId + 2)
    assert.equal(made[0].area + made[1].area, o.area, 'the pieces tile the original')
    for (const m of made) assert.ok(m.area > 0.3 * o.area, 'cut near the middle')
    // Unchanged objects are shared, not copied.
    assert.equal(out.objects.find((x) => x.id !== o.id && x.origin === 'auto'), seg.objects.find((x) => x.id !== o.id))
  })

  it('merges objects back into one with the original mask', () => {
    const { o, line } = longestWithCut(seg)
    const split = splitObject(seg, o.id, line)
    const ids = split.objects.filter((x) => x.origin === 'split').map((x) => x.id)
    const merged = mergeObjects(split, ids)
    assert.equal(merged.objects.length, seg.objects.length)
    const m = merged.objects.find((x) => x.origin === 'merged')!
    assert.equal(m.id, `c${split.nextId}`)
    assert.equal(iou(m.mask, o.mask), 1)
    assert.ok(Math.abs(m.length - o.length) < 0.1 * o.length + 2)
  })

  it('merges objects that do not touch (two halves of a chromosome), with one medial axis through both', () => {
    const [a, b] = seg.objects
    const m = mergeObjects(seg, [a.id, b.id]).objects.find((x) => x.origin === 'merged')!
    assert.equal(m.area, a.area + b.area)
    assert.ok(m.medialAxis.length >= a.medialAxis.length + b.medialAxis.length - 2)
  })

  it('deletes objects', () => {
    const ids = seg.objects.slice(0, 3).map((o) => o.id)
    const out = deleteObjects(seg, ids)
    assert.equal(out.objects.length, seg.objects.length - 3)
    assert.ok(ids.every((id) => !out.objects.some((o) => o.id === id)))
  })

  it('adds an object from a rough outline, taking the stained pixels inside it', async () => {
    const target = seg.objects[5]
    const without = deleteObjects(seg, [target.id])
    const m = 4
    const { x, y, width, height } = target.box
    const outline: Point[] = [[x - m, y - m], [x + width + m, y - m], [x + width + m, y + height + m], [x - m, y + height + m]]
    const out = await addObject(without, outline, image)
    const added = out.objects.find((o) => o.origin === 'drawn')!
    assert.equal(added.id, `c${seg.nextId}`)
    assert.ok(iou(added.mask, target.mask) > 0.85, `IoU ${iou(added.mask, target.mask).toFixed(2)}`)
    // Without the image the outline itself is the object.
    const plain = (await addObject(without, outline)).objects.find((o) => o.origin === 'drawn')!
    assert.ok(plain.area > added.area)
  })

  it('says what is wrong with a bad edit', async () => {
    const { o } = longestWithCut(seg)
    assert.throws(() => splitObject(seg, 'c9999', [[0, 0], [1, 1]]), (e: Error & { code?: string }) => e.code === 'not_found' && /c9999/.test(e.message))
    // A line that stays inside the object does not cut it in two.
    const [cx, cy] = o.medialAxis[Math.floor(o.medialAxis.length / 2)]
    assert.throws(() => splitObject(seg, o.id, [[cx, cy], [cx + 1, cy]]), /does not cut object/)
    assert.throws(() => mergeObjects(seg, [o.id]), /at least two/)
    assert.throws(() => splitObject(seg, o.id, [[Number.NaN, 0], [1, 1]]), /finite/)
    await assert.rejects(addObject(seg, [[-50, -50], [-40, -50], [-40, -40]]), /outside the image/)
  })
})
