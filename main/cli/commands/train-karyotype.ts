import path from 'node:path'
import { repoRoot } from '../../app/paths'
import { LabError } from '../../errors'
import { trainChromosomeClassifier } from '../../karyotype/classifier/train'
import { defineCommand } from '../command'

type Result = {
  model: string
  dir: string
  seconds: number
  trainSeconds: number
  test: Record<string, number | null>
  validation: Record<string, number | null>
}

function intOption(value: string | boolean | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) throw new LabError('invalid_argument', `--${name} must be a whole number ≥ ${min} (got ${String(value)}).`)
  return n
}

function numberOption(value: string | boolean | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!(n > 0 && Number.isFinite(n))) throw new LabError('invalid_argument', `--${name} must be a positive number (got ${String(value)}).`)
  return n
}

export const trainKaryotypeCommand = defineCommand<Result>({
  name: 'train-karyotype',
  summary: 'Train the chromosome classifier (type + polarity) on a chromosome dataset folder, export it and measure it on the held-out cells',
  usage:
    '<dataset-dir> [--out <model-dir>] [--name <model-name>] [--from <model-dir>] [--epochs N] [--batch-size N] [--learning-rate X] [--seed N] [--patience N] [--polarity-weight X] [--max-cells N] [--threads N] [--cache <dir>] [--no-cache]',
  options: {
    out: { type: 'string' },
    name: { type: 'string' },
    from: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    'learning-rate': { type: 'string' },
    seed: { type: 'string' },
    patience: { type: 'string' },
    'polarity-weight': { type: 'string' },
    'max-cells': { type: 'string' },
    threads: { type: 'string' },
    cache: { type: 'string' },
    'no-cache': { type: 'boolean' }
  },
  async run({ positionals, options }, _ctx, io) {
    const [datasetDir] = positionals
    if (!datasetDir) throw new LabError('invalid_argument', 'Give the dataset folder (with manifest.csv), e.g. ../shared/datasets/chromosomes/gband.')
    const str = (k: string) => (typeof options[k] === 'string' ? (options[k] as string) : undefined)
    const name = str('name')
    const out = str('out') ?? path.join('.cache', 'karyotype', 'models', name ?? path.basename(path.resolve(datasetDir)))
    const r = await trainChromosomeClassifier({
      datasetDir,
      outDir: out,
      name,
      from: str('from'),
      epochs: intOption(options['epochs'], 'epochs', 1),
      batchSize: intOption(options['batch-size'], 'batch-size', 2),
      learningRate: numberOption(options['learning-rate'], 'learning-rate'),
      seed: intOption(options['seed'], 'seed', 0),
      patience: intOption(options['patience'], 'patience', 1),
      polarityWeight: numberOption(options['polarity-weight'], 'polarity-weight'),
      maxCells: intOption(options['max-cells'], 'max-cells', 1),
      threads: intOption(options['threads'], 'threads', 1),
      cacheDir: options['no-cache'] ? null : (str('cache') ?? path.join(repoRoot, '.cache', 'karyotype')),
      log: io.progress
    })
    io.progress(`trained ${r.manifest.name}@${r.manifest.version} in ${(r.seconds / 60).toFixed(1)} min (training itself ${(r.trainSeconds / 60).toFixed(1)} min); written to ${r.modelDir}`)
    return {
      model: `${r.manifest.name}@${r.manifest.version}`,
      dir: r.modelDir,
      seconds: Math.round(r.seconds),
      trainSeconds: Math.round(r.trainSeconds),
      test: { ...r.test },
      validation: { ...r.validation }
    }
  },
  format(r) {
    const show = (m: Record<string, number | null>) =>
      Object.entries(m)
        .map(([k, v]) => `  ${k.padEnd(26)} ${v === null ? 'n/a' : Number.isInteger(v) ? v : v.toFixed(4)}`)
        .join('\n')
    return [`${r.model} → ${r.dir} (${(r.seconds / 60).toFixed(1)} min here)`, '', 'held-out test cells:', show(r.test), '', 'validation cells:', show(r.validation)].join('\n')
  }
})
