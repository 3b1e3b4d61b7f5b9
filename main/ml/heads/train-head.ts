/**
 * Trains a head of the requested kind, or — for 'auto' — one of each kind, and keeps the one that does
 * best on the validation set (mean validation AUC over the tasks), preferring the simpler kind when two
 * are within 0.005 of each other. The choice and every candidate's score are returned, so the user sees why.
 */
import { LabError } from '../../errors'
import { fitGnb, gnbFromStats, gnbStats, gnbToOnnx, predictGnb, type GnbModel } from './gnb'
import { checkHeadData, headMetrics, headScore } from './metrics'
import { networkHeadOnnx, trainNetworkHead } from './network'
import { headKinds, type HeadData, type HeadKind, type HeadTask, type HeadTrainOptions, type TrainedHead } from './spec'

/** Variance smoothings tried for GNB (fractions of the largest feature variance). */
export const gnbSmoothings = [1e-9, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 0.3]

const tieMargin = 0.005

function fitBestGnb(tasks: HeadTask[], trainSet: HeadData, valSet: HeadData, fixed?: number): { model: GnbModel; metrics: Record<string, number> } {
  if (fixed !== undefined) {
    const model = fitGnb(trainSet, tasks, fixed)
    return { model, metrics: headMetrics(tasks, predictGnb(model, valSet.features, valSet.count), valSet) }
  }
  const stats = gnbStats(trainSet, tasks)
  let best: { model: GnbModel; metrics: Record<string, number>; score: number } | null = null
  for (const s of gnbSmoothings) {
    const model = gnbFromStats(stats, s)
    const metrics = headMetrics(tasks, predictGnb(model, valSet.features, valSet.count), valSet)
    const score = headScore(tasks, metrics)
    if (!best || score > best.score + 1e-9) best = { model, metrics, score }
  }
  return best!
}

async function trainKind(kind: HeadKind, tasks: HeadTask[], trainSet: HeadData, valSet: HeadData, options: HeadTrainOptions): Promise<TrainedHead> {
  const started = performance.now()
  if (kind === 'gnb') {
    const { model, metrics } = fitBestGnb(tasks, trainSet, valSet, options.varSmoothing)
    return {
      kind,
      tasks,
      dim: trainSet.dim,
      onnx: gnbToOnnx(model),
      metrics,
      training: {
        trainCount: trainSet.count,
        valCount: valSet.count,
        seconds: (performance.now() - started) / 1000,
        hyperparameters: { varSmoothing: model.varSmoothing, closedForm: true }
      }
    }
  }
  const head = await trainNetworkHead(kind, tasks, trainSet, valSet, {
    mlp: options.mlp,
    epochs: options.epochs,
    seed: options.seed,
    threads: options.threads,
    signal: options.signal,
    onEpoch: (e, n) => options.onProgress?.(`${kind}: epoch ${e}/${n}`, e / n)
  })
  return {
    kind,
    tasks,
    dim: trainSet.dim,
    onnx: await networkHeadOnnx(head),
    metrics: head.metrics,
    training: { trainCount: trainSet.count, valCount: valSet.count, seconds: head.seconds, epochs: head.epochs, hyperparameters: head.hyperparameters }
  }
}

export async function trainHead(tasks: HeadTask[], trainSet: HeadData, valSet: HeadData, options: HeadTrainOptions): Promise<TrainedHead> {
  checkHeadData(tasks, trainSet, 'The training data')
  checkHeadData(tasks, valSet, 'The validation data')
  if (trainSet.dim !== valSet.dim) throw new LabError('invalid_argument', `Training features have ${trainSet.dim} values, validation features ${valSet.dim}.`)
  if (valSet.count === 0) throw new LabError('invalid_argument', 'A head needs validation data to be judged on.')
  if (options.kind !== 'auto') return trainKind(options.kind, tasks, trainSet, valSet, options)

  const candidates: TrainedHead[] = []
  for (const kind of headKinds) {
    if (options.signal?.aborted) throw new LabError('cancelled', 'Head training was cancelled.')
    options.onProgress?.(`auto: training the ${kind} head`, candidates.length / headKinds.length)
    candidates.push(await trainKind(kind, tasks, trainSet, valSet, options))
  }
  const scored = candidates.map((c) => ({ c, score: headScore(tasks, c.metrics) }))
  const top = Math.max(...scored.map((s) => s.score))
  // headKinds is ordered simplest first: the first within the margin of the best wins.
  const chosen = scored.find((s) => s.score >= top - tieMargin)!
  const what = tasks.some((t) => Number.isFinite(chosen.c.metrics[`val.${t.name}.auc`])) ? 'validation AUC' : 'validation accuracy'
  const list = scored.map((s) => `${s.c.kind} ${s.score.toFixed(3)}`).join(', ')
  const why =
    chosen.score === top
      ? `the highest ${what}`
      : `within ${tieMargin} of the best (${top.toFixed(3)}) and simpler`
  const reason = `auto chose ${chosen.c.kind}: ${why} (${what}${tasks.length > 1 ? ', mean over tasks' : ''}: ${list}; ${valSet.count} validation samples).`
  return {
    ...chosen.c,
    choice: { reason, candidates: scored.map((s) => ({ kind: s.c.kind, score: s.score, metrics: s.c.metrics })) }
  }
}
