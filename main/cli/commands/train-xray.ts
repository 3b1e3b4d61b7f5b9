import { rm } from 'node:fs/promises'
import path from 'node:path'
import { LabError } from '../../errors'
import { defineCommand } from '../command'

export const trainXrayCommand = defineCommand({
  name: 'train-xray',
  summary: 'Train the chest X-ray heads (ChestX-ray14 findings + abnormality; COVID-19 / pneumonia / normal) on frozen backbone features',
  usage:
    '<nih-dir> [--hannover <dir>] [--pneumoniamnist <dir>] [--out <models-dir> [--replace]] [--promote] [--kinds linear,mlp] [--hidden 64] [--taps layer,… ] [--no-flip] [--min-positives 20] [--epochs 60] [--version v]\n' +
    '       train-xray <nih-dir> --compare-quadrant   (the seed\'s quadrant features + autoencoder against plain features; trains nothing to keep)',
  options: {
    hannover: { type: 'string' },
    pneumoniamnist: { type: 'string' },
    out: { type: 'string' },
    replace: { type: 'boolean', default: false },
    promote: { type: 'boolean', default: false },
    kinds: { type: 'string', default: 'linear,mlp' },
    hidden: { type: 'string', default: '64' },
    taps: { type: 'string' },
    'no-flip': { type: 'boolean', default: false },
    'min-positives': { type: 'string', default: '20' },
    epochs: { type: 'string', default: '60' },
    version: { type: 'string' },
    'compare-quadrant': { type: 'boolean', default: false }
  },
  async run({ positionals, options }, ctx, io) {
    const [{ FileFeatureCache }, { registryFor }, { runtimeFor }, { writeModel }, { trainXrayFindings }, { trainXrayCovid }, { defaultFeatureSpec }] = await Promise.all([
      import('../../ml/features/file-cache'),
      import('../../ml/registry'),
      import('../../ml/runtime'),
      import('../../ml/export'),
      import('../../xray/findings/train-xray'),
      import('../../xray/findings/train-covid'),
      import('../../xray/findings/feature-network')
    ])
    const [nihDir] = positionals
    if (!nihDir) throw new LabError('invalid_argument', 'Give the NIH-style dataset folder (manifest.csv with file, findings, patient), e.g. ../shared/datasets/xray/nih.')
    const kinds = String(options['kinds']).split(',').map((k) => k.trim())
    if (kinds.length === 0 || kinds.some((k) => k !== 'linear' && k !== 'mlp')) throw new LabError('invalid_argument', `--kinds takes linear and/or mlp (got "${String(options['kinds'])}").`)
    const minPositives = Number(options['min-positives'])
    const epochs = Number(options['epochs'])
    if (!Number.isInteger(minPositives) || minPositives < 2) throw new LabError('invalid_argument', '--min-positives must be a whole number ≥ 2.')
    if (!Number.isInteger(epochs) || epochs < 1) throw new LabError('invalid_argument', '--epochs must be a whole number ≥ 1.')
    const version = typeof options['version'] === 'string' ? options['version'] : typeof options['out'] === 'string' ? '1.0.0' : new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')
    const registry = registryFor(ctx)
    const hidden = String(options['hidden']).split(/[x×,]/).map(Number)
    if (hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new LabError('invalid_argument', `--hidden takes layer sizes such as 64 or 128,32 (got "${String(options['hidden'])}").`)
    // Another feature network (for comparisons): other backbone layers, or without the mirror image.
    const backbone = await registry.active('backbone')
    if (!backbone) throw new LabError('unavailable', 'There is no backbone model: run `npm run build` to convert the shipped one.')
    const spec = defaultFeatureSpec(backbone.manifest)
    const featureSpec = {
      ...spec,
      taps: typeof options['taps'] === 'string' ? options['taps'].split(',').map((t) => t.trim()).filter(Boolean) : spec.taps,
      flip: options['no-flip'] !== true
    }
    const base = { registry, runtime: runtimeFor(ctx), cache: new FileFeatureCache(ctx.dataDir), featureSpec, kinds: kinds as ('linear' | 'mlp')[], mlp: { hidden, dropout: 0.3 }, minPositives, epochs, version, log: io.progress }

    if (options['compare-quadrant']) {
      const [{ compareQuadrantFeatures }, { xrayFeatureNetwork }] = await Promise.all([import('../../xray/quadrant/compare'), import('../../xray/findings/train-xray')])
      return { quadrant_comparison: await compareQuadrantFeatures(nihDir, await xrayFeatureNetwork(base), { cache: base.cache, log: io.progress }) }
    }
    const findings = await trainXrayFindings(nihDir, base)
    const covid =
      typeof options['hannover'] === 'string'
        ? await trainXrayCovid({ nih: nihDir, hannover: options['hannover'], pneumoniamnist: typeof options['pneumoniamnist'] === 'string' ? options['pneumoniamnist'] : undefined }, base)
        : null

    const stored: string[] = []
    for (const model of [findings.model, covid?.model].filter((m) => m !== undefined)) {
      if (typeof options['out'] === 'string') {
        const dir = path.join(options['out'], model.manifest.name)
        if (options['replace']) await rm(dir, { recursive: true, force: true })
        await writeModel(dir, model)
        stored.push(dir)
      } else {
        const registered = await registry.import({ fileName: 'model.onnx', model: model.onnx, manifest: JSON.stringify(model.manifest) })
        if (options['promote']) await registry.promote(registered.id)
        stored.push(registered.id)
      }
    }
    const t = findings.training
    return {
      stored,
      findings: {
        kind: t.kind,
        candidates: t.candidates,
        trained: t.trained,
        not_trained: t.notTrained,
        train_images: t.trainImages,
        validation: Object.fromEntries(t.outputs.map((r) => [r.label, { auc: round(r.auc), ece: round(r.eceAfter), ece_uncalibrated: round(r.eceBefore), threshold: round(r.threshold), sensitivity: round(r.sensitivity), specificity: round(r.specificity) }])),
        test: findings.test,
        seconds: round(t.seconds, 1)
      },
      covid: covid?.report ?? null
    }
  }
})

function round(v: number, d = 4): number {
  return Math.round(v * 10 ** d) / 10 ** d
}
