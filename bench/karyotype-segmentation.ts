/**
 * `npm run bench -- karyotype-segmentation [spreads-dir] [--json]`: the engine's non-learning steps per
 * metaphase image of a folder (default: the cabinh spreads): decode, segmentation, normalisation of every
 * object, and dispatch of a classifier-shaped probability table. One untimed warm-up image (JIT), then
 * each image `repeats` times (3); the median of its runs counts. The machine is shared: the load average
 * is reported beside the figures.
 */
import { readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { repoRoot } from '../main/app/paths'
import { sharedDatasetsDir } from '../main/datasets/manifest'
import { readMetaphaseImage } from '../main/karyotype/segmentation/load'
import { segmentSpread } from '../main/karyotype/segmentation/segment'
import { normaliseCell } from '../main/karyotype/normalise/normalise'
import { dispatchCell } from '../main/karyotype/dispatch/dispatch'
import { Rng } from '../main/karyotype/synthetic/rng'
import { defineBenchmark, median } from './benchmark'

interface Result {
  /** Median over images of the median time per step, milliseconds. */
  segment_ms_median: number
  segment_ms_max: number
  normalise_ms_median: number
  dispatch_ms_median: number
  spreads: number
  image_size: string
  objects: number[]
  load_average: number[]
  folder: string
}

/** A table shaped like a classifier's output: one likely type per object, log-softmax rows. */
function fakeTable(n: number, rng: Rng): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const logits = Array.from({ length: 24 }, (_, t) => (t === i % 24 ? 5 : rng.normal()))
    const m = Math.max(...logits)
    const z = m + Math.log(logits.reduce((s, l) => s + Math.exp(l - m), 0))
    return logits.map((l) => l - z)
  })
}

export default defineBenchmark<Result>({
  description: 'karyotype segmentation, normalisation and dispatch per metaphase (no classifier)',
  async run({ args, log }) {
    const folder = args[0] ?? path.join(sharedDatasetsDir(repoRoot), 'chromosomes', 'metaphases', 'cabinh', 'spreads')
    const repeats = Number(args[1] ?? 3)
    const files = (await readdir(folder)).filter((f) => /\.(png|jpe?g|tiff?)$/i.test(f)).sort()
    if (files.length === 0) throw new Error(`No images in ${folder}`)
    const rng = new Rng(1)
    const images = await Promise.all(files.map((f) => readMetaphaseImage(path.join(folder, f))))
    await segmentSpread(images[0].image)
    const seg: number[] = []
    const norm: number[] = []
    const disp: number[] = []
    const objects: number[] = []
    for (const [k, { image }] of images.entries()) {
      const s: number[] = []
      const n: number[] = []
      const d: number[] = []
      let count = 0
      for (let r = 0; r < repeats; r++) {
        let t = performance.now()
        const result = await segmentSpread(image)
        s.push(performance.now() - t)
        t = performance.now()
        await normaliseCell(image, result)
        n.push(performance.now() - t)
        const table = fakeTable(result.objects.length, rng)
        t = performance.now()
        dispatchCell(table)
        d.push(performance.now() - t)
        count = result.objects.length
      }
      seg.push(median(s))
      norm.push(median(n))
      disp.push(median(d))
      objects.push(count)
      log(`${files[k]}: ${count} objects, segment ${median(s).toFixed(0)} ms, normalise ${median(n).toFixed(0)} ms, dispatch ${median(d).toFixed(0)} ms`)
    }
    const round = (v: number) => Math.round(v * 10) / 10
    return {
      segment_ms_median: round(median(seg)),
      segment_ms_max: round(Math.max(...seg)),
      normalise_ms_median: round(median(norm)),
      dispatch_ms_median: round(median(disp)),
      spreads: files.length,
      image_size: `${images[0].image.width}×${images[0].image.height}`,
      objects,
      load_average: os.loadavg().map((v) => Math.round(v * 100) / 100),
      folder
    }
  }
})
