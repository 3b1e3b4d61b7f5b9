/**
 * Training inside onnxruntime-node — the public API. A network is data (NetworkSpec); `train()` builds one
 * ONNX graph holding forward pass, backward pass and optimizer update, runs it step by step as an ordinary
 * InferenceSession (through main/ml/runtime/ort.ts) and feeds the updated weights back in.
 *
 * ## MLP head on cached backbone features (issue 4)
 * ```ts
 * import { train, predict, evaluate, toTaskProgress, type NetworkSpec } from '../ml/train'
 * import { exportModel, writeModel } from '../ml/export'
 *
 * const network: NetworkSpec = {
 *   inputs: [{ name: 'features', shape: [1280] }],
 *   layers: [
 *     { type: 'dense', units: 256 }, { type: 'relu' }, { type: 'dropout', rate: 0.2 },
 *     { type: 'dense', units: 14, name: 'logits' }
 *   ],
 *   heads: [{ name: 'findings', from: 'logits', loss: { type: 'sigmoid-binary-cross-entropy' }, labels: FINDINGS }]
 * }
 * const result = await train({
 *   network,
 *   // features: Float32Array n×1280; findings: Float32Array n×14 of 0/1, NaN = unknown
 *   data: { count: n, inputs: { features }, targets: { findings } },
 *   validation: { fraction: 0.15 },            // or { data: {...} } or null
 *   epochs: 40, batchSize: 64, seed: 7,
 *   optimizer: { type: 'adamw', learningRate: 1e-3, weightDecay: 1e-2, clipGradientNorm: 5 },
 *   schedule: { type: 'cosine' },              // or { type: 'step', everyEpochs: 10, gamma: 0.1 }
 *   balance: 'weights',                        // inverse-frequency loss weights ('sampling' | 'none')
 *   monitor: 'findings.auc', earlyStopping: { patience: 6 },   // best epoch's weights are returned
 *   onProgress: (p) => ctx.emit('task.progress', toTaskProgress(taskId, p)),
 *   signal,                                    // AbortSignal → rejects with LabError('cancelled')
 *   checkpoint: { path: join(dir, 'train.ckpt'), resume: true }
 * })
 * result.metrics                 // { 'val.loss': …, 'val.findings.auc': …, … } of the returned weights
 * const test = await evaluate(network, result.weights, testData)   // { loss, 'findings.auc', 'findings.accuracy', … }
 * const scores = await predict(network, result.weights, { count, inputs })  // { findings: Float32Array n×14 probabilities }
 * const model = await exportModel(network, result.weights, {
 *   name: 'xray-findings-head', version: '2025.1', parent: null, task: 'xray-findings',
 *   inputs: { features: { features: { backbone: 'mobilenet-v2', version: '1', output: 'features' } } },
 *   training: result, datasets: [{ name: 'nih', samples: n }], metrics: { 'test.auc': test['findings.auc'] }
 * })                             // { onnx: Uint8Array (plain inference graph), manifest: ModelManifest }
 * await writeModel(dir, model)   // dir/model.onnx + dir/manifest.json (sha256 filled in)
 * ```
 *
 * ## Chromosome CNN: two views, shared trunk, two heads (issue 5)
 * ```ts
 * const trunk = (view: string, p: string): LayerSpec[] => [
 *   { name: `${p}c1`, from: view, type: 'conv', filters: 16, kernel: 3, padding: 1, shareWeightsWith: p === 'l' ? 'gc1' : undefined },
 *   ...                                        // shareWeightsWith: reuse another layer's parameters
 * ]
 * const network: NetworkSpec = {
 *   inputs: [{ name: 'global', shape: [1, 64, 64] }, { name: 'local', shape: [1, 64, 64] }],
 *   layers: [
 *     ...trunk('global', 'g'), ...trunk('local', 'l'),
 *     { type: 'concat', from: ['gpool', 'lpool'], name: 'joined' },
 *     { type: 'dense', units: 24, from: 'joined', name: 'typeLogits' },
 *     { type: 'dense', units: 1, from: 'joined', name: 'polarityLogit' }
 *   ],
 *   heads: [
 *     { name: 'type', from: 'typeLogits', loss: { type: 'softmax-cross-entropy', labelSmoothing: 0.05 }, labels: TYPES },
 *     { name: 'polarity', from: 'polarityLogit', loss: { type: 'sigmoid-binary-cross-entropy' }, weight: 0.5 }
 *   ]
 * }
 * // targets: { type: Int32Array n (class index, -1 = none), polarity: Float32Array n (0/1) }
 * // inputs may be readers, for large sets or augmentation:
 * //   global: (i, out, { training, random }) => fillView(i, out, training ? random : null)
 * ```
 *
 * ## Layers and losses
 * dense, conv (stride, padding number|'same', groups incl. depthwise), batchnorm (batch statistics in
 * training, running statistics in evaluation/export), maxpool, avgpool, globalavgpool (includes the
 * flatten), flatten, reshape, concat, add, relu, leakyrelu, sigmoid, tanh, softmax, logsoftmax, dropout.
 * Losses: softmax cross-entropy (class weights, label smoothing, -1 ignored), sigmoid BCE (multi-label,
 * positive weights, NaN ignored), mean squared error. Heads' losses are summed with their weights; each
 * follows PyTorch's semantics (CrossEntropyLoss with weight/label_smoothing, BCEWithLogitsLoss with
 * pos_weight, averaged over the labels present). Weights are named `<layer>.weight`, `<layer>.bias`
 * (batchnorm: `.scale .bias .runningMean .runningVar`) in PyTorch layouts; `initWeights(network, seed)`
 * makes PyTorch-default initial weights; pass `initialWeights` to continue from a parent model.
 *
 * Metrics per head (evaluate(), validation, `monitor`): softmax → accuracy, auc (macro one-vs-rest;
 * class 1's AUC for two classes), loss (plain mean cross-entropy); BCE → auc (macro over labels with both
 * classes), accuracy (at 0.5), loss; MSE → loss. 'loss' alone is the heads' weighted sum. 'loss' and
 * '<head>.loss' are minimised, the others maximised.
 *
 * ## Behaviour worth knowing
 * - Batches have a fixed size (the graph's shapes are static); the last incomplete batch of an epoch is
 *   skipped, and samples are reshuffled every epoch (seeded). With fewer samples than the batch size the
 *   batch is the whole training split.
 * - Progress: `TrainProgress` {phase 'train'|'validate'|'done', epoch, epochs, step, totalSteps, loss,
 *   valMetric, monitor, samplesPerSecond, etaSeconds}; `toTaskProgress(taskId, p)` makes the contract's
 *   `task.progress` payload.
 * - Each onnxruntime run (one optimizer step for conv nets; `stepsPerRun`, default 8, for networks
 *   without convolutions) is started from a setImmediate: the event loop gets a turn between runs (a run
 *   blocks for its own duration: milliseconds for heads). Progress and cancellation act between runs.
 * - Dropout masks come from onnxruntime's generator; everything else (split, shuffling, initial
 *   weights, readers' `random`) from `seed`. Resuming from a checkpoint reproduces an uninterrupted run
 *   exactly when the network has no dropout.
 * - Errors are LabErrors: 'invalid_argument' (spec/data/options, message names the layer/input/head),
 *   'cancelled', 'conflict' (checkpoint from other settings), 'bad_input' (diverged loss, bad checkpoint).
 *
 * Lower levels, for new work: main/ml/graph (ONNX builder and typed ops), main/ml/autodiff (`backward`),
 * main/ml/optim (optimizer update nodes, schedules), `StepRunner` (one training step at a time, e.g.
 * for custom loops and the benchmark), `buildInferenceGraph` (the network in inference mode).
 */
export type * from './spec'
export type * from './types'
export { train } from './trainer'
export { predict, evaluate } from './evaluate'
export { initWeights } from './weights'
export { toTaskProgress } from './progress'
export { rocAuc, classificationMetrics, multiLabelMetrics } from './metrics'
export { networkParams, inferShapes } from './network'
export { loadCheckpoint } from './checkpoint'
export { StepRunner } from './step-runner'
export { buildInferenceGraph } from './inference-graph'
