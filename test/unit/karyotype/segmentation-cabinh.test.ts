/**
 * Segmentation of real G-banded metaphases: the cabinh spreads are one 46,XY case (their karyograms show
 * 46 chromosomes each). The folder can be pointed elsewhere (same kind of spreads) with
 * KARYOTYPE_SPREADS_DIR.
 */
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { segmentMetaphase } from '../../../main/karyotype'
import type { Segmentation } from '../../../main/karyotype/types'
import { chromosomesDir } from './helpers'

const spreadsDir = process.env['KARYOTYPE_SPREADS_DIR'] ?? path.join(chromosomesDir, 'metaphases', 'cabinh', 'spreads')
const files = readdirSync(spreadsDir).filter((f) => /\.(png|jpe?g|tiff?)$/i.test(f)).sort()

describe('segmentation of real metaphase spreads', () => {
  const results = new Map<string, Segmentation>()

  it('finds 46 ± 2 objects on at least 80% of the spreads', async () => {
    assert.ok(files.length >= 5, `expected spreads in ${spreadsDir}`)
    const counts: string[] = []
    let inRange = 0
    for (const f of files) {
      const seg = await segmentMetaphase(path.join(spreadsDir, f))
      results.set(f, seg)
      counts.push(`${f}: ${seg.objects.length}`)
      if (Math.abs(seg.objects.length - 46) <= 2) inRange++
    }
    assert.ok(inRange >= Math.ceil(0.8 * files.length), `only ${inRange}/${files.length} in range:\n${counts.join('\n')}`)
  })

  it('describes every object consistently (mask, box, area, contour, medial axis, length)', () => {
    for (const [f, seg] of results) {
      assert.equal(seg.stain, 'G', `${f} is G-banded (dark on light)`)
      const ids = new Set<string>()
      for (const o of seg.objects) {
        assert.ok(!ids.has(o.id), `duplicate id ${o.id} in ${f}`)
        ids.add(o.id)
        assert.deepEqual(o.box, o.mask.box)
        assert.equal(o.mask.data.length, o.box.width * o.box.height)
        assert.equal(o.mask.data.reduce((s, v) => s + v, 0), o.area)
        assert.ok(o.contour.length >= 4, `${o.id} has a contour`)
        for (const [x, y] of o.contour) {
          assert.ok(x >= o.box.x && x < o.box.x + o.box.width && y >= o.box.y && y < o.box.y + o.box.height, 'contour inside the box')
        }
        assert.ok(o.medialAxis.length >= 2, `${o.id} has a medial axis`)
        // The medial axis spans a good part of the object and is shorter than its outline.
        assert.ok(o.length > 0.3 * Math.max(o.box.width, o.box.height) && o.length < o.contour.length, `${f} ${o.id}: length ${o.length}`)
      }
    }
  })

  it('never gives one pixel to two automatic objects', () => {
    for (const [f, seg] of results) {
      const owner = new Int32Array(seg.width * seg.height)
      seg.objects.forEach((o, k) => {
        for (let y = 0; y < o.box.height; y++) {
          for (let x = 0; x < o.box.width; x++) {
            if (!o.mask.data[y * o.box.width + x]) continue
            const i = (y + o.box.y) * seg.width + x + o.box.x
            assert.equal(owner[i], 0, `${f}: pixel shared by two objects`)
            owner[i] = k + 1
          }
        }
      })
    }
  })
})
