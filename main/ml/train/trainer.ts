/**
 * The training loop: seeded split and shuffling, batches filled in place, one StepRunner step per batch,
 * validation after each epoch, keep-best, early stopping, checkpoints and progress. Every ORT run is
 * started from a setImmediate (onnxruntime-node's run), so the event loop gets a turn between steps.
 */
import { createHash } from 'node:crypto'
import { LabError } from '../../errors'
import { learningRateAt } from '../optim/schedule'
import { createSession } from '../runtime/ort'
import { loadCheckpoint, saveCheckpoint, type CheckpointHeader } from './checkpoint'
import { checkData, countLabels, epochOrder, fillInput, fillTargets, headWeights, splitIndices, stratifyingHead, type Labels } from './data'
import { evaluateWithSession } from './evaluate'
import { buildInferenceGraph } from './inference-graph'
import { inferShapes } from './network'
import { Random } from './random'
import { StepRunner } from './step-runner'
import type { NetworkSpec } from './spec'
import type { EpochRecord, TrainData, TrainOptions, TrainProgress, TrainResult } from './types'
import { checkedWeights, initWeights } from './weights'

/**
 * Optimizer steps per onnxruntime run: several for networks without convolutions (small heads, where
 * moving the state across the JS boundary is a large part of a step: the 1280→256→24 head ran at about
 * 190, 245 and 290 steps/s with 1, 4 and 8 steps per run), one for convolutional networks (where the
 * step's own work dominates and the graph would only grow).
 */
export function defaultStepsPerRun(spec: NetworkSpec): number {
  return spec.layers.some((l) => l.type === 'conv') ? 1 : 8
}

/** Lower is better for losses, higher for everything else. */
export function lowerIsBetter(metric: string): boolean {
  return metric === 'loss' || metric.endsWith('.loss')
}

export async function train(o: TrainOptions): Promise<TrainResult> {
  const started = performance.now()
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
  const stepsPerRun = Math.max(1, Math.min(o.stepsPerRun ?? defaultStepsPerRun(spec), stepsPerEpoch))
  const runner = await StepRunner.create(spec, { batchSize, optimizer: o.optimizer, seed, threads: o.threads, stepsPerRun })
  const tg = runner.graph
  const evalSession = valIdx && valIdx.length ? await createSession(buildInferenceGraph(spec).graph.toModelBytes(), { threads: o.threads, allowSpinning: false }) : null

  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ spec, optimizer: o.optimizer, schedule: o.schedule ?? null, batchSize, seed, balance, validation, count: o.data.count }))
    .digest('hex')
  const resumed = o.checkpoint?.resume ? await loadCheckpoint(o.checkpoint.path) : null
  if (resumed && resumed.header.fingerprint !== fingerprint) {
    await runner.release()
    await evalSession?.release()
    throw new LabError('conflict', `The checkpoint ${o.checkpoint!.path} was made for a different network, data or settings; delete it or turn resume off.`, {
      file: o.checkpoint!.path
    })
  }
  runner.load(resumed ? { saved: resumed.tensors } : { weights: o.initialWeights ? checkedWeights(spec, o.initialWeights) : initWeights(spec, seed) })

  const orderRandom = new Random(resumed ? resumed.header.random.slice(0, 4) : seed + 1)
  const augmentRandom = new Random(resumed ? resumed.header.random.slice(4, 8) : seed + 2)
  const history: EpochRecord[] = resumed ? resumed.header.history : []
  let best = resumed ? resumed.header.best : null
  let epochsSinceBest = resumed ? resumed.header.epochsSinceBest : 0
  let step = resumed ? resumed.header.step : 0
  let trainSeconds = resumed ? resumed.header.trainSeconds : 0
  const monitor = o.monitor ?? 'loss'
  const keepBest = o.keepBest ?? true
  let bestWeights: Map<string, Float32Array> | null = null
  if (resumed && best) {
    bestWeights = new Map()
    for (const s of tg.state) if (s.kind === 'param') bestWeights.set(s.param, resumed.tensors.get(`best:${s.param}`) ?? Float32Array.from(resumed.tensors.get(s.input)!))
  }
  const progressEvery = o.progressIntervalMs ?? 250
  let lastProgress = 0
  let stoppedEarly = false
  let samplesDone = 0
  const firstEpoch = resumed ? resumed.header.epoch : 0
  const stepsLeftAtStart = totalSteps - step

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
      for (let b = 0; b < stepsPerEpoch; b += stepsPerRun) {
        if (o.signal?.aborted) throw new LabError('cancelled', 'Training was cancelled.')
        const stepStart = performance.now()
        const n = Math.min(stepsPerRun, stepsPerEpoch - b)
        const info = { training: true, epoch, random: () => augmentRandom.next() }
        const lrs: number[] = []
        for (let k = 0; k < n; k++) {
          const batch = order.subarray((b + k) * batchSize, (b + k + 1) * batchSize)
          for (const input of spec.inputs) {
            const size = inputSizes.get(input.name)!
            fillInput(o.data.inputs[input.name], size, batch, runner.inputs.get(input.name)!.subarray(k * batchSize * size, (k + 1) * batchSize * size), info)
          }
          for (const h of tg.heads) {
            const per = batchSize * h.size
            const roles = runner.targets.get(h.head.name)!
            const at = (r: Float32Array | undefined) => r?.subarray(k * per, (k + 1) * per)
            fillTargets(h.head, h.size, o.data.targets![h.head.name] as Labels, batch, lossWeights.get(h.head.name)!, { target: at(roles.target), a: at(roles.a), b: at(roles.b) })
          }
          lrs.push(learningRateAt(o.schedule, o.optimizer.learningRate, { epoch, step: step + k, stepsPerEpoch, epochs: o.epochs }))
        }
        const losses = await runner.run(step + 1, lrs)
        lr = lrs[n - 1]
        for (const loss of losses) {
          step++
          if (!Number.isFinite(loss)) {
            throw new LabError('bad_input', `Training diverged at epoch ${epoch + 1}, step ${step}: the loss is ${loss}. Try a lower learning rate or gradient clipping.`)
          }
          lossSum += loss
          lossCount++
        }
        samplesDone += n * batchSize
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
        val = await evaluateWithSession(evalSession, spec, runner.paramTensors(), valData, valIdx, headSizes, inputSizes, { epoch })
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
            const live = runner.current()
            tg.state.forEach((s, i) => s.kind === 'param' && bestWeights!.set(s.param, Float32Array.from(live[i])))
          }
        } else epochsSinceBest++
      }
      report({ phase: 'validate', epoch: epoch + 1, step, loss: lossSum / Math.max(1, lossCount), valMetric: value ?? NaN })

      if (o.checkpoint) {
        const tensors = new Map<string, Float32Array>()
        const live = runner.current()
        tg.state.forEach((s, i) => tensors.set(s.input, live[i]))
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
    await runner.release()
    await evalSession?.release()
  }

  const useBest = keepBest && best && bestWeights
  const weights = runner.weights()
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

