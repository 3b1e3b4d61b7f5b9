/** Per-cell dispatch on constructed probability tables. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { dispatchCell } from '../../../main/karyotype/dispatch/dispatch'
import { iscnFromCounts } from '../../../main/karyotype/iscn/format'
import { normalKaryotype } from '../../../main/karyotype/synthetic/spread'
import { Rng } from '../../../main/karyotype/synthetic/rng'
import { chromosomeTypes, type ChromosomeType } from '../../../main/karyotype/types'

/** A classifier's log-probabilities for objects of the given true types: confident but noisy. */
function table(types: ChromosomeType[], seed = 1, confusions: Array<{ row: number; probs: Partial<Record<ChromosomeType, number>> }> = []): number[][] {
  const rng = new Rng(seed)
  const rows = types.map((t) => {
    const logits = chromosomeTypes.map((u) => (u === t ? 6 : rng.uniform(-1, 1)))
    const max = Math.max(...logits)
    const z = Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0)) + max
    return logits.map((l) => l - z)
  })
  for (const c of confusions) {
    const rest = 1 - Object.values(c.probs).reduce((s, p) => s + (p ?? 0), 0)
    const others = chromosomeTypes.filter((t) => !(t in c.probs))
    rows[c.row] = chromosomeTypes.map((t) => Math.log(c.probs[t] ?? rest / others.length))
  }
  return rows
}

const truth = (types: ChromosomeType[]) => types.map(String)

describe('dispatchCell', () => {
  it('a normal 46,XY cell: every object placed, and a confused object corrected by the cell', () => {
    const types = normalKaryotype('XY')
    const row = types.indexOf('22')
    // The classifier prefers 21 for one 22: taken alone that would make three 21s and one 22.
    const d = dispatchCell(table(types, 1, [{ row, probs: { '21': 0.55, '22': 0.4 } }]))
    assert.equal(d.sex, 'XY')
    assert.deepEqual(d.assignments.map((a) => a.type), truth(types))
    assert.equal(d.assignments[row].best, '21')
    assert.equal(d.assignments[row].changed, true)
    assert.deepEqual(d.deviations, [])
    assert.equal(iscnFromCounts(d.counts), '46,XY')
  })

  it('is optimal, not greedy: a chain of confusions is resolved as a whole', () => {
    const types = normalKaryotype('XX')
    const a = types.indexOf('4')
    const b = types.indexOf('5')
    // Object a (a 4) looks a bit more like a 5, object b (a 5) looks much more like a 5 than a 4:
    // greedy in order would give a -> 5, then 5 is full; the optimum keeps b -> 5 and a -> 4.
    const d = dispatchCell(
      table(types, 2, [
        { row: a, probs: { '5': 0.5, '4': 0.45 } },
        { row: b, probs: { '5': 0.9, '4': 0.05 } }
      ])
    )
    assert.equal(d.assignments[a].type, '4')
    assert.equal(d.assignments[b].type, '5')
    assert.equal(iscnFromCounts(d.counts), '46,XX')
  })

  it('XY versus XX: both hypotheses are tried and the better kept', () => {
    const xx = dispatchCell(table(normalKaryotype('XX'), 3))
    assert.equal(xx.sex, 'XX')
    assert.equal(iscnFromCounts(xx.counts), '46,XX')
    const xy = dispatchCell(table(normalKaryotype('XY'), 3))
    assert.equal(xy.sex, 'XY')
    assert.deepEqual(xy.hypotheses.map((h) => h.sex), ['XY', 'XX'])
    assert.ok(xy.hypotheses[0].cost < xy.hypotheses[1].cost)
    // A forced hypothesis is honoured.
    assert.equal(dispatchCell(table(normalKaryotype('XY'), 3), { sex: 'XX' }).sex, 'XX')
  })

  it('trisomy 21: a third confident 21 is kept as 21 and flagged', () => {
    const types: ChromosomeType[] = [...normalKaryotype('XY'), '21']
    const d = dispatchCell(table(types, 4))
    assert.equal(d.counts['21'], 3)
    assert.equal(iscnFromCounts(d.counts), '47,XY,+21')
    const dev = d.deviations.find((x) => x.type === '21')
    assert.ok(dev && dev.kind === 'extra' && dev.found === 3 && dev.expected === 2)
    assert.match(dev.message, /possible trisomy 21/)
    assert.equal(dev.objects.length, 1)
    assert.equal(d.deviations.length, 1)
  })

  it('47,XXY: the extra X is placed and flagged', () => {
    const d = dispatchCell(table([...normalKaryotype('XY'), 'X'], 5))
    assert.equal(iscnFromCounts(d.counts), '47,XXY')
    assert.ok(d.deviations.some((x) => x.kind === 'extra' || x.kind === 'missing'))
  })

  it('a missing object: the empty slot is flagged, nobody is moved into it', () => {
    const types = normalKaryotype('XX')
    types.splice(types.indexOf('7'), 1)
    const d = dispatchCell(table(types, 6))
    assert.deepEqual(d.assignments.map((a) => a.type), truth(types))
    assert.equal(iscnFromCounts(d.counts), '45,XX,-7')
    const dev = d.deviations.find((x) => x.type === '7')
    assert.ok(dev && dev.kind === 'missing' && dev.found === 1)
    assert.match(dev.message, /monosomy 7/)
  })

  it('45,X: one sex chromosome', () => {
    const types = normalKaryotype('XX')
    types.splice(types.indexOf('X'), 1)
    const d = dispatchCell(table(types, 7))
    assert.equal(iscnFromCounts(d.counts), '45,X')
  })

  it('an extra object that looks like nothing (debris) is left unplaced', () => {
    const types = normalKaryotype('XY')
    const rows = table(types, 8)
    rows.push(chromosomeTypes.map(() => Math.log(1 / 24)))
    const d = dispatchCell(rows, { ids: [...types.map((_, i) => `c${i + 1}`), 'junk'] })
    const junk = d.assignments.find((a) => a.id === 'junk')!
    assert.equal(junk.type, null)
    assert.equal(junk.slot, 'unplaced')
    assert.equal(iscnFromCounts(d.counts), '46,XY')
    assert.ok(d.deviations.some((x) => x.kind === 'unplaced' && x.objects[0] === 'junk'))
  })

  it('refuses a table that is not N × 24 log-probabilities', () => {
    assert.throws(() => dispatchCell([[0, 0]]), /24/)
    assert.throws(() => dispatchCell([chromosomeTypes.map(() => 0.5)]), /log-probabilities/)
    assert.throws(() => dispatchCell(table(['1']), { ids: ['a', 'b'] }), /2 ids/)
  })
})
