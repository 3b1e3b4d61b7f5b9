import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { karyogramRows, karyotypeTypes, type ChromosomeType } from '../../../preload/karyotype'
import { layoutKaryogram, type LayoutItem } from '../../../main/report/karyogram-layout'

function cell(extra: LayoutItem[] = []): Map<ChromosomeType | null, LayoutItem[]> {
  const m = new Map<ChromosomeType | null, LayoutItem[]>()
  karyotypeTypes.forEach((t, i) => {
    const n = t === 'X' || t === 'Y' ? 1 : 2
    const h = 100 - 3 * i
    m.set(t, Array.from({ length: n }, (_, k) => ({ id: `${t}-${k}`, width: 20, height: h, angle: 0 })))
  })
  if (extra.length) m.set(null, extra)
  return m
}

describe('printed karyogram layout', () => {
  it('stands every chromosome on its row’s baseline, pairs side by side, in the ISCN rows, inside the page', () => {
    const layout = layoutKaryogram({ byType: cell(), ideogramLength: () => 10, unit: 10, width: 1000 })
    assert.equal(layout.width, 1000)
    assert.equal(layout.items.length, 46)
    assert.equal(layout.slots.length, 24)
    const slot = new Map(layout.slots.map((s) => [s.type, s]))
    for (const it of layout.items) {
      const t = it.id.split('-')[0] as ChromosomeType
      const s = slot.get(t)!
      assert.ok(Math.abs(it.cy + it.height / 2 - s.baseline) < 1e-6, `${it.id} stands on its baseline`)
      assert.ok(it.cx - it.width / 2 >= s.x0 - 1e-6 && it.cx + it.width / 2 <= s.x1 + 1e-6, `${it.id} is inside its slot`)
      assert.ok(it.cx - it.width / 2 >= 0 && it.cx + it.width / 2 <= 1000, `${it.id} is on the page`)
    }
    // Rows as ISCN lays them out: 1–5 share a baseline, 6–12 and X the next, and so on.
    const rowOf = (t: ChromosomeType) => karyogramRows.findIndex((r) => r.flat().includes(t))
    for (const a of karyotypeTypes) for (const b of karyotypeTypes) {
      assert.equal(slot.get(a)!.baseline === slot.get(b)!.baseline, rowOf(a) === rowOf(b), `${a} and ${b}`)
    }
    // Homologues side by side, left to right within a row in type order.
    assert.ok(layout.items.find((i) => i.id === '1-0')!.cx < layout.items.find((i) => i.id === '1-1')!.cx)
    assert.ok(slot.get('6')!.x1 <= slot.get('7')!.x0)
    assert.ok(slot.get('12')!.x1 <= slot.get('X')!.x0)
    // The ideogram stands beside its pair, scaled like the pair (mean height / ISCN length).
    assert.ok(Math.abs(slot.get('1')!.ideogram!.height - 100) < 1e-6)
  })

  it('adds an unplaced row for the bin, and widens the drawing rather than overlapping when a row is too wide', () => {
    const layout = layoutKaryogram({ byType: cell([{ id: 'junk', width: 30, height: 30, angle: 0 }]), ideogramLength: null, unit: 10, width: 300 })
    assert.ok(layout.slots.some((s) => s.type === null && s.label === 'Unplaced (1)'))
    assert.ok(layout.width > 300)
    const r2 = layout.items.filter((i) => ['6', '7', '8', '9', '10', '11', '12', 'X'].includes(i.id.split('-')[0])).sort((a, b) => a.cx - b.cx)
    for (let i = 1; i < r2.length; i++) assert.ok(r2[i].cx - r2[i].width / 2 >= r2[i - 1].cx + r2[i - 1].width / 2 - 1e-6, 'no overlap')
  })

  it('sizes a turned chromosome by its rotated box', () => {
    const byType = cell()
    byType.set('1', [{ id: '1-0', width: 20, height: 100, angle: 90 }])
    const layout = layoutKaryogram({ byType, ideogramLength: null, unit: 10, width: 1000 })
    const it = layout.items.find((i) => i.id === '1-0')!
    const s = layout.slots.find((x) => x.type === '1')!
    assert.ok(Math.abs(it.cy + 10 - s.baseline) < 1e-6, 'lying down, it is 20 high')
  })
})
