/**
 * The shipped chromosome classifiers: they load (manifest checked against the file), and classify real
 * crops of cells they never saw (held-out test cells of chromosomes/gband and /qband) correctly, with and
 * without the cell-level dispatch; G-band polarity of upright crops and their flips. Plus the views and
 * features they are fed, and refusals of broken model folders.
 */
import assert from 'node:assert/strict'
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { repoRoot } from '../../../main/app/paths'
import { LabError } from '../../../main/errors'
import { readGreyImage } from '../../../main/imaging/read-image'
import { ChromosomeClassifier } from '../../../main/karyotype/classifier/classify'
import { groupIndices, prepareCrop, readChromosomeManifest, splitOf } from '../../../main/karyotype/classifier/dataset'
import { cellFeatures, featureCount, flipFeatures } from '../../../main/karyotype/classifier/features'
import { extractViews, flipViews, nativeCanvas, type ChromosomeViews } from '../../../main/karyotype/classifier/views'
import { scoreCell } from '../../../main/karyotype/eval/score-cell'
import { normaliseCrop } from '../../../main/karyotype/normalise/normalise'
import { chromosomesDir } from './helpers'

const modelsDir = path.join(repoRoot, 'resources', 'models')

/** The crops of the first `n` cells of a dataset that its hash split holds out for testing. */
async function heldOutCells(dataset: string, n: number, views: Parameters<typeof prepareCrop>[2]) {
  const manifest = await readChromosomeManifest(path.join(chromosomesDir, dataset))
  const cells = [...groupIndices(manifest.records)].filter(([group]) => splitOf(group) === 'test').slice(0, n)
  const out = []
  for (const [group, indices] of cells) {
    const crops = []
    for (const i of indices) crops.push(await prepareCrop(manifest.dir, manifest.records[i], views))
    out.push({ group, truth: indices.map((i) => manifest.records[i].type), views: crops.map((c) => c.views) })
  }
  return out
}

describe('shipped chromosome classifiers', () => {
  it('the G-band model classifies held-out cells: types before and after dispatch, and polarity', async () => {
    const classifier = await ChromosomeClassifier.load(path.join(modelsDir, 'chromosome-gband'))
    assert.equal(classifier.stain, 'G')
    assert.equal(classifier.model.manifest.task, 'chromosome-classification')
    const cells = await heldOutCells('gband', 2, classifier.views)
    for (const cell of cells) {
      assert.ok(cell.views.every((v) => v !== null), `every crop of cell ${cell.group} normalises`)
      const outcome = await scoreCell({ ...cell, upright: true }, classifier)
      const n = cell.truth.length
      const raw = outcome.raw.filter((t, i) => t === cell.truth[i]).length
      const dispatched = outcome.dispatched.filter((t, i) => t === cell.truth[i]).length
      assert.ok(raw >= n - 6, `cell ${cell.group}: ${raw}/${n} right before dispatch`)
      assert.ok(dispatched >= n - 2, `cell ${cell.group}: ${dispatched}/${n} right after dispatch`)
      assert.ok(dispatched >= raw - 1, `dispatch does not undo the classifier (${raw} → ${dispatched})`)
      assert.ok(outcome.polarityRight >= outcome.polarityScored - 4, `cell ${cell.group}: polarity ${outcome.polarityRight}/${outcome.polarityScored}`)
    }
  })

  it('the G-band model tells an upright chromosome from the same one upside down', async () => {
    const classifier = await ChromosomeClassifier.load(path.join(modelsDir, 'chromosome-gband'))
    const [cell] = await heldOutCells('gband', 1, classifier.views)
    const views = cell.views as ChromosomeViews[]
    const features = cellFeatures(views.map((v) => v.measures))
    const up = await classifier.classify(views, features)
    const down = await classifier.classify(
      views.map((v) => flipViews(v, classifier.views)),
      cellFeatures(views.map((v) => flipViews(v, classifier.views).measures))
    )
    const upRight = up.filter((c) => c.pArmDown < 0.5).length
    const downRight = down.filter((c) => c.pArmDown > 0.5).length
    assert.ok(upRight >= views.length - 2 && downRight >= views.length - 2, `upright ${upRight}, flipped ${downRight} of ${views.length}`)
    // Turning a chromosome over does not change its type.
    const sameType = up.filter((c, i) => c.type === down[i].type).length
    assert.ok(sameType >= views.length - 1, `${sameType}/${views.length} keep their type when flipped`)
  })

  it('the Q-band model classifies a held-out case after dispatch', async () => {
    const classifier = await ChromosomeClassifier.load(path.join(modelsDir, 'chromosome-qband'))
    assert.equal(classifier.stain, 'Q')
    const [cell] = await heldOutCells('qband', 1, classifier.views)
    const outcome = await scoreCell({ ...cell, upright: false }, classifier)
    const dispatched = outcome.dispatched.filter((t, i) => t === cell.truth[i]).length
    assert.ok(dispatched >= cell.truth.length - 6, `case ${cell.group}: ${dispatched}/${cell.truth.length} right after dispatch`)
    assert.equal(outcome.polarityScored, 0, 'Q-band crops have no known polarity to score')
  })
})

describe('classifier views and features', () => {
  it('views of a real crop: sizes, the chromosome inside, and flipping twice gives them back', async () => {
    const crop = await readGreyImage(path.join(chromosomesDir, 'gband', '97002023.12', '1_0.png'))
    const views = extractViews(normaliseCrop(crop, { size: nativeCanvas, scale: 1 }))
    assert.equal(views.global.length, 32 * 64)
    assert.equal(views.upper.length, 32 * 48)
    const mass = views.global.reduce((s, v) => s + v, 0)
    assert.ok(mass > 100, `the global view holds the chromosome (density ${mass.toFixed(0)})`)
    assert.ok(views.measures.length > 90, `chromosome 1 is long (${views.measures.length} px)`)
    const twice = flipViews(flipViews(views))
    assert.deepEqual(twice.global, views.global)
    assert.deepEqual(twice.upper, views.upper)
    assert.deepEqual(twice.lower, views.lower)
    // Upside down, the upper view is the lower one with its rows reversed.
    const flipped = flipViews(views)
    for (let y = 0; y < 48; y++) {
      assert.deepEqual(flipped.upper.subarray(y * 32, (y + 1) * 32), views.lower.subarray((47 - y) * 32, (48 - y) * 32))
    }
  })

  it('cell features: relative length and mass are over the cell (46 for the whole), centromere flips with the views', () => {
    const cell = Array.from({ length: 46 }, (_, i) => ({ length: 20 + i, mass: 100 + 3 * i, width: 5, centromere: i % 3 ? 0.3 : null, centromereIndex: i % 3 ? 0.3 : null }))
    const f = cellFeatures(cell)
    let sumLength = 0
    let sumMass = 0
    for (let i = 0; i < 46; i++) {
      sumLength += f[i * featureCount]
      sumMass += f[i * featureCount + 1]
    }
    assert.ok(Math.abs(sumLength - 46) < 1e-3 && Math.abs(sumMass - 46) < 1e-3)
    const row = f.subarray(featureCount, 2 * featureCount)
    assert.ok(Math.abs(flipFeatures(row)[4] - 0.7) < 1e-6, 'centromere at 0.3 from the top is at 0.7 upside down')
    const none = f.subarray(0, featureCount)
    assert.equal(flipFeatures(none)[4], none[4], 'no centromere: nothing to flip')
  })
})

describe('broken classifier folders are refused clearly', () => {
  it('a missing folder, a changed model file, a manifest for another task or stain', async () => {
    await assert.rejects(ChromosomeClassifier.load(path.join(os.tmpdir(), 'no-such-model')), (e: unknown) => e instanceof LabError && e.code === 'not_found' && /manifest\.json/.test(e.message))
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-chromosome-model-'))
    await cp(path.join(modelsDir, 'chromosome-gband'), dir, { recursive: true })
    const onnx = await readFile(path.join(dir, 'model.onnx'))
    onnx[onnx.length - 10] ^= 0xff
    await writeFile(path.join(dir, 'model.onnx'), onnx)
    await assert.rejects(ChromosomeClassifier.load(dir), (e: unknown) => e instanceof LabError && e.code === 'bad_input' && /sha256/.test(e.message))
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'))
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, task: 'xray-findings', variant: undefined }))
    await assert.rejects(ChromosomeClassifier.load(dir), (e: unknown) => e instanceof LabError && e.code === 'bad_input' && /task is xray-findings/.test(e.message))
    // A G-band model filed as the Q-band one would be run on Q-banded cells.
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, variant: 'qband' }))
    await assert.rejects(ChromosomeClassifier.load(dir), (e: unknown) => e instanceof LabError && e.code === 'bad_input' && /variant "qband" is not "gband"/.test(e.message))
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, variant: undefined }))
    await assert.rejects(ChromosomeClassifier.load(dir), (e: unknown) => e instanceof LabError && e.code === 'bad_input' && /must say which it is \(gband or qband\)/.test(e.message))
  })

  it('features that do not match the views', async () => {
    const classifier = await ChromosomeClassifier.load(path.join(modelsDir, 'chromosome-gband'))
    const crop = await readGreyImage(path.join(chromosomesDir, 'gband', '97002023.12', '1_0.png'))
    const views = extractViews(normaliseCrop(crop, { size: nativeCanvas, scale: 1 }), classifier.views)
    await assert.rejects(classifier.classify([views], new Float32Array(3)), (e: unknown) => e instanceof LabError && e.code === 'invalid_argument')
  })
})
