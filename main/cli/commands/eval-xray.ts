import { LabError } from '../../errors'
import { evalSplits, evaluateXrayFolder, type EvalSplit, type XrayEvaluation } from '../../xray/eval/evaluate-folder'
import { defineCommand } from '../command'

export const evalXrayCommand = defineCommand<XrayEvaluation>({
  name: 'eval-xray',
  summary: 'Measure the X-ray findings model on a labelled folder (xray/nih layout): AUC per finding, mean AUC, abnormality AUC, time',
  usage: '<dataset-dir> [--split all|test|train] [--model <model-dir>] [--limit N] [--figures <dir>] [--json]',
  options: {
    split: { type: 'string', default: 'all' },
    figures: { type: 'string' },
    model: { type: 'string' },
    limit: { type: 'string' }
  },
  async run({ positionals, options }, ctx, io) {
    const [{ registryFor }, { runtimeFor }] = await Promise.all([import('../../ml/registry'), import('../../ml/runtime')])
    const [dir] = positionals
    if (!dir) throw new LabError('invalid_argument', 'Give the dataset folder (manifest.csv with file, findings, patient), e.g. ../shared/datasets/xray/nih.')
    const split = String(options['split'])
    if (!(evalSplits as readonly string[]).includes(split)) throw new LabError('invalid_argument', `--split must be one of ${evalSplits.join(', ')} (got "${split}").`)
    let limit: number | undefined
    if (options['limit'] !== undefined) {
      limit = Number(options['limit'])
      if (!Number.isInteger(limit) || limit < 1) throw new LabError('invalid_argument', `--limit must be a whole number ≥ 1 (got ${String(options['limit'])}).`)
    }
    let last = 0
    return evaluateXrayFolder(dir, {
      split: split as EvalSplit,
      registry: registryFor(ctx),
      runtime: runtimeFor(ctx),
      model: typeof options['model'] === 'string' ? options['model'] : undefined,
      dataDir: ctx.dataDir,
      limit,
      figures: typeof options['figures'] === 'string' ? options['figures'] : undefined,
      onProgress: (done, total) => {
        if (performance.now() - last < 5000 && done < total) return
        last = performance.now()
        io.progress(`  ${done}/${total} images`)
      }
    })
  },
  format(r) {
    const aucs = Object.entries(r.auc).map(([label, v]) => `    ${label.padEnd(20)} ${v.toFixed(3)}  (${r.positives[label]} positive)`)
    return [
      `${r.dataset} (${r.split}): ${r.images} images in ${r.seconds} s; ${r.models.findings} on ${r.models.backbone}`,
      `  abnormality AUC (No Finding vs any)  ${r.abnormal_auc?.toFixed(3) ?? 'n/a'}`,
      `  mean AUC over findings              ${r.mean_auc?.toFixed(3) ?? 'n/a'}`,
      '  AUC per finding (≥ 10 positive images):',
      ...aucs,
      `  not trained: ${r.not_trained.join(', ') || 'none'}`,
      ...(r.failed.length ? [`  could not read ${r.failed.length}: ${r.failed.map((f) => `${f.file} (${f.problem})`).join('; ')}`] : [])
    ].join('\n')
  }
})
