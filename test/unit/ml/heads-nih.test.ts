/**
 * Each head kind learning on real features: MobileNetV2 block-10 features of NIH ChestX-ray14 images
 * (Pneumonia vs No Finding, and the PA/AP view), split by patient. Linear and MLP heads are trained by
 * the training engine; every exported head is run through onnxruntime and must reproduce its scores.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { FeatureEntry } from '../../../preload/api'
import { repoRoot, sourceResourcesDir } from '../../../main/app/paths'
import { readManifest, sharedDatasetsDir } from '../../../main/datasets/manifest'
import { ensureMobilenet, mobilenetName, mobilenetVersion, mobilenetId } from '../../../main/ml/backbone/mobilenet'
import { extractFeatures } from '../../../main/ml/features/extract'
import {
  fitGnb,
  gnbToOnnx,
  headDataFor,
  headManifest,
  headMetrics,
  predictGnb,
  splitByGroup,
  targetsFromRows,
  trainHead,
  type ColumnTask,
  type HeadData,
  type HeadScores,
  type HeadTask,
  type TrainedHead
} from '../../../main/ml/heads'
import { ModelRegistry } from '../../../main/ml/registry/registry'
import { createAppContext } from '../../../main/app/create-context'
import { createDispatcher } from '../../../main/ipc/dispatch'
import { createHandlers } from '../../../main/ipc/handlers'
import { ModelRuntime } from '../../../main/ml/runtime/runtime'

const nihDir = path.join(sharedDatasetsDir(repoRoot), 'xray', 'nih')
const pneumonia: ColumnTask = { name: 'pneumonia', column: 'findings', type: 'sigmoid', labels: ['Pneumonia'] }
const view: ColumnTask = { name: 'view', column: 'view', type: 'softmax', labels: ['PA', 'AP'] }

/** A fixed pseudo-random order (by file name hash), so subsets mix positives and negatives. */
function shuffled(indices: number[], rows: Record<string, string>[]): number[] {
  const key = (i: number) => createHash('sha256').update(rows[i]['file']).digest('hex')
  return [...indices].sort((a, b) => key(a).localeCompare(key(b)))
}

describe('heads learning on real NIH features', () => {
  const runtime = new ModelRuntime({ settings: async () => ({ preferredDevice: 'cpu', inferenceThreads: os.availableParallelism() }) })
  let entries: FeatureEntry[]
  let targets: Record<string, Int32Array | Float32Array>
  let trainIdx: number[]
  let valIdx: number[]
  let dataDir: string

  const data = (tasks: HeadTask[], which: 'train' | 'val'): HeadData => headDataFor(entries, 'block10', targets, tasks, which === 'train' ? trainIdx : valIdx)

  /** Runs an exported head on the validation features through onnxruntime. */
  async function runOnnx(head: TrainedHead, features: HeadData): Promise<HeadScores> {
    const session = await runtime.session({ bytes: head.onnx, key: `head-${createHash('sha256').update(head.onnx).digest('hex')}` })
    const out = await session.run({ features: { dtype: 'float32', data: features.features, dims: [features.count, features.dim] } })
    return Object.fromEntries(head.tasks.map((t) => [t.name, out[t.name].data as Float32Array]))
  }

  before(async () => {
    const built = await ensureMobilenet(sourceResourcesDir)
    const manifest = await readManifest(nihDir, 'manifest.csv', ['file', 'findings', 'view', 'patient'])
    const split = splitByGroup(manifest.rows, 'patient', 0.3, 1)
    trainIdx = shuffled(split.train, manifest.rows).slice(0, 120)
    valIdx = shuffled(split.val, manifest.rows).slice(0, 80)
    const used = [...trainIdx, ...valIdx]
    const session = await runtime.session({ path: built.modelFile })
    const computed = await extractFeatures({ id: mobilenetId, manifest: built.manifest, session }, used.map((i) => ({ path: path.join(nihDir, manifest.rows[i]['file']) })))
    entries = new Array(manifest.rows.length)
    used.forEach((row, i) => (entries[row] = computed[i]))
    targets = targetsFromRows(manifest.rows, [pneumonia, view])
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-heads-'))
  })
  after(async () => {
    await runtime.releaseAll()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('splits by patient and keeps both classes on both sides', () => {
    const rowsPositive = (idx: number[]) => idx.filter((i) => targets['pneumonia'][i] === 1).length
    assert.ok(rowsPositive(trainIdx) > 30 && rowsPositive(trainIdx) < 90, `train positives ${rowsPositive(trainIdx)}`)
    assert.ok(rowsPositive(valIdx) > 20 && rowsPositive(valIdx) < 60, `val positives ${rowsPositive(valIdx)}`)
  })

  it('Gaussian naive Bayes: closed form, learns pneumonia, and its ONNX graph gives the same probabilities', async () => {
    const tasks = [pneumonia, view]
    const a = fitGnb(data(tasks, 'train'), tasks, 1e-2)
    const b = fitGnb(data(tasks, 'train'), tasks, 1e-2)
    assert.deepEqual(a, b, 'closed form: the same data give the same model')
    const val = data(tasks, 'val')
    const scores = predictGnb(a, val.features, val.count)
    const metrics = headMetrics(tasks, scores, val)
    assert.ok(metrics['val.pneumonia.auc'] > 0.75, `pneumonia AUC ${metrics['val.pneumonia.auc']}`)
    assert.ok(metrics['val.view.accuracy'] > 0.8, `view accuracy ${metrics['val.view.accuracy']}`)
    const onnx = await runOnnx({ kind: 'gnb', tasks, dim: val.dim, onnx: gnbToOnnx(a), metrics, training: { trainCount: 0, valCount: 0, seconds: 0, hyperparameters: {} } }, val)
    for (const t of tasks) {
      const diff = Math.max(...scores[t.name].map((v, i) => Math.abs(v - onnx[t.name][i])))
      assert.ok(diff < 1e-3, `${t.name}: ONNX differs by ${diff}`)
    }
  })

  it('linear head (training engine): learns pneumonia; the exported graph takes raw features and agrees', async () => {
    const head = await trainHead([pneumonia], data([pneumonia], 'train'), data([pneumonia], 'val'), { kind: 'linear', epochs: 40 })
    assert.equal(head.kind, 'linear')
    assert.ok(head.metrics['val.pneumonia.auc'] > 0.8, `AUC ${head.metrics['val.pneumonia.auc']}`)
    const val = data([pneumonia], 'val')
    const fromOnnx = headMetrics([pneumonia], await runOnnx(head, val), val)
    assert.ok(Math.abs(fromOnnx['val.pneumonia.auc'] - head.metrics['val.pneumonia.auc']) < 0.005, `${fromOnnx['val.pneumonia.auc']} vs ${head.metrics['val.pneumonia.auc']}`)
  })

  it('MLP head (hidden sizes, dropout; training engine) learns pneumonia', async () => {
    const head = await trainHead([pneumonia], data([pneumonia], 'train'), data([pneumonia], 'val'), { kind: 'mlp', mlp: { hidden: [64], dropout: 0.2 }, epochs: 40 })
    assert.equal(head.kind, 'mlp')
    assert.equal(head.training.hyperparameters['hidden'], '64')
    assert.ok(head.metrics['val.pneumonia.auc'] > 0.8, `AUC ${head.metrics['val.pneumonia.auc']}`)
    const val = data([pneumonia], 'val')
    const fromOnnx = headMetrics([pneumonia], await runOnnx(head, val), val)
    assert.ok(Math.abs(fromOnnx['val.pneumonia.auc'] - head.metrics['val.pneumonia.auc']) < 0.005)
  })

  it('multi-task head: one head, two outputs (pneumonia: sigmoid, view: softmax)', async () => {
    const tasks = [pneumonia, view]
    const head = await trainHead(tasks, data(tasks, 'train'), data(tasks, 'val'), { kind: 'linear', epochs: 40 })
    assert.ok(head.metrics['val.pneumonia.auc'] > 0.8, `pneumonia AUC ${head.metrics['val.pneumonia.auc']}`)
    assert.ok(head.metrics['val.view.accuracy'] > 0.85, `view accuracy ${head.metrics['val.view.accuracy']}`)
    const out = await runOnnx(head, data(tasks, 'val'))
    assert.equal(out['pneumonia'].length, 80)
    assert.equal(out['view'].length, 160)
    for (let i = 0; i < 80; i++) assert.ok(Math.abs(out['view'][2 * i] + out['view'][2 * i + 1] - 1) < 1e-5, 'softmax rows sum to 1')
  })

  it('auto picks among GNB, linear and MLP by validation and says why; the result registers and runs', async () => {
    const tasks = [pneumonia]
    const head = await trainHead(tasks, data(tasks, 'train'), data(tasks, 'val'), { kind: 'auto', mlp: { hidden: [64], dropout: 0.2 }, epochs: 40 })
    const candidates = head.choice!.candidates
    assert.deepEqual(candidates.map((c) => c.kind), ['gnb', 'linear', 'mlp'])
    const best = Math.max(...candidates.map((c) => c.score))
    const chosen = candidates.find((c) => c.kind === head.kind)!
    assert.ok(chosen.score >= best - 0.005, 'the chosen head is the best or within the tie margin')
    assert.ok(candidates.filter((c) => c.score > chosen.score + 1e-12).every((c) => ['gnb', 'linear', 'mlp'].indexOf(c.kind) > ['gnb', 'linear', 'mlp'].indexOf(head.kind)), 'a better-scoring candidate may lose only to a simpler one')
    assert.match(head.choice!.reason, new RegExp(`^auto chose ${head.kind}: .*gnb 0\\.\\d{3}, linear 0\\.\\d{3}, mlp 0\\.\\d{3}`))

    const manifest = headManifest(head, {
      name: 'nih-pneumonia-head',
      version: '1',
      parent: null,
      task: 'xray-findings',
      backbone: { name: mobilenetName, version: mobilenetVersion, output: 'block10' },
      datasets: [{ name: 'nih', samples: 120, split: 'train' }, { name: 'nih', samples: 80, split: 'validation' }]
    })
    assert.equal(manifest.training?.notes, head.choice!.reason)
    const registry = new ModelRegistry(dataDir, path.join(dataDir, 'no-shipped'), runtime)
    const model = await registry.import({ fileName: 'model.onnx', model: head.onnx, manifest: JSON.stringify(manifest) })
    await registry.promote(model.id)
    const active = await registry.active('xray-findings')
    assert.equal(active?.id, 'nih-pneumonia-head@1')
    const { session } = await registry.session(model.id)
    const val = data(tasks, 'val')
    const out = await session.run({ features: { dtype: 'float32', data: val.features.subarray(0, 96 * 3), dims: [3, 96] } })
    assert.deepEqual(out['pneumonia'].dims, [3, 1])
  })

  it('trains, registers and promotes a multi-task head through the heads.train IPC channel', async () => {
    const events: unknown[] = []
    const ctx = createAppContext({ dataDir: path.join(dataDir, 'ipc'), resourcesDir: sourceResourcesDir, emit: (e, p) => events.push([e, p]) })
    const dispatch = createDispatcher(createHandlers(ctx))
    const tasks = [pneumonia, view].map(({ name, type, labels }) => ({ name, type, labels }))
    const all = headDataFor(entries, 'block10', targets, tasks, [...trainIdx, ...valIdx])
    const groups = [...trainIdx, ...valIdx].map((i) => String(i % 17))
    const args = { backbone: mobilenetId, output: 'block10', tasks, features: all.features, dim: all.dim, targets: all.targets, groups, kind: 'gnb', name: 'ward-head', version: '1', modelTask: 'xray-findings', promote: true, taskId: 't1' }
    const r = await dispatch('heads.train', args)
    assert.ok(r.ok, JSON.stringify(!r.ok && r.error))
    const value = (r as { value: { model: { id: string; active: boolean; outputs: { name: string }[] }; kind: string } }).value
    assert.equal(value.model.id, 'ward-head@1')
    assert.equal(value.model.active, true)
    assert.deepEqual(value.model.outputs.map((o) => o.name), ['pneumonia', 'view'])
    assert.ok(events.some((e) => (e as [string, { state: string }])[1].state === 'done'))
    const bad = await dispatch('heads.train', { ...args, version: '2', output: 'nope' })
    assert.equal(!bad.ok && bad.error.message, `Could not train the head: ${mobilenetId} has no feature output "nope".`)
  })
})
