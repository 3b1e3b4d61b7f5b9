/** ISCN result strings, mosaics and the validator for hand-written results. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkIscn } from '../../../main/karyotype/iscn/check'
import { iscnFromCounts, mosaicIscn } from '../../../main/karyotype/iscn/format'
import { chromosomeTypes, type ChromosomeType } from '../../../main/karyotype/types'

function counts(changes: Partial<Record<ChromosomeType, number>>, sex: 'XX' | 'XY'): Record<ChromosomeType, number> {
  const c = Object.fromEntries(chromosomeTypes.map((t) => [t, 2])) as Record<ChromosomeType, number>
  c.X = sex === 'XX' ? 2 : 1
  c.Y = sex === 'XX' ? 0 : 1
  return { ...c, ...changes }
}

describe('ISCN from counts', () => {
  it('writes normal, numerical and sex-chromosome results', () => {
    assert.equal(iscnFromCounts(counts({}, 'XX')), '46,XX')
    assert.equal(iscnFromCounts(counts({}, 'XY')), '46,XY')
    assert.equal(iscnFromCounts(counts({ '21': 3 }, 'XY')), '47,XY,+21')
    assert.equal(iscnFromCounts(counts({ X: 1 }, 'XX')), '45,X')
    assert.equal(iscnFromCounts(counts({ X: 2 }, 'XY')), '47,XXY')
    assert.equal(iscnFromCounts(counts({ '13': 3, '21': 3 }, 'XX')), '48,XX,+13,+21')
    assert.equal(iscnFromCounts(counts({ '7': 1 }, 'XY')), '45,XY,-7')
    assert.equal(iscnFromCounts(counts({ '21': 4 }, 'XY')), '48,XY,+21,+21')
    assert.throws(() => iscnFromCounts({ '1': -1 }), /whole number/)
  })
})

describe('mosaic results', () => {
  it('lists abnormal clones first, largest first, and the normal clone last', () => {
    const cells = [...Array(12).fill('47,XXY'), ...Array(8).fill('46,XY')]
    assert.equal(mosaicIscn(cells), 'mos 47,XXY[12]/46,XY[8]')
    // The normal line goes last even when it is the largest.
    assert.equal(mosaicIscn([{ iscn: '46,XX', cells: 25 }, { iscn: '45,X', cells: 5 }]), 'mos 45,X[5]/46,XX[25]')
    assert.equal(
      mosaicIscn([{ iscn: '46,XX', cells: 10 }, { iscn: '45,X', cells: 4 }, { iscn: '47,XXX', cells: 6 }]),
      'mos 47,XXX[6]/45,X[4]/46,XX[10]'
    )
  })

  it('a single cell line is not a mosaic', () => {
    assert.equal(mosaicIscn(Array(20).fill('47,XY,+21')), '47,XY,+21[20]')
    assert.equal(mosaicIscn(['46,XY', '46,XY'], { cellCounts: false }), '46,XY')
    assert.throws(() => mosaicIscn([]), /No cells/)
  })

  it('round-trips through the validator', () => {
    const text = mosaicIscn([...Array(12).fill('47,XXY'), ...Array(8).fill('46,XY')])
    const v = checkIscn(text)
    assert.ok(v.ok, JSON.stringify(v.issues))
    assert.equal(v.prefix, 'mos')
    assert.deepEqual(v.clones.map((c) => [c.count, c.sex, c.cells]), [[47, 'XXY', 12], [46, 'XY', 8]])
  })
})

describe('ISCN validator', () => {
  for (const text of [
    '46,XY,t(9;22)(q34;q11.2)',
    '46,XX,del(5)(p15.2)',
    '47,XY,+21',
    '46,XY,inv(9)(p12q13)',
    '45,X',
    '47,XXY',
    '46,XX,del(1)(q21q31)',
    '46,XY,der(22)t(9;22)(q34;q11.2)',
    '45,XX,rob(13;14)(q10;q10)',
    '46,XX,i(17)(q10)',
    '46,XY,dup(1)(q21q32)',
    '47,XX,+mar',
    '46,XY,ins(2)(p13q21q31)',
    'mos 45,X[10]/46,XX[20]',
    '46,XY,t(9;22)(q34;q11.2)[20]'
  ]) {
    it(`accepts ${text}`, () => {
      const v = checkIscn(text)
      assert.ok(v.ok, v.issues.map((i) => i.message).join('; '))
    })
  }

  function firstError(text: string, resolution?: 400 | 550 | 850) {
    const v = checkIscn(text, resolution)
    assert.equal(v.ok, false, `${text} should be rejected`)
    const e = v.issues.find((i) => i.severity === 'error')!
    return { ...e, at: text.slice(e.start, e.end) }
  }

  it('names a band that does not exist, with the chromosome, the resolution and where it is', () => {
    const e = firstError('46,XY,inv(9)(p12q37)', 550)
    assert.equal(e.message, 'band q37 does not exist on chromosome 9 at 550 resolution')
    assert.equal(e.at, 'q37')
    assert.match(firstError('46,XX,del(5)(p16)').message, /band p16 does not exist on chromosome 5/)
  })

  it('checks sub-bands against the chosen resolution', () => {
    // 22q11.2 is split only at higher resolutions; q11.21 exists at 850 bands but not at 400.
    assert.ok(checkIscn('46,XY,del(22)(q11.21)', 850).ok)
    assert.equal(firstError('46,XY,del(22)(q11.21)', 400).message, 'band q11.21 does not exist on chromosome 22 at 400 resolution')
    // A less precise band is fine at a finer resolution: 9q34 covers q34.1–q34.3.
    assert.ok(checkIscn('46,XY,t(9;22)(q34;q11.2)', 850).ok)
  })

  it('reports syntax errors in plain words, at the right place', () => {
    assert.equal(firstError('47,XY,+23').at, '23')
    assert.match(firstError('46,XY,+21').message, /count 46 does not match/)
    assert.match(firstError('46,XZ').message, /not a sex chromosome complement/)
    assert.match(firstError('4a,XY').message, /start with the chromosome count/)
    assert.match(firstError('46,XY,inv(9)(p12)').message, /inv needs 2 break points, found 1/)
    assert.match(firstError('46,XY,t(9;22)(q34)').message, /2 chromosomes but 1 break-point group/)
    assert.match(firstError('46,XY,foo(9)(p12)').message, /"foo" is not an ISCN rearrangement/)
    assert.match(firstError('46,XY,del(5)(x15)').message, /Cannot read the band "x15"/)
    assert.match(firstError('46').message, /sex chromosomes/)
    assert.match(firstError('').message, /empty/)
    assert.match(firstError('mos 46,XY').message, /at least two cell lines/)
    const e = firstError('46,XX,t(9;25)(q34;q11)')
    assert.equal(e.at, '25')
  })
})
