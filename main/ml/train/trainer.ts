/**
 * The training loop: one ONNX training graph run step by step. State tensors alternate between two
 * pre-allocated sets (step k reads set A and ORT writes the updated state straight into set B, then the
 * roles swap), so no weights are copied between steps. Every run goes through ORT's own thread pool from
 * a setImmediate, so the event loop gets a turn between steps.
 */
import { createHash } from 'node:crypto'
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import { LabError } from '../../errors'
import { learningRateAt } from '../optim/schedule'
import { createSession, loadOrt } from '../runtime/ort'
import { loadCheckpoint, saveCheckpoint, type CheckpointHeader } from './checkpoint'
import { checkData, countLabels, epochOrder, fillInput, fillTargets, headWeights, splitIndices, stratifyingHead, type Labels } from './data'
import { evaluateWithSession } from './evaluate'
import { buildInferenceGraph } from './inference-graph'
import { inferShapes } from './network'
import { Random } from './random'
import { buildTrainingGraph } from './training-graph'
import type { EpochRecord, TrainData, TrainOptions, TrainProgress, TrainResult, Weights } from './types'
import { checkedWeights, initWeights } from './weights'

type Ort = Awaited<ReturnType<typeof loadOrt>>

/** Lower is better for losses, higher for everything else. */
export function lowerIsBetter(metric: string): boolean {
  return metric === 'loss' || metric.endsWith('.loss')
}

export async function train(o: TrainOptions): Promise<TrainResult> {
  const started = performance.now()
  const ort = await loadOrt()
  const spec = o.network
  const seed = o.seed ?? 1
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw new LabError('invalid_argument', `epochs must be a positive integer, got ${o.epochs}`)
  const shapes = inferShapes(spec)
  const headSizes = new Map(spec.heads.map((h) => [h.name, (shapes.outputOf.get(h.from) ?? []).reduce((a, b) => a * b, 1)]))
  const inputSizes = checkData(spec, o.data, 'Training data', headSizes, true)

  // Validation split.
  const splitRandom = new Random(seed ^ 0x51ed)
  const stratify = stratifyingHead(spec)
  let trainIdx: Int32Array = Int32Array.from({ length: o.data.count }, (_, i) => i)
  let valData: TrainData | null = null
  let valIdx: Int32Array | null = null
  const validation = o.validation === undefined ? { fraction: 0.1 } : o.validation
  if (validation && 'data' in validation) {
    checkData(spec, validation.data, 'Validation data', headSizes, true)
    valData = validation.data
    valIdx = Int32Array.from({ length: valData.count }, (_, i) => i)
  } else if (validation) {
    const split = splitIndices(o.data.count, validation.fraction, splitRandom, stratify ? (o.data.targets![stratify.name] as Labels) : undefined)
    trainIdx = split.train
    valIdx = split.val
    valData = o.data
  }
  if (trainIdx.length === 0) throw new LabError('invalid_argument', 'No training samples left after the validation split.')
  const batchSize = Math.min(o.batchSize ?? 32, trainIdx.length)
  const stepsPerEpoch = Math.floor(trainIdx.length / batchSize)
  const totalSteps = stepsPerEpoch * o.epochs

  const balance = o.balance ?? 'none'
  const counts = countLabels(spec, o.data, trainIdx, headSizes)
  const lossWeights = headWeights(spec, balance, counts, trainIdx.length, headSizes)
  const sampling = balance === 'sampling' && stratify ? { labels: o.data.targets![stratify.name] as Labels, counts: counts[stratify.name] } : undefined

  // Graphs and sessions.
  const tg = buildTrainingGraph(spec, { batchSize, optimizer: o.optimizer, seed })
  const session = await createSession(tg.bytes, { threads: o.threads })
  const evalSession = valIdx && valIdx.length ? await createSession(buildInferenceGraph(spec).graph.toModelBytes(), { threads: o.threads }) : null

  // State: two sets of buffers, alternating between input and output.
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ spec, optimizer: o.optimizer, schedule: o.schedule ?? null, batchSize, seed, balance, validation, count: o.data.count }))
    .digest('hex')
  const resumed = o.checkpoint?.resume ? await loadCheckpoint(o.checkpoint.path) : null
  if (resumed && resumed.header.fingerprint !== fingerprint) {
    throw new LabError('conflict', `The checkpoint ${o.checkpoint!.path} was made for a different network, data or settings; delete it or turn resume off.`, {
      file: o.checkpoint!.path
    })
  }
  const start = resumed ? null : o.initialWeights ? checkedWeights(spec, o.initialWeights) : initWeights(spec, seed)
  const buffers = [0, 1].map(() => tg.state.map((s) => new Float32Array(s.shape.reduce((a, b) => a * b, 1))))
  tg.state.forEach((s, i) => {
    if (resumed) {
      const saved = resumed.tensors.get(s.input)
      if (!saved || saved.length !== buffers[0][i].length) throw new LabError('bad_input', `The checkpoint ${o.checkpoint!.path} lacks ${s.input}.`)
      buffers[0][i].set(saved)
    } else if (s.kind === 'param') buffers[0][i].set(start![s.param].data)
  })
  const stateTensors = buffers.map((set) => set.map((d, i) => new ort.Tensor('float32', d, tg.state[i].shape)))

  // Per-step inputs, filled in place; the same tensor objects are fed every step.
  const dataBuffers = tg.dataInputs.map((d) => new Float32Array(d.shape.reduce((a, b) => a * b, 1)))
  const targetBuffers = tg.heads.map((h) => Object.fromEntries(h.inputs.map((i) => [i.role, new Float32Array(batchSize * h.size)])) as Record<'target' | 'a' | 'b', Float32Array | undefined>)
  const scalarBuffers = tg.scalarInputs.map(() => new Float32Array(1))
  const lossBuffers = [tg.lossOutput, ...tg.heads.map((h) => h.lossOutput)].map(() => new Float32Array(1))
  const shared: Record<string, Tensor> = {}
  tg.dataInputs.forEach((d, i) => (shared[d.name] = new ort.Tensor('float32', dataBuffers[i], d.shape)))
  tg.heads.forEach((h, k) => h.inputs.forEach((i) => (shared[i.name] = new ort.Tensor('float32', targetBuffers[k][i.role]!, [batchSize, h.size]))))
  tg.scalarInputs.forEach((name, i) => (shared[name] = new ort.Tensor('float32', scalarBuffers[i], [])))
  const lossNames = [tg.lossOutput, ...tg.heads.map((h) => h.lossOutput)]
  const lossTensors = lossBuffers.map((b) => new ort.Tensor('float32', b, []))
  const feeds = [0, 1].map((p) => {
    const f: Record<string, Tensor> = { ...shared }
    tg.state.forEach((s, i) => (f[s.input] = stateTensors[p][i]))
    return f
  })
  const fetches = [0, 1].map((p) => {
    const f: Record<string, Tensor> = {}
    lossNames.forEach((n, i) => (f[n] = lossTensors[i]))
    tg.state.forEach((s, i) => (f[s.output] = stateTensors[1 - p][i]))
    return f
  })
  // A head's loss output includes its weight; reported losses are per head as configured.

  const orderRandom = new Random(resumed ? resumed.header.random.slice(0, 4) : seed + 1)
  const augmentRandom = new Random(resumed ? resumed.header.random.slice(4, 8) : seed + 2)
  const history: EpochRecord[] = resumed ? resumed.header.history : []
  let best = resumed ? resumed.header.best : null
  let epochsSinceBest = resumed ? resumed.header.epochsSinceBest : 0
  let step = resumed ? resumed.header.step : 0
  let trainSeconds = resumed ? resumed.header.trainSeconds : 0
  let parity = 0
  const monitor = o.monitor ?? 'loss'
  const keepBest = o.keepBest ?? true
  let bestWeights: Map<string, Float32Array> | null = null
  if (resumed && best) {
    bestWeights = new Map()
    for (const s of tg.state) if (s.kind === 'param') bestWeights.set(s.param, resumed.tensors.get(`best:${s.param}`) ?? Float32Array.from(buffers[0][tg.state.indexOf(s)]))
  }
  const progressEvery = o.progressIntervalMs ?? 250
  let lastProgress = 0
  let stoppedEarly = false
  let samplesDone = 0
  const firstEpoch = resumed ? resumed.header.epoch : 0
  const stepsLeftAtStart = totalSteps - step

  const current = () => {
    const w: Weights = {}
    tg.state.forEach((s, i) => {
      if (s.kind === 'param') w[s.param] = { shape: [...s.shape], data: Float32Array.from(buffers[parity][i]) }
    })
    return w
  }
  const report = (p: Omit<TrainProgress, 'epochs' | 'totalSteps' | 'monitor' | 'samplesPerSecond' | 'etaSeconds'>) => {
    if (!o.onProgress) return
    const perStep = samplesDone ? trainSeconds / Math.max(1, step - (totalSteps - stepsLeftAtStart)) : 0
    o.onProgress({
      ...p,
      epochs: o.epochs,
      totalSteps,
      monitor,
      samplesPerSecond: samplesDone ? samplesDone / Math.max(1e-9, sessionSeconds) : 0,
      etaSeconds: perStep * Math.max(0, totalSteps - step)
    })
  }
  let sessionSeconds = 0

  try {
    for (let epoch = firstEpoch; epoch < o.epochs; epoch++) {
      const epochStart = performance.now()
      const order = epochOrder(trainIdx, orderRandom, sampling)
      let lossSum = 0
      let lossCount = 0
      let lr = o.optimizer.learningRate
      for (let b = 0; b < stepsPerEpoch; b++) {
        if (o.signal?.aborted) throw new LabError('cancelled', 'Training was cancelled.')
        const stepStart = performance.now()
        const batch = order.subarray(b * batchSize, (b + 1) * batchSize)
        const info = { training: true, epoch, random: () => augmentRandom.next() }
        spec.inputs.forEach((input, i) => fillInput(o.data.inputs[input.name], inputSizes.get(input.name)!, batch, dataBuffers[i], info))
        tg.heads.forEach((h, k) => fillTargets(h.head, h.size, o.data.targets![h.head.name] as Labels, batch, lossWeights.get(h.head.name)!, targetBuffers[k]))
        lr = learningRateAt(o.schedule, o.optimizer.learningRate, { epoch, step, stepsPerEpoch, epochs: o.epochs })
        const hp = tg.optimizer.scalars(step + 1, lr)
        tg.scalarInputs.forEach((name, i) => (scalarBuffers[i][0] = hp[name.slice(3)]))

        const out = await session.run(feeds[parity], fetches[parity])
        adoptOutputs(out, fetches[parity])
        parity = 1 - parity
        step++
        const loss = lossBuffers[0][0]
        if (!Number.isFinite(loss)) {
          throw new LabError('bad_input', `Training diverged at epoch ${epoch + 1}, step ${step}: the loss is ${loss}. Try a lower learning rate or gradient clipping.`)
        }
        lossSum += loss
        lossCount++
        samplesDone += batchSize
        const dt = (performance.now() - stepStart) / 1000
        sessionSeconds += dt
        trainSeconds += dt
        const now = performance.now()
        if (now - lastProgress >= progressEvery) {
          lastProgress = now
          report({ phase: 'train', epoch: epoch + 1, step, loss: lossSum / lossCount, valMetric: best?.metrics[monitor] ?? NaN })
        }
      }

      let val: Record<string, number> = {}
      if (evalSession && valData && valIdx) {
        const params: Record<string, Tensor> = {}
        tg.state.forEach((s, i) => {
          if (s.kind === 'param') params[s.input] = stateTensors[parity][i]
        })
        val = await evaluateWithSession(evalSession, spec, params, valData, valIdx, headSizes, inputSizes, { epoch })
        if (!(monitor in val)) {
          throw new LabError('invalid_argument', `Cannot monitor "${monitor}": validation gives ${Object.keys(val).join(', ')}.`)
        }
      }
      history.push({ epoch: epoch + 1, trainLoss: lossSum / Math.max(1, lossCount), learningRate: lr, val, seconds: (performance.now() - epochStart) / 1000 })

      const value = val[monitor]
      if (value !== undefined && Number.isFinite(value)) {
        const minDelta = o.earlyStopping?.minDelta ?? 0
        const improved = !best || (lowerIsBetter(monitor) ? value < best.value - minDelta : value > best.value + minDelta)
        if (improved) {
          best = { epoch: epoch + 1, value, metrics: val }
          epochsSinceBest = 0
          if (keepBest) {
            bestWeights = new Map()
            tg.state.forEach((s, i) => s.kind === 'param' && bestWeights!.set(s.param, Float32Array.from(buffers[parity][i])))
          }
        } else epochsSinceBest++
      }
      report({ phase: 'validate', epoch: epoch + 1, step, loss: lossSum / Math.max(1, lossCount), valMetric: value ?? NaN })

      if (o.checkpoint) {
        const tensors = new Map<string, Float32Array>()
        tg.state.forEach((s, i) => tensors.set(s.input, buffers[parity][i]))
        if (bestWeights) for (const [name, data] of bestWeights) tensors.set(`best:${name}`, data)
        const header: CheckpointHeader = {
          fingerprint,
          epoch: epoch + 1,
          step,
          random: [...orderRandom.state, ...augmentRandom.state],
          history,
          best,
          epochsSinceBest,
          trainSeconds
        }
        await saveCheckpoint(o.checkpoint.path, header, tensors)
      }
      if (o.earlyStopping && epochsSinceBest >= o.earlyStopping.patience) {
        stoppedEarly = true
        break
      }
    }
  } finally {
    await session.release()
    await evalSession?.release()
  }

  const useBest = keepBest && best && bestWeights
  const weights = current()
  if (useBest) for (const [name, data] of bestWeights!) weights[name].data = data
  const finalVal = useBest ? best!.metrics : (history.at(-1)?.val ?? {})
  const metrics: Record<string, number> = {}
  for (const [k, v] of Object.entries(finalVal)) metrics[`val.${k}`] = v
  metrics['train.loss'] = history.at(-1)?.trainLoss ?? NaN
  const result: TrainResult = {
    weights,
    metrics,
    history,
    epochsRun: history.length,
    bestEpoch: useBest ? best!.epoch : history.length,
    stoppedEarly,
    seconds: (performance.now() - started) / 1000,
    samplesPerSecond: samplesDone / Math.max(1e-9, sessionSeconds),
    trainCount: trainIdx.length,
    valCount: valIdx?.length ?? 0,
    classCounts: Object.fromEntries(
      Object.entries(counts).map(([head, c]) => {
        const labels = spec.heads.find((h) => h.name === head)?.labels
        return [head, Object.fromEntries(c.map((n, i) => [labels?.[i] ?? String(i), n]))]
      })
    )
  }
  report({ phase: 'done', epoch: history.length, step, loss: result.metrics['train.loss'], valMetric: best?.value ?? NaN })
  return result
}

/**
 * ORT writes into pre-allocated outputs; should a build hand back new buffers instead, copy them into
 * ours so the alternation stays correct.
 */
function adoptOutputs(out: InferenceSession.OnnxValueMapType, fetches: Record<string, Tensor>): void {
  for (const name in fetches) {
    const got = out[name] as Tensor | undefined
    const mine = fetches[name]
    if (got && got.data !== mine.data) (mine.data as Float32Array).set(got.data as Float32Array)
  }
}

export type { Ort }
