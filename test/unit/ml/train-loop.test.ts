/**
 * The training loop's behaviour on small synthetic problems: two heads on a shared trunk, loss semantics
 * (class weights, label smoothing, positive weights, missing labels), class balancing, keep-best and early
 * stopping, progress events, cancellation, resuming from a checkpoint, bad input, and the event loop.
 */
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { LabError } from '../../../main/errors'
import { evaluate, initWeights, predict, toTaskProgress, train, type NetworkSpec, type TrainData, type TrainProgress } from '../../../main/ml/train'
import { Random } from '../../../main/ml/train/random'
import { StepRunner } from '../../../main/ml/train/step-runner'
import { fillTargets, headWeights } from '../../../main/ml/train/data'

function gaussian(r: Random) {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next())
}

/** x ∈ R^8; class = argmax of three fixed projections; two binary labels from signs, some missing. */
function multiTask(count: number, seed: number, missing = 0.2): TrainData {
  const r = new Random(seed)
  const x = new Float32Array(count * 8)
  const cls = new Int32Array(count)
  const flags = new Float32Array(count * 2)
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < 8; k++) x[i * 8 + k] = gaussian(r)
    const v = x.subarray(i * 8, i * 8 + 8)
    const scores = [v[0] + v[1], v[2] - v[3], v[4] + 0.5 * v[5]]
    cls[i] = scores.indexOf(Math.max(...scores))
    flags[i * 2] = r.next() < missing ? NaN : v[6] > 0 ? 1 : 0
    flags[i * 2 + 1] = r.next() < missing ? NaN : v[0] - v[7] > 0 ? 1 : 0
  }
  return { count, inputs: { x }, targets: { kind: cls, flags } }
}

const twoHeads: NetworkSpec = {
  inputs: [{ name: 'x', shape: [8] }],
  layers: [
    { type: 'dense', units: 32, name: 'trunk' },
    { type: 'relu', name: 'act' },
    { type: 'dense', units: 3, from: 'act', name: 'kindLogits' },
    { type: 'dense', units: 2, from: 'act', name: 'flagLogits' }
  ],
  heads: [
    { name: 'kind', from: 'kindLogits', loss: { type: 'softmax-cross-entropy' }, labels: ['a', 'b', 'c'] },
    { name: 'flags', from: 'flagLogits', loss: { type: 'sigmoid-binary-cross-entropy' }, weight: 0.5, labels: ['p', 'q'] }
  ]
}

describe('training loop', () => {
  it('trains two heads on a shared trunk, with missing multi-label targets', async () => {
    const result = await train({
      network: twoHeads,
      data: multiTask(1200, 1),
      validation: { data: multiTask(300, 2) },
      epochs: 15,
      batchSize: 32,
      optimizer: { type: 'adamw', learningRate: 0.01 },
      monitor: 'kind.accuracy',
      threads: 1
    })
    const test = await evaluate(twoHeads, result.weights, multiTask(400, 3))
    assert.ok(test['kind.accuracy'] > 0.9, `kind accuracy ${test['kind.accuracy']}`)
    assert.ok(test['flags.auc'] > 0.95, `flags AUC ${test['flags.auc']}`)
    assert.deepEqual(Object.keys(result.classCounts).sort(), ['flags', 'kind'])
    assert.equal(result.classCounts.kind.a + result.classCounts.kind.b + result.classCounts.kind.c, 1200)
  })

  it('reports the loss PyTorch would (class weights + label smoothing; positive weights + masked labels)', async () => {
    const data = multiTask(16, 4, 0.3)
    const weights = initWeights(twoHeads, 9)
    const network: NetworkSpec = {
      ...twoHeads,
      heads: [
        { ...twoHeads.heads[0], loss: { type: 'softmax-cross-entropy', classWeights: [0.5, 2, 1], labelSmoothing: 0.1 } },
        { ...twoHeads.heads[1], loss: { type: 'sigmoid-binary-cross-entropy', positiveWeights: [3, 0.5] } }
      ]
    }
    const probs = await predict(network, weights, data, { threads: 1 })
    const runner = await StepRunner.create(network, { batchSize: 16, optimizer: { type: 'sgd', learningRate: 0.1 }, seed: 1, threads: 1 })
    runner.load({ weights })
    runner.inputs.get('x')!.set(data.inputs.x as Float32Array)
    const batch = Int32Array.from({ length: 16 }, (_, i) => i)
    const lw = headWeights(network, 'none', {}, 16, new Map([['kind', 3], ['flags', 2]]))
    for (const h of runner.graph.heads) fillTargets(h.head, h.size, data.targets![h.head.name], batch, lw.get(h.head.name)!, runner.targets.get(h.head.name)!)
    const [loss] = await runner.run(1, [0.1])
    await runner.release()

    // torch.nn.CrossEntropyLoss(weight=w, label_smoothing=ε): Σ_n [(1−ε)·w[y]·(−log p_y) + ε/C·Σ_c w_c·(−log p_c)] / Σ_n w[y_n]
    const w = [0.5, 2, 1]
    const eps = 0.1
    let ce = 0
    let wsum = 0
    const y = data.targets!.kind as Int32Array
    for (let n = 0; n < 16; n++) {
      const p = probs.kind.subarray(n * 3, n * 3 + 3)
      ce += (1 - eps) * w[y[n]] * -Math.log(p[y[n]])
      for (let c = 0; c < 3; c++) ce += (eps / 3) * w[c] * -Math.log(p[c])
      wsum += w[y[n]]
    }
    ce /= wsum
    // BCEWithLogitsLoss(pos_weight) per element, averaged over the labels that are present.
    const pw = [3, 0.5]
    const t = data.targets!.flags as Float32Array
    let bce = 0
    let present = 0
    for (let i = 0; i < 32; i++) {
      if (Number.isNaN(t[i])) continue
      const p = probs.flags[i]
      bce += -(pw[i % 2] * t[i] * Math.log(p) + (1 - t[i]) * Math.log(1 - p))
      present++
    }
    bce /= present
    const expected = ce + 0.5 * bce
    assert.ok(Math.abs(loss - expected) < 1e-5 * expected, `graph loss ${loss}, expected ${expected}`)
  })

  it('class balancing raises the minority class recall', async () => {
    const r = new Random(5)
    const count = 2000
    const x = new Float32Array(count)
    const yv = new Int32Array(count)
    for (let i = 0; i < count; i++) {
      yv[i] = i % 10 === 0 ? 1 : 0
      x[i] = gaussian(r) + (yv[i] ? 1.5 : 0)
    }
    const network: NetworkSpec = {
      inputs: [{ name: 'x', shape: [1] }],
      layers: [{ type: 'dense', units: 2, name: 'logits' }],
      heads: [{ name: 'y', from: 'logits', loss: { type: 'softmax-cross-entropy' } }]
    }
    const recall = async (balance: 'none' | 'weights' | 'sampling') => {
      const result = await train({
        network,
        data: { count, inputs: { x }, targets: { y: yv } },
        validation: null,
        epochs: 8,
        batchSize: 50,
        balance,
        optimizer: { type: 'sgd', learningRate: 0.5, momentum: 0.9 },
        threads: 1
      })
      const p = (await predict(network, result.weights, { count, inputs: { x } })).y
      let hit = 0
      for (let i = 0; i < count; i += 10) hit += p[i * 2 + 1] > 0.5 ? 1 : 0
      return hit / (count / 10)
    }
    const plain = await recall('none')
    const weighted = await recall('weights')
    const sampled = await recall('sampling')
    assert.ok(weighted > plain + 0.3, `recall: none ${plain}, weights ${weighted}`)
    assert.ok(sampled > plain + 0.3, `recall: none ${plain}, sampling ${sampled}`)
  })

  it('keeps the best epoch, stops early, and reports progress in the task.progress shape', async () => {
    const val = multiTask(200, 7)
    const events: TrainProgress[] = []
    const result = await train({
      network: twoHeads,
      data: multiTask(300, 6),
      validation: { data: val },
      epochs: 60,
      batchSize: 20,
      // A learning rate this high makes the validation loss wander: early stopping has work to do.
      optimizer: { type: 'sgd', learningRate: 0.3, momentum: 0.9 },
      earlyStopping: { patience: 3 },
      progressIntervalMs: 0,
      onProgress: (p) => events.push(p),
      threads: 1
    })
    assert.ok(result.stoppedEarly, `ran all ${result.epochsRun} epochs`)
    assert.equal(result.epochsRun - result.bestEpoch, 3)
    const best = Math.min(...result.history.map((h) => h.val.loss))
    assert.equal(result.metrics['val.loss'], best)
    // The returned weights are the best epoch's: evaluating them gives the recorded validation loss.
    const again = await evaluate(twoHeads, result.weights, val)
    assert.ok(Math.abs(again.loss - best) < 1e-6, `${again.loss} vs ${best}`)

    assert.ok(events.some((e) => e.phase === 'train') && events.some((e) => e.phase === 'validate') && events.at(-1)!.phase === 'done')
    const steps = events.map((e) => e.step)
    assert.deepEqual(steps, [...steps].sort((a, b) => a - b))
    const mid = events.find((e) => e.phase === 'validate' && e.epoch === 2)!
    assert.ok(mid.samplesPerSecond > 0 && mid.etaSeconds >= 0 && Number.isFinite(mid.valMetric))
    const task = toTaskProgress('t1', mid)
    assert.equal(task.stage, 'train')
    assert.equal(task.state, 'running')
    assert.equal(task.done, mid.step)
    assert.equal(task.total, mid.totalSteps)
    assert.ok(task.metrics && Number.isFinite(task.metrics.loss) && Number.isFinite(task.metrics.etaSeconds))
    assert.equal(toTaskProgress('t1', events.at(-1)!).state, 'done')
  })

  it('cancels through an AbortSignal and resumes from the checkpoint to the same weights', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lightbox-ckpt-'))
    const checkpoint = path.join(dir, 'run.ckpt')
    const base = {
      network: twoHeads,
      data: multiTask(400, 8),
      validation: { fraction: 0.2 },
      epochs: 5,
      batchSize: 25,
      seed: 4,
      optimizer: { type: 'adamw', learningRate: 0.005 } as const,
      schedule: { type: 'cosine' } as const,
      progressIntervalMs: 0,
      threads: 1
    }
    const straight = await train(base)

    const controller = new AbortController()
    await assert.rejects(
      train({ ...base, checkpoint: { path: checkpoint, resume: true }, signal: controller.signal, onProgress: (p) => p.epoch === 3 && p.phase === 'train' && controller.abort() }),
      (e: unknown) => e instanceof LabError && e.code === 'cancelled'
    )
    let resumedFrom = 0
    const resumed = await train({ ...base, checkpoint: { path: checkpoint, resume: true }, onProgress: (p) => (resumedFrom ||= p.epoch) })
    assert.equal(resumedFrom, 3, 'resumed at epoch 3 (epochs 1–2 were checkpointed)')
    assert.equal(resumed.history.length, 5)
    for (const [name, w] of Object.entries(straight.weights)) assert.deepEqual(resumed.weights[name].data, w.data, `${name} differs after resuming`)

    await assert.rejects(
      train({ ...base, seed: 99, checkpoint: { path: checkpoint, resume: true } }),
      (e: unknown) => e instanceof LabError && e.code === 'conflict'
    )
  })

  it('several optimizer steps per onnxruntime run give the same weights as one step per run', async () => {
    const base = {
      network: twoHeads,
      data: multiTask(330, 14),
      validation: null,
      epochs: 2,
      batchSize: 30,
      optimizer: { type: 'adamw', learningRate: 0.01, clipGradientNorm: 1 } as const,
      threads: 1
    }
    const one = await train({ ...base, stepsPerRun: 1 })
    // 11 steps per epoch: runs of 4, 4 and a remainder of 3 single steps.
    const four = await train({ ...base, stepsPerRun: 4 })
    for (const [name, w] of Object.entries(one.weights)) {
      const other = four.weights[name].data
      w.data.forEach((v, i) => assert.ok(Math.abs(v - other[i]) <= 1e-6 * Math.max(1, Math.abs(v)), `${name}[${i}]: ${v} vs ${other[i]}`))
    }
    assert.equal(one.history[1].trainLoss.toFixed(6), four.history[1].trainLoss.toFixed(6))
  })

  it('an autoencoder trains with mean squared error', async () => {
    const r = new Random(11)
    const count = 512
    const x = new Float32Array(count * 6)
    for (let i = 0; i < count; i++) {
      const a = gaussian(r)
      const b = gaussian(r)
      x.set([a, b, a + b, a - b, 0.5 * a, -b], i * 6)
    }
    const network: NetworkSpec = {
      inputs: [{ name: 'x', shape: [6] }],
      layers: [{ type: 'dense', units: 2, name: 'code' }, { type: 'dense', units: 6, name: 'recon' }],
      heads: [{ name: 'recon', from: 'recon', loss: { type: 'mean-squared-error' } }]
    }
    const result = await train({
      network,
      data: { count, inputs: { x }, targets: { recon: x } },
      validation: { fraction: 0.2 },
      epochs: 30,
      batchSize: 32,
      optimizer: { type: 'adamw', learningRate: 0.02, weightDecay: 0 },
      threads: 1
    })
    assert.ok(result.history[0].val.loss > 0.5 && result.metrics['val.loss'] < 0.01, `MSE ${result.history[0].val.loss} → ${result.metrics['val.loss']}`)
  })

  it('rejects bad data and bad specs with messages that name the problem', async () => {
    const data = multiTask(50, 12)
    const opts = { network: twoHeads, epochs: 1, optimizer: { type: 'sgd', learningRate: 0.1 } as const }
    await assert.rejects(train({ ...opts, data: { ...data, count: 49 } }), /input "x" has 400 values; 49 samples of \[8\] need 392/)
    await assert.rejects(train({ ...opts, data: { ...data, targets: { ...data.targets, kind: new Int32Array(50).fill(3) } } }), /head "kind" sample 0 has class 3; classes are 0\.\.2/)
    const broken: NetworkSpec = { ...twoHeads, layers: [...twoHeads.layers, { type: 'dense', units: 2, from: 'nowhere' }] }
    await assert.rejects(train({ ...opts, network: broken, data }), (e: unknown) => e instanceof LabError && /reads "nowhere"/.test(e.message))
    await assert.rejects(train({ ...opts, data, monitor: 'kind.f1' }), /Cannot monitor "kind.f1"/)
  })

  it('never blocks the event loop for long: timers keep firing while it trains', async () => {
    let ticks = 0
    const timer = setInterval(() => ticks++, 5)
    const started = performance.now()
    await train({ network: twoHeads, data: multiTask(2000, 13), validation: null, epochs: 4, batchSize: 16, optimizer: { type: 'sgd', learningRate: 0.05 }, threads: 1 })
    clearInterval(timer)
    const elapsed = performance.now() - started
    // A 5 ms timer that could only run between whole epochs would fire a handful of times.
    assert.ok(ticks > elapsed / 5 / 4, `${ticks} ticks in ${elapsed.toFixed(0)} ms`)
  })
})
