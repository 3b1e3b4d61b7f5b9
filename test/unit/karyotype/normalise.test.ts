/** Per-chromosome normalisation: upright, straightened, scaled, intensity-normalised, with features. */
import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, it } from 'node:test'
import sharp from 'sharp'
import { readManifest, pickColumn } from '../../../main/datasets/manifest'
import { createGrey, type GreyRaster } from '../../../main/imaging/raster'
import { readGreyImage } from '../../../main/imaging/read-image'
import { segmentSpread } from '../../../main/karyotype'
import { normaliseCell, normaliseCrop, type NormalisedChromosome } from '../../../main/karyotype/normalise/normalise'
import { syntheticChromosomeCrop } from '../../../main/karyotype/synthetic/crop'
import { Rng } from '../../../main/karyotype/synthetic/rng'
import { syntheticSpread } from '../../../main/karyotype/synthetic/spread'
import type { ChromosomeType } from '../../../main/karyotype/types'
import { chromosomesDir } from './helpers'

function corr(a: Uint8Array, b: Uint8Array): number {
  let ma = 0
  let mb = 0
  for (let i = 0; i < a.length; i++) ((ma += a[i]), (mb += b[i]))
  ma /= a.length
  mb /= b.length
  let s = 0
  let sa = 0
  let sb = 0
  for (let i = 0; i < a.length; i++) {
    s += (a[i] - ma) * (b[i] - mb)
    sa += (a[i] - ma) ** 2
    sb += (b[i] - mb) ** 2
  }
  return s / Math.sqrt(sa * sb || 1)
}

function flipVertical(n: NormalisedChromosome): Uint8Array {
  const out = new Uint8Array(n.data.length)
  for (let y = 0; y < n.height; y++) out.set(n.data.subarray((n.height - 1 - y) * n.width, (n.height - y) * n.width), y * n.width)
  return out
}

/** Upside down: walking the centre line the other way turns the strip by 180°. */
function rotate180(n: NormalisedChromosome): Uint8Array {
  return n.data.slice().reverse()
}

function mirror(n: NormalisedChromosome): Uint8Array {
  const out = new Uint8Array(n.data.length)
  for (let y = 0; y < n.height; y++) for (let x = 0; x < n.width; x++) out[y * n.width + x] = n.data[y * n.width + n.width - 1 - x]
  return out
}

/** Height over width of the dark (chromosome) pixels of a normalised image. */
function uprightness(n: NormalisedChromosome): number {
  let x0 = n.width
  let x1 = -1
  let y0 = n.height
  let y1 = -1
  for (let y = 0; y < n.height; y++) {
    for (let x = 0; x < n.width; x++) {
      if (n.data[y * n.width + x] > 200) continue
      x0 = Math.min(x0, x)
      x1 = Math.max(x1, x)
      y0 = Math.min(y0, y)
      y1 = Math.max(y1, y)
    }
  }
  return (y1 - y0 + 1) / Math.max(1, x1 - x0 + 1)
}

async function crops(folder: string, groupCandidates: string[], types: string[], groups: number): Promise<Array<{ type: string; image: GreyRaster<Uint8Array> }>> {
  const manifest = await readManifest(folder, 'manifest.csv', ['file', 'type'])
  const group = pickColumn(manifest, groupCandidates)
  const wanted = [...new Set(manifest.rows.map((r) => r[group]))].slice(0, groups)
  const rows = manifest.rows.filter((r) => wanted.includes(r[group]) && types.includes(r['type']))
  return Promise.all(rows.map(async (r) => ({ type: r['type'], image: await readGreyImage(path.join(folder, r['file'])) })))
}

const longTypes = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', 'X']

describe('normalisation of chromosome crops', () => {
  it('gband crops (upright already): stay upright and unflipped, dark on white, in the requested size', async () => {
    const list = await crops(path.join(chromosomesDir, 'gband'), ['cell', 'case'], longTypes, 2)
    assert.ok(list.length >= 20)
    for (const { type, image } of list) {
      const n = normaliseCrop(image, { size: { width: 32, height: 80 } })
      assert.equal(n.stain, 'G')
      assert.equal(n.flipped, false)
      assert.equal(n.data.length, 32 * 80)
      assert.equal(n.data[0], 255, 'white background')
      assert.ok(uprightness(n) > 1.6, `chromosome ${type} is upright (${uprightness(n).toFixed(2)})`)
      assert.ok(n.length > 0.7 * image.height, `length ${n.length} of a ${image.height}-pixel-high crop`)
    }
  })

  it('a rotated gband crop comes out like the upright one (up to a flip)', async () => {
    const list = await crops(path.join(chromosomesDir, 'gband'), ['cell', 'case'], ['1', '2', '4', '6'], 1)
    for (const { type, image } of list) {
      const rotated = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
        .rotate(90, { background: { r: 255, g: 255, b: 255 } })
        .extractChannel(0)
        .raw()
        .toBuffer({ resolveWithObject: true })
      const r = createGrey(rotated.info.width, rotated.info.height, new Uint8Array(rotated.data))
      const a = normaliseCrop(image)
      const b = normaliseCrop(r)
      const similarity = Math.max(...[b.data, flipVertical(b), rotate180(b), mirror(b)].map((d) => corr(a.data, d)))
      assert.ok(similarity > 0.8, `chromosome ${type}: ${similarity.toFixed(2)}`)
    }
  })

  it('qband crops (any orientation, bright on dark): normalised upright, dark on white', async () => {
    const list = await crops(path.join(chromosomesDir, 'qband'), ['case', 'cell'], longTypes, 2)
    assert.ok(list.length >= 20)
    let upright = 0
    for (const { image } of list) {
      const n = normaliseCrop(image)
      assert.equal(n.stain, 'Q')
      assert.equal(n.data[0], 255)
      if (uprightness(n) > 1.6) upright++
    }
    assert.ok(upright >= 0.9 * list.length, `${upright}/${list.length} upright`)
  })

  it("'auto' polarity puts the p-arm on top when there is a visible centromere", () => {
    const rng = new Rng(3)
    const submeta: ChromosomeType[] = ['2', '4', '5', '6', '7', '8', '9', '10', '12', '16', '17', 'X']
    let right = 0
    let total = 0
    for (const type of submeta) {
      const reference = normaliseCrop(syntheticChromosomeCrop({ type }).image, { polarity: 'keep' })
      for (let k = 0; k < 4; k++) {
        const crop = syntheticChromosomeCrop({ type, angle: rng.uniform(0, 2 * Math.PI), bend: rng.uniform(-0.5, 0.5) })
        const n = normaliseCrop(crop.image, { polarity: 'auto' })
        const up = Math.max(corr(n.data, reference.data), corr(n.data, mirror(reference)))
        const down = Math.max(corr(n.data, flipVertical(reference)), corr(n.data, rotate180(reference)))
        if (up > down) right++
        total++
      }
    }
    assert.ok(right >= 0.85 * total, `${right}/${total} with the p-arm up`)
  })

  it('estimates the centromere index: metacentric 1 and 3 above submetacentric 4, 5 and 12', () => {
    const ci = (type: ChromosomeType) => normaliseCrop(syntheticChromosomeCrop({ type, angle: 0.4 }).image).centromereIndex ?? 0
    for (const m of ['1', '3'] as const) for (const s of ['4', '5', '12'] as const) assert.ok(ci(m) > ci(s) + 0.1, `${m}: ${ci(m)} vs ${s}: ${ci(s)}`)
  })

  it('straightens a bent chromosome', () => {
    const straight = normaliseCrop(syntheticChromosomeCrop({ type: '2' }).image)
    const bent = normaliseCrop(syntheticChromosomeCrop({ type: '2', bend: 1.2 }).image)
    assert.ok(bent.bend > 5, `bend ${bent.bend}`)
    assert.ok(corr(straight.data, bent.data) > 0.8, `straightened like the straight one: ${corr(straight.data, bent.data).toFixed(2)}`)
  })

  it('refuses an impossible size', () => {
    const { image } = syntheticChromosomeCrop({ type: '7' })
    assert.throws(() => normaliseCrop(image, { size: { width: 2, height: 5000 } }), /between 4 and 1024/)
  })
})

describe('normalisation of a segmented cell', () => {
  it('normalises every object, with lengths relative to the cell', async () => {
    const spread = await syntheticSpread({ seed: 101 })
    const seg = await segmentSpread(spread.image)
    const out = await normaliseCell(spread.image, seg, { size: { width: 40, height: 96 } })
    assert.equal(out.length, seg.objects.length)
    assert.deepEqual(out.map((n) => n.id), seg.objects.map((o) => o.id))
    const sum = out.reduce((s, n) => s + (n.relativeLength ?? 0), 0)
    assert.ok(Math.abs(sum - 1) < 1e-9)
    // The two chromosome 1s are among the longest objects.
    const ones = spread.chromosomes.filter((c) => c.type === '1').map((c) => c.axis[Math.floor(c.axis.length / 2)].map(Math.round))
    const idsOfOnes = seg.objects.filter((o) => ones.some(([x, y]) => x >= o.box.x && y >= o.box.y && x < o.box.x + o.box.width && y < o.box.y + o.box.height && o.mask.data[(y - o.box.y) * o.box.width + x - o.box.x])).map((o) => o.id)
    const top = [...out].sort((a, b) => (b.relativeLength ?? 0) - (a.relativeLength ?? 0)).slice(0, 4).map((n) => n.id)
    assert.ok(idsOfOnes.length === 2 && idsOfOnes.every((id) => top.includes(id)), `chromosome 1s ${idsOfOnes} in ${top}`)
    for (const n of out) assert.ok(uprightness(n) > 1 || (n.relativeLength ?? 0) < 0.02, `${n.id} upright`)
  })

  it('works on a real spread', async () => {
    const image = await readGreyImage(path.join(chromosomesDir, 'metaphases', 'cabinh', 'spreads', '8129A.019.A.png'))
    const seg = await segmentSpread(image)
    const out = await normaliseCell(image, seg)
    assert.equal(out.length, seg.objects.length)
    const upright = out.filter((n) => uprightness(n) > 1.2).length
    assert.ok(upright >= 0.7 * out.length, `${upright}/${out.length} upright`)
  })
})
