import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { karyotypeTypes, type ChromosomeObject, type ChromosomeType, type Segmentation } from '../../../preload/karyotype'
import { dispatchCell } from '../../../main/karyotype/dispatch/dispatch'
import type { KaryotypeCell } from '../../../renderer/src/lib/db/karyotype-records'
import { boardItems, bySlot, countsOf, deviationsOf, nextOrder, normaliseAngle, rotatedSize, sexOf, toPlacements, totalOf } from '../../../renderer/src/lib/karyotype/placements'
import { excludedMosaicism, summarise } from '../../../renderer/src/lib/karyotype/summary'

/** A cell whose classifier is sure of a normal male set (46,XY), one object per expected chromosome. */
function normalMaleCell(): { segmentation: Segmentation; calls: { id: string; logProbs: number[]; best: ChromosomeType; pUp: number | null }[] } {
  const types: ChromosomeType[] = karyotypeTypes.flatMap((t) => (t === 'X' || t === 'Y' ? [t] : [t, t]))
  const objects: ChromosomeObject[] = types.map((_, i) => ({
    id: `c${i + 1}`,
    origin: 'auto',
    mask: { box: { x: i * 4, y: 0, width: 2, height: 2 }, data: new Uint8Array([1, 1, 1, 1]) },
    box: { x: i * 4, y: 0, width: 2, height: 2 },
    area: 4,
    centroid: [i * 4 + 0.5, 0.5],
    contour: [],
    medialAxis: [],
    length: 2,
    flags: i === 5 ? ['cluster'] : []
  }))
  const calls = types.map((t, i) => {
    const k = karyotypeTypes.indexOf(t)
    // Object c3 is unsure between 2 and 3; c1 has its p-arm down in the display image.
    const p = karyotypeTypes.map((_, j) => (i === 2 ? (j === 1 ? 0.45 : j === 2 ? 0.45 : 0.1 / 22) : j === k ? 0.97 : 0.03 / 23))
    return { id: `c${i + 1}`, logProbs: p.map(Math.log), best: t, pUp: i === 0 ? 0.1 : 0.9 }
  })
  return { segmentation: { width: 200, height: 10, pixelScale: 1, stain: 'G', objects, nextId: objects.length + 1, threshold: 50, scale: { chromosomeWidth: 2, unitArea: 4 }, removed: { nuclei: [], debris: 0 }, warnings: [] }, calls }
}

function analysis() {
  const { segmentation, calls } = normalMaleCell()
  return { segmentation, calls, dispatch: dispatchCell(calls.map((c) => c.logProbs), { ids: calls.map((c) => c.id) }) }
}

describe('karyogram placements', () => {
  it('places every object where the dispatch put it, flips by the polarity call, and marks the doubtful ones', () => {
    const items = boardItems(analysis())
    assert.equal(items.length, 46)
    const counts = countsOf(items)
    assert.equal(totalOf(counts), 46)
    assert.equal(sexOf(counts), 'XY')
    assert.deepEqual(deviationsOf(counts), [])
    assert.equal(items[0].flip, true, 'p-arm down in the display image: drawn flipped')
    assert.equal(items[1].flip, false)
    assert.ok(items[2].warnings.some((w) => /low confidence: 45%/.test(w)), items[2].warnings.join('; '))
    assert.ok(items[5].warnings.some((w) => /several chromosomes/.test(w)))
    assert.equal(items[10].warnings.length, 0)
  })

  it('lays the technologist’s corrections over the dispatch: moves, flips, rotations and the bin', () => {
    const a = analysis()
    const items = boardItems(a, { c1: { type: '2', order: 99 }, c4: { flip: true, rotate: 30 }, c46: { type: null } })
    const byId = new Map(items.map((i) => [i.id, i]))
    assert.equal(byId.get('c1')!.type, '2')
    assert.equal(byId.get('c1')!.moved, true)
    assert.equal(byId.get('c4')!.flip, true)
    assert.equal(byId.get('c4')!.rotate, 30)
    assert.equal(byId.get('c46')!.type, null)
    const slots = bySlot(items)
    assert.deepEqual(slots.get('2')!.map((i) => i.id).at(-1), 'c1', 'a dropped object goes to the end of its pair')
    assert.equal(slots.get(null)!.length, 1)
    const counts = countsOf(items)
    assert.equal(counts['1'], 1)
    assert.equal(counts['2'], 3)
    assert.equal(totalOf(counts), 45)
    assert.equal(sexOf(counts), 'X')
    assert.deepEqual(deviationsOf(counts), ['chromosome 1: 1, expected 2', 'chromosome 2: 3, expected 2', 'sex chromosomes X'])
    assert.equal(nextOrder(items, '2'), 100)
    const placements = toPlacements(items)
    assert.deepEqual(placements.find((p) => p.id === 'c4'), { id: 'c4', type: byId.get('c4')!.type, flip: true, rotate: 30 })
  })

  it('turns angles into (−180, 180] and sizes rotated boxes', () => {
    assert.equal(normaliseAngle(195), -165)
    assert.equal(normaliseAngle(-180), 180)
    assert.equal(normaliseAngle(360), 0)
    const r = rotatedSize(10, 20, 90)
    assert.ok(Math.abs(r.width - 20) < 1e-9 && Math.abs(r.height - 10) < 1e-9)
  })
})

function cell(count: number | null, status: KaryotypeCell['status'] = count === null ? 'pending' : 'counted'): KaryotypeCell {
  return { id: crypto.randomUUID(), caseId: 'k', order: 1, name: 'x.png', mime: 'image/png', size: 1, sha256: '', width: 1, height: 1, status, engineCount: 46, count, excludedReason: '', createdAt: '', createdBy: '', updatedAt: '', updatedBy: '' }
}

describe('case summary', () => {
  it('reports the modal number, the range, and the mosaicism that 20 concordant cells exclude (Hook: 14%)', () => {
    const s = summarise([...Array.from({ length: 20 }, () => cell(46)), cell(null), cell(45, 'excluded')])
    assert.equal(s.cells, 22)
    assert.equal(s.excluded, 1)
    assert.equal(s.counted, 20)
    assert.equal(s.modal, 46)
    assert.equal(s.range, '46')
    assert.equal(s.mosaic.suspected, false)
    assert.match(s.mosaic.message, /All 20 cells counted 46; this excludes mosaicism above 14% at 95% confidence/)
    assert.ok(Math.abs(excludedMosaicism(20) - 0.1391) < 1e-3)
    assert.ok(Math.abs(excludedMosaicism(50) - 0.0582) < 1e-3)
  })

  it('follows ISCN’s clone rule: a gain in two cells is a clone, a loss needs three', () => {
    const gain = summarise([...Array.from({ length: 15 }, () => cell(46)), cell(47), cell(47), cell(45), cell(45)])
    assert.equal(gain.modal, 46)
    assert.equal(gain.range, '45–47')
    assert.equal(gain.mosaic.suspected, true)
    assert.deepEqual(gain.mosaic.lines, [{ count: 47, cells: 2 }])
    assert.match(gain.mosaic.message, /Possible mosaicism: 47 in 2 of 19 cells/)
    const singles = summarise([...Array.from({ length: 18 }, () => cell(46)), cell(47), cell(45)])
    assert.equal(singles.mosaic.suspected, false)
    assert.match(singles.mosaic.message, /artefacts/)
    const loss = summarise([...Array.from({ length: 12 }, () => cell(46)), cell(45), cell(45), cell(45)])
    assert.deepEqual(loss.mosaic.lines, [{ count: 45, cells: 3 }])
  })

  it('says so when nothing is counted', () => {
    const s = summarise([cell(null)])
    assert.equal(s.modal, null)
    assert.equal(s.range, '')
    assert.equal(s.mosaic.message, 'No cells counted yet.')
  })
})
