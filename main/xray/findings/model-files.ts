/**
 * Reading an X-ray head's manifest: which feature network it needs, which findings it answers, which
 * ChestX-ray14 findings it does not (and why), and its validation thresholds. A head is a registered
 * model (shipped: resources/models/xray-findings, resources/models/xray-covid; or trained and imported
 * into the registry), or a model folder given by path.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { LabError } from '../../errors'
import { parseManifest, type RegisteredModel } from '../../ml/registry'
import type { ModelManifest } from '../../ml/registry/manifest'
import { abnormalLabel, chestXray14, splitFromHyperparameters, type SplitSpec } from './dataset'
import { specFromHyperparameters, type FeatureSpec } from './feature-network'

export interface HeadInfo {
  model: RegisteredModel
  featureSpec: FeatureSpec
  /** The split the head was trained with (null for heads that do not record one). */
  split: SplitSpec | null
}

export interface FindingsHeadInfo extends HeadInfo {
  /** Trained findings, in the order of the `findings` output. */
  findings: string[]
  /** ChestX-ray14 findings this head does not answer, with the reason in words. */
  notTrained: { label: string; reason: string }[]
  /** Thresholds chosen on validation, by label ('Abnormal' for the abnormality score). */
  thresholds: Record<string, number>
}

export interface CovidHeadInfo extends HeadInfo {
  classes: string[]
}

/** A model folder (model.onnx + manifest.json) as a RegisteredModel, for heads given by path. */
export async function modelFromDir(dir: string): Promise<RegisteredModel> {
  const manifestFile = path.join(dir, 'manifest.json')
  let text: string
  try {
    text = await readFile(manifestFile, 'utf8')
  } catch {
    throw new LabError('not_found', `${dir} holds no manifest.json: a model folder needs model.onnx and manifest.json.`, { file: manifestFile })
  }
  const manifest = parseManifest(text, manifestFile)
  return { id: `${manifest.name}@${manifest.version}`, manifest, source: 'user', dir, modelFile: path.join(dir, 'model.onnx'), importedAt: null }
}

function headBasics(model: RegisteredModel): HeadInfo {
  const m = model.manifest
  const file = path.join(model.dir, 'manifest.json')
  const features = m.inputs[0]?.features
  if (!features) throw new LabError('bad_input', `${file}: the model's input does not name the backbone features it takes.`, { file })
  const h = m.training?.hyperparameters ?? {}
  return { model, featureSpec: specFromHyperparameters({ backbone: features.backbone, version: features.version }, h, file), split: splitFromHyperparameters(h) }
}

function output(m: ModelManifest, name: string) {
  return m.outputs.find((o) => o.name === name)
}

export function findingsHead(model: RegisteredModel): FindingsHeadInfo {
  const m = model.manifest
  const file = path.join(model.dir, 'manifest.json')
  if (m.task !== 'xray-findings') throw new LabError('bad_input', `${model.id} is a ${m.task} model, not an X-ray findings head.`, { file })
  if (!output(m, 'abnormal')) throw new LabError('bad_input', `${file}: an X-ray findings head needs an "abnormal" output.`, { file })
  const findings = output(m, 'findings')?.labels ?? []
  const counts = m.training?.classCounts ?? {}
  const min = m.training?.hyperparameters['minPositives']
  const notTrained = chestXray14
    .filter((l) => !findings.includes(l))
    .map((label) => ({
      label,
      reason:
        counts[label] !== undefined
          ? `not trained: ${counts[label]} positive training image${counts[label] === 1 ? '' : 's'}${typeof min === 'number' ? ` (at least ${min} needed)` : ''}`
          : `not trained: ${model.id} does not answer this finding`
    }))
  const thresholds: Record<string, number> = {}
  for (const label of [...findings, abnormalLabel]) thresholds[label] = m.metrics[`threshold.${label}`] ?? 0.5
  return { ...headBasics(model), findings, notTrained, thresholds }
}

export function covidHead(model: RegisteredModel): CovidHeadInfo {
  const m = model.manifest
  const file = path.join(model.dir, 'manifest.json')
  if (m.task !== 'xray-covid') throw new LabError('bad_input', `${model.id} is a ${m.task} model, not a COVID-19 / pneumonia / normal head.`, { file })
  const classes = output(m, 'covid')?.labels
  if (!classes) throw new LabError('bad_input', `${file}: the head needs a "covid" output with its class labels.`, { file })
  return { ...headBasics(model), classes }
}

export function sameFeatures(a: FeatureSpec, b: FeatureSpec): boolean {
  return a.backbone === b.backbone && a.version === b.version && a.flip === b.flip && a.taps.join() === b.taps.join()
}
