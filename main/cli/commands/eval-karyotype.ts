import { LabError } from '../../errors'
import { evaluateFolder, type FolderEvaluation } from '../../karyotype/eval/evaluate-folder'
import { runtimeFor } from '../../ml/runtime'
import { defineCommand } from '../command'

const splits = ['all', 'test', 'validation', 'train'] as const

export const evalKaryotypeCommand = defineCommand<FolderEvaluation>({
  name: 'eval-karyotype',
  summary: 'Measure chromosome classification and per-cell dispatch on a labelled folder (chromosomes/gband or /qband layout)',
  usage: '<dataset-dir> [--split all|test|validation|train] [--include-seen] [--model <model-dir>] [--max-cells N] [--no-mirror] [--json]',
  options: {
    split: { type: 'string' },
    'include-seen': { type: 'boolean' },
    model: { type: 'string' },
    'max-cells': { type: 'string' },
    'no-mirror': { type: 'boolean' }
  },
  async run({ positionals, options }, ctx, io) {
    const [dir] = positionals
    if (!dir) throw new LabError('invalid_argument', 'Give the dataset folder (with manifest.csv), e.g. ../shared/datasets/chromosomes/gband.')
    const split = (options['split'] ?? 'all') as string
    if (!(splits as readonly string[]).includes(split)) throw new LabError('invalid_argument', `--split must be one of ${splits.join(', ')} (got "${split}").`)
    let maxCells: number | undefined
    if (options['max-cells'] !== undefined) {
      maxCells = Number(options['max-cells'])
      if (!Number.isInteger(maxCells) || maxCells < 1) throw new LabError('invalid_argument', `--max-cells must be a whole number ≥ 1 (got ${String(options['max-cells'])}).`)
    }
    let last = 0
    return evaluateFolder(dir, {
      split: split as (typeof splits)[number],
      includeSeen: options['include-seen'] === true,
      model: typeof options['model'] === 'string' ? options['model'] : undefined,
      resourcesDir: ctx.resourcesDir,
      runtime: runtimeFor(ctx),
      maxCells,
      mirror: options['no-mirror'] !== true,
      onProgress: (done, total) => {
        if (performance.now() - last < 5000 && done < total) return
        last = performance.now()
        io.progress(`  ${done}/${total} cells`)
      }
    })
  },
  format(r) {
    const pct = (v: number | null) => (v === null ? 'n/a' : `${(100 * v).toFixed(2)}%`)
    return [
      `${r.dataset} (${r.split}): ${r.cells} cells, ${r.chromosomes} chromosomes, ${r.seconds} s; models ${r.models.join(', ') || 'none'}`,
      `  type accuracy, classifier alone   ${pct(r.type_accuracy_raw)}`,
      `  type accuracy, dispatched         ${pct(r.type_accuracy_dispatched)}`,
      `  per-cell accuracy (mean)          ${pct(r.per_cell_accuracy)}`,
      `  cells entirely right              ${r.cells_fully_correct} of ${r.cells}`,
      `  polarity accuracy                 ${pct(r.polarity_accuracy)}`,
      ...r.notes.map((n) => `  note: ${n}`)
    ].join('\n')
  }
})
