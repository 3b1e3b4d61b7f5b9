/** Band data for ideograms and band checks, from the ideogram package's GRCh38 tables. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadIdeogram } from '../../../main/karyotype/ideogram/load'
import { chromosomeBands, hasBand } from '../../../main/karyotype/ideogram/parse'
import { chromosomeTypes } from '../../../main/karyotype/types'

describe('ideogram band data', () => {
  for (const resolution of [400, 550, 850] as const) {
    it(`${resolution} bands: 24 chromosomes, bands in order from pter to qter, centromere between p and q`, () => {
      const ideo = loadIdeogram(resolution)
      assert.deepEqual(ideo.chromosomes.map((c) => c.chromosome), [...chromosomeTypes])
      let total = 0
      for (const c of ideo.chromosomes) {
        total += c.bands.length
        assert.equal(c.bands[0].start, 0)
        assert.equal(c.bands.at(-1)!.stop, c.length)
        // In order and not overlapping (the source tables have a few small gaps, e.g. 7 and Y at 550).
        for (let i = 1; i < c.bands.length; i++) {
          assert.ok(c.bands[i].start >= c.bands[i - 1].stop, `${c.chromosome} bands in order`)
          assert.ok(c.bands[i].start - c.bands[i - 1].stop < 0.1 * c.length, `${c.chromosome} has no large gap`)
        }
        const lastP = c.bands.filter((b) => b.arm === 'p').at(-1)!
        assert.equal(lastP.stop, c.centromere)
        assert.equal(lastP.stain, 'acen')
        assert.ok(c.bands.every((b) => b.darkness >= 0 && b.darkness <= 1))
      }
      // The table is named for its band count per haploid set (roughly).
      assert.ok(Math.abs(total - resolution) < resolution * 0.3, `${total} bands at ${resolution}`)
    })
  }

  it('orders sizes as a cytogeneticist expects', () => {
    const ideo = loadIdeogram(550)
    const len = (t: (typeof chromosomeTypes)[number]) => chromosomeBands(ideo, t).length
    assert.ok(len('1') > len('2') && len('2') > len('3'))
    assert.ok(len('21') < len('22') && len('Y') < len('X'))
    const ci = (t: (typeof chromosomeTypes)[number]) => chromosomeBands(ideo, t).centromere / len(t)
    assert.ok(ci('1') > 0.4, 'chromosome 1 is metacentric')
    assert.ok(ci('13') < 0.25, 'chromosome 13 is acrocentric')
  })

  it('knows which band names exist', () => {
    const c9 = chromosomeBands(loadIdeogram(550), '9')
    assert.ok(hasBand(c9, 'q34'))
    assert.ok(!hasBand(c9, 'q37'))
    assert.ok(hasBand(c9, 'p10') && hasBand(c9, 'qter'))
    assert.ok(!hasBand(c9, 'q3'), 'a region alone is not a band')
  })

  it('refuses an unknown resolution', () => {
    assert.throws(() => loadIdeogram(300 as 400), /400, 550 or 850/)
  })
})
