/**
 * The whole-cell pipeline on a real G-banded spread (cabinh, a 46,XY case): segmentation, normalisation,
 * classification by the shipped model and dispatch give a karyogram of 46 ± 2 objects; every object gets a
 * call and a slot. Bad input is refused with a clear error.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, it } from 'node:test'
import { LabError } from '../../../main/errors'
import { readMetaphaseImage } from '../../../main/karyotype/segmentation/load'
import { deleteObjects } from '../../../main/karyotype/segmentation/edit'
import { analyseCell, classifySegmentation } from '../../../main/karyotype/pipeline'
import { chromosomeTypes } from '../../../main/karyotype/types'
import { chromosomesDir } from './helpers'

const spread = path.join(chromosomesDir, 'metaphases', 'cabinh', 'spreads', '8129A.013.A.png')

describe('whole-cell pipeline', () => {
  it('a cabinh spread: a dispatched karyogram of 46 ± 2 objects', async () => {
    const r = await analyseCell(spread)
    const n = r.segmentation.objects.length
    assert.ok(Math.abs(n - 46) <= 2, `${n} objects`)
    assert.equal(r.segmentation.stain, 'G')
    assert.match(r.classifier.id, /^chromosome-gband@/)
    assert.equal(r.calls.length, n)
    assert.deepEqual(
      r.calls.map((c) => c.id),
      r.segmentation.objects.map((o) => o.id)
    )
    for (const c of r.calls) {
      assert.equal(c.logProbs.length, 24)
      const total = c.logProbs.reduce((s, lp) => s + Math.exp(lp), 0)
      assert.ok(Math.abs(total - 1) < 1e-3, 'each call is a probability distribution')
      assert.ok(c.pUp >= 0 && c.pUp <= 1)
    }
    const placed = r.dispatch.assignments.filter((a) => a.type !== null).length
    assert.ok(Math.abs(placed - 46) <= 2, `${placed} objects placed on the karyogram`)
    const counted = chromosomeTypes.reduce((s, t) => s + r.dispatch.counts[t], 0)
    assert.equal(counted, placed)
    assert.match(r.karyotype, /^4[4-8],X/)
    assert.ok(r.timings['total'] > 0 && r.timings['segment'] > 0 && r.timings['classify'] > 0)
    // The result is plain data: it survives structured cloning (IPC, Dexie) unchanged.
    assert.deepEqual(structuredClone(r), r)
  })

  it('classifies an edited segmentation again (a deleted object is gone from the calls)', async () => {
    const { image } = await readMetaphaseImage(spread)
    const first = await analyseCell(spread)
    const edited = deleteObjects(first.segmentation, [first.segmentation.objects[0].id])
    const again = await classifySegmentation(image, edited)
    assert.equal(again.calls.length, first.calls.length - 1)
    assert.ok(!again.calls.some((c) => c.id === first.segmentation.objects[0].id))
  })

  it('refuses what is not a metaphase image, naming it', async () => {
    await assert.rejects(analyseCell(new Uint8Array(0), { name: 'empty.png' }), (e: unknown) => e instanceof LabError && e.code === 'bad_input' && /empty\.png/.test(e.message))
    const text = new TextEncoder().encode('this is not an image')
    await assert.rejects(analyseCell(text, { name: 'notes.txt' }), (e: unknown) => e instanceof LabError && e.code === 'bad_input' && /notes\.txt/.test(e.message))
    await assert.rejects(analyseCell(path.join(chromosomesDir, 'no-such.png')), (e: unknown) => e instanceof LabError && e.code === 'not_found')
    await assert.rejects(
      analyseCell(await readFile(spread), { models: { G: path.join(chromosomesDir, 'not-a-model') } }),
      (e: unknown) => e instanceof LabError && e.code === 'not_found' && /manifest\.json/.test(e.message)
    )
  })
})
