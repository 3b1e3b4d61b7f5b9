/** Segmentation against synthetic spreads, whose every chromosome mask is known exactly. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { segmentSpread } from '../../../main/karyotype'
import { syntheticSpread } from '../../../main/karyotype/synthetic/spread'
import { bestMatches, iou } from './helpers'

describe('segmentation of synthetic spreads', () => {
  for (const [seed, stain] of [
    [11, 'G'],
    [12, 'Q']
  ] as const) {
    it(`separate chromosomes (${stain}-banded, seed ${seed}): every one found, masks match`, async () => {
      const spread = await syntheticSpread({ seed, stain })
      const seg = await segmentSpread(spread.image)
      assert.equal(seg.stain, stain)
      assert.equal(seg.objects.length, spread.chromosomes.length)
      const ious = bestMatches(spread.chromosomes.map((c) => c.mask), seg.objects.map((o) => o.mask))
      const poor = ious.filter((v) => v < 0.75)
      assert.ok(poor.length === 0, `masks with IoU < 0.75: ${poor.map((v) => v.toFixed(2)).join(', ')}`)
      // Lengths along the medial axis follow the drawn lengths.
      for (const c of spread.chromosomes) {
        const [x, y] = c.axis[Math.floor(c.axis.length / 2)].map(Math.round)
        const o = seg.objects.find((o) => {
          const lx = x - o.box.x
          const ly = y - o.box.y
          return lx >= 0 && ly >= 0 && lx < o.box.width && ly < o.box.height && o.mask.data[ly * o.box.width + lx] === 1
        })
        assert.ok(o, `chromosome ${c.id} (${c.type}) found`)
        assert.ok(Math.abs(o.length - c.length) < 0.15 * c.length + 4, `${c.type}: length ${o.length.toFixed(1)} vs drawn ${c.length.toFixed(1)}`)
      }
    })
  }

  it('removes a nucleus and debris, and flattens uneven illumination', async () => {
    const spread = await syntheticSpread({ seed: 21, nucleus: true, debris: 6, illumination: 0.35 })
    const seg = await segmentSpread(spread.image)
    assert.equal(seg.removed.nuclei.length, 1, 'one nucleus removed')
    assert.equal(seg.objects.length, 46)
    for (const o of seg.objects) assert.equal(iou(o.mask, spread.nuclei[0]), 0, `object ${o.id} lies on the nucleus`)
    const ious = bestMatches(spread.chromosomes.map((c) => c.mask), seg.objects.map((o) => o.mask))
    assert.ok(ious.every((v) => v >= 0.7), `every chromosome found despite the uneven light: ${ious.map((v) => v.toFixed(2)).join(' ')}`)
  })

  it('separates most chromosomes that touch, and counts within the number of contacts', async () => {
    const spread = await syntheticSpread({ seed: 31, touchingPairs: 5 })
    const seg = await segmentSpread(spread.image)
    const touching = spread.chromosomes.filter((c) => c.touching.length > 0)
    assert.equal(touching.length, 10, 'five touching pairs were drawn')
    const ious = bestMatches(touching.map((c) => c.mask), seg.objects.map((o) => o.mask))
    const separated = ious.filter((v) => v >= 0.7).length
    assert.ok(separated >= 6, `only ${separated}/10 touching chromosomes came out on their own`)
    assert.ok(Math.abs(seg.objects.length - 46) <= 3, `${seg.objects.length} objects`)
  })

  it('draws overlapping pairs darker where they cross and keeps ground truth for both', async () => {
    const spread = await syntheticSpread({ seed: 41, overlappingPairs: 2 })
    const crossing = spread.chromosomes.filter((c) => c.overlapping.length > 0)
    assert.equal(crossing.length, 4)
    const seg = await segmentSpread(spread.image)
    // A crossing pair is one object to the automatic segmentation; the others are all found.
    assert.ok(seg.objects.length >= 44 && seg.objects.length <= 46, `${seg.objects.length} objects`)
  })

  it('is reproducible: the same seed draws the same spread', async () => {
    const a = await syntheticSpread({ seed: 5, touchingPairs: 1 })
    const b = await syntheticSpread({ seed: 5, touchingPairs: 1 })
    assert.deepEqual(a.image.data, b.image.data)
    assert.deepEqual(a.chromosomes.map((c) => c.type), b.chromosomes.map((c) => c.type))
    const c = await syntheticSpread({ seed: 6 })
    assert.notDeepEqual(a.image.data, c.image.data)
  })
})
