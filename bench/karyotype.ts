/**
 * `npm run bench -- karyotype [spreads-dir] [--json]`: a whole cell — decode, segmentation,
 * normalisation, classification by the shipped model for the stain, dispatch — timed per metaphase image
 * of a folder (default: the cabinh spreads). One untimed warm-up cell first (model loading, JIT), then
 * every image once. The machine is shared: note `uptime` beside the figure.
 */
import { readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { repoRoot } from '../main/app/paths'
import { sharedDatasetsDir } from '../main/datasets/manifest'
import { analyseCell } from '../main/karyotype/pipeline'
import { defineBenchmark, median } from './benchmark'

interface Result {
  cell_seconds_median: number
  cells: number
  cell_seconds_min: number
  cell_seconds_max: number
  /** Median seconds per stage over the cells. */
  stages: Record<string, number>
  objects: number[]
  karyotypes: string[]
  load_average: number[]
  folder: string
}

export default defineBenchmark<Result>({
  description: 'whole cell: segmentation + normalisation + classification + dispatch, per metaphase image',
  async run({ args, log }) {
    const folder = path.resolve(args[0] ?? path.join(sharedDatasetsDir(repoRoot), 'chromosomes', 'metaphases', 'cabinh', 'spreads'))
    const files = (await readdir(folder)).filter((f) => /\.(png|jpe?g|tiff?|bmp|webp)$/i.test(f)).sort()
    if (files.length === 0) throw new Error(`no images in ${folder}`)
    await analyseCell(path.join(folder, files[0]))
    const totals: number[] = []
    const stages: Record<string, number[]> = {}
    const objects: number[] = []
    const karyotypes: string[] = []
    for (const f of files) {
      const t0 = performance.now()
      const r = await analyseCell(path.join(folder, f))
      const s = (performance.now() - t0) / 1000
      totals.push(s)
      objects.push(r.segmentation.objects.length)
      karyotypes.push(r.karyotype)
      for (const [k, v] of Object.entries(r.timings)) (stages[k] ??= []).push(v)
      log(`${f}: ${s.toFixed(3)} s, ${r.segmentation.objects.length} objects, ${r.karyotype}`)
    }
    return {
      cell_seconds_median: Math.round(median(totals) * 1000) / 1000,
      cells: totals.length,
      cell_seconds_min: Math.round(Math.min(...totals) * 1000) / 1000,
      cell_seconds_max: Math.round(Math.max(...totals) * 1000) / 1000,
      stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(median(v) * 1000) / 1000])),
      objects,
      karyotypes,
      load_average: os.loadavg().map((v) => Math.round(v * 100) / 100),
      folder
    }
  },
  format(r) {
    return [
      `whole cell: median ${r.cell_seconds_median} s over ${r.cells} cells (min ${r.cell_seconds_min}, max ${r.cell_seconds_max}); load average ${r.load_average.join(' ')}`,
      `stages (median s): ${Object.entries(r.stages).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `objects: ${r.objects.join(' ')}`,
      `karyotypes: ${r.karyotypes.join(' ')}`
    ].join('\n')
  }
})
