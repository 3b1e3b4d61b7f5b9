/**
 * `lightbox train-xray`: trains the X-ray heads from dataset folders and writes them as model folders
 * (or imports them into the registry). Features come through the feature cache, so a second run with
 * the same images does not run the backbone again.
 *
 * Findings (dataset laid out like xray/nih): train-findings.ts, then the held-out test patients are
 * scored once for the record (metrics `test.*` in the manifest; nothing is chosen on them).
 * COVID-19 / pneumonia / normal (train-covid.ts): from the NIH folder plus hannover-covid and
 * pneumoniamnist when given.
 */
import type { FeatureCache } from '../../../preload/api'
import type { ExportedModel } from '../../ml/export'
import type { MlpOptions } from '../../ml/heads'
import type { ModelRegistry } from '../../ml/registry'
import type { ModelRuntime } from '../../ml/runtime'
import { findingsMetrics } from '../eval/metrics'
import { abnormalLabel, defaultSplit, readXrayDataset, splitOf, type SplitSpec } from './dataset'
import { defaultFeatureSpec, type FeatureSpec } from './feature-network'
import { computeFeatures, loadFeatureNetwork, type XrayFeatureNetwork } from './features'
import type { RawScores } from './pipeline'
import { trainFindings, type FindingsTraining } from './train-findings'
import path from 'node:path'
import { LabError } from '../../errors'
import { onnxScores } from './onnx-scores'

export interface TrainXrayOptions {
  registry: ModelRegistry
  runtime: ModelRuntime
  cache: FeatureCache | null
  split?: SplitSpec
  featureSpec?: FeatureSpec
  minPositives?: number
  kinds?: ('linear' | 'mlp')[]
  mlp?: MlpOptions
  epochs?: number
  version?: string
  log?: (line: string) => void
}

export interface TrainedFindings {
  training: FindingsTraining
  test: ReturnType<typeof findingsMetrics>
  model: ExportedModel
}

/** The feature network of the active backbone for `spec` (default: the shipped multi-scale spec). */
export async function xrayFeatureNetwork(o: Pick<TrainXrayOptions, 'registry' | 'runtime' | 'featureSpec'>): Promise<XrayFeatureNetwork> {
  const backbone = await o.registry.active('backbone')
  if (!backbone) throw new LabError('unavailable', 'There is no backbone model: run `npm run build` to convert the shipped one.')
  return loadFeatureNetwork(o.runtime, backbone, o.featureSpec ?? defaultFeatureSpec(backbone.manifest))
}

export async function trainXrayFindings(nihDir: string, o: TrainXrayOptions): Promise<TrainedFindings> {
  const log = o.log ?? (() => {})
  const split = o.split ?? defaultSplit
  const net = await xrayFeatureNetwork(o)
  const dataset = await readXrayDataset(nihDir, { requirePatients: true })
  let last = 0
  const features = await computeFeatures(
    net,
    dataset.records.map((r) => ({ path: path.join(nihDir, r.file) })),
    {
      cache: o.cache,
      onProgress: (done, total, cached) => {
        if (done - last >= 100 || done === total) log(`features ${done}/${total} (${cached} from the cache)`)
        last = done
      }
    }
  )
  const training = await trainFindings(dataset, features, net.spec, {
    split,
    minPositives: o.minPositives,
    kinds: o.kinds,
    mlp: o.mlp,
    epochs: o.epochs,
    version: o.version,
    datasetName: path.basename(path.resolve(nihDir)),
    onProgress: log
  })
  // Score the held-out patients once, for the record.
  const testRows = dataset.records.map((r, i) => ({ r, i })).filter(({ r }) => splitOf(r.patient, split) === 'test')
  const scored = await onnxScores(training.model.onnx, testRows.map(({ i }) => features[i]), ['findings', 'abnormal'].filter((n) => training.model.manifest.outputs.some((o) => o.name === n)))
  const raw: RawScores[] = testRows.map((_, n) => ({
    findings: scored['findings'] ? scored['findings'].slice(n * training.trained.length, (n + 1) * training.trained.length) : null,
    abnormal: scored['abnormal'][n],
    covid: null
  }))
  const thresholds = Object.fromEntries(training.outputs.map((r) => [r.label, r.threshold]))
  const test = findingsMetrics(testRows.map(({ r }) => r), raw, training.trained, thresholds)
  const m = training.model.manifest
  for (const [label, v] of Object.entries(test.auc)) m.metrics[`test.auc.${label}`] = v
  if (test.mean_auc !== null) m.metrics['test.mean_auc'] = test.mean_auc
  if (test.abnormal_auc !== null) m.metrics['test.abnormal_auc'] = test.abnormal_auc
  for (const [label, v] of Object.entries(test.ece)) m.metrics[`test.ece.${label}`] = v
  m.metrics['test.images'] = test.images
  if (m.training) m.training.datasets.push({ name: path.basename(path.resolve(nihDir)), samples: test.images, split: 'test (held-out patients, scored once after training)' })
  log(`findings: ${training.kind}, out-of-fold abnormal AUC ${training.outputs.find((r) => r.label === abnormalLabel)?.auc.toFixed(3)}; test abnormal AUC ${test.abnormal_auc}, mean finding AUC ${test.mean_auc}`)
  return { training, test, model: training.model }
}
