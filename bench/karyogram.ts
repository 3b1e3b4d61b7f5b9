/**
 * `npm run bench -- karyogram [--json] [--spreads <dir>] [--file <name>] [--runs N] [--build]`
 *
 * How long the karyogram board takes to render a whole cell in Chromium: the built app (out/renderer;
 * --build, or a missing build, runs electron-vite first) is driven as in the end-to-end tests; a
 * 46-object spread (the first such one in the folder, default ../shared/datasets/chromosomes/metaphases/
 * cabinh/spreads) is imported; then the board is mounted again and again by switching tabs.
 *
 *   render_ms: board component created → every chromosome and ideogram in the DOM, drawn and laid out
 *              (a performance.measure the board records; the < 100 ms target)
 *   frame_ms:  key press → the next frame after it (includes taking down the previous tab and painting)
 *
 * Prints the load average: on a shared 2-core machine, read the figures with it.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { repoRoot } from '../main/app/paths'
import { analyseMetaphase } from '../main/karyotype-ipc/analyse'
import { ruleClassifier } from '../main/karyotype-ipc/classify'
import { signInAsNewReviewer, startApp } from '../test/e2e/harness'
import { importSpreads, openNewKaryotypeCase } from '../test/e2e/karyotype-support'
import { defineBenchmark } from './benchmark'

interface Result {
  file: string
  objects: number
  runs: number
  render_ms_median: number
  render_ms_p90: number
  render_ms_min: number
  frame_ms_median: number
  load_average: number[]
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]
const p90 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(v.length * 0.9))]
const round = (v: number) => Math.round(v * 10) / 10

/** The first spread in `dir` whose segmentation has `want` objects (the folder's first image otherwise). */
async function pickSpread(dir: string, file: string | undefined, want: number, log: (l: string) => void): Promise<string> {
  if (file) return path.join(dir, file)
  const files = readdirSync(dir).filter((f) => /\.(png|jpe?g|tiff?|bmp)$/i.test(f)).sort()
  if (!files.length) throw new Error(`No metaphase images in ${dir}.`)
  for (const f of files) {
    const a = await analyseMetaphase(new Uint8Array(await readFile(path.join(dir, f))), f, 'auto', ruleClassifier)
    log(`${f}: ${a.segmentation.objects.length} objects`)
    if (a.segmentation.objects.length === want) return path.join(dir, f)
  }
  return path.join(dir, files[0])
}

export default defineBenchmark<Result>({
  description: 'karyogram board render time for one cell in Chromium',
  async run({ args, log }) {
    const { values } = parseArgs({
      args,
      options: { spreads: { type: 'string' }, file: { type: 'string' }, runs: { type: 'string' }, build: { type: 'boolean' } },
      allowPositionals: false
    })
    const dir = path.resolve(values.spreads ?? path.join(repoRoot, '..', 'shared', 'datasets', 'chromosomes', 'metaphases', 'cabinh', 'spreads'))
    const runs = Math.max(3, Number(values.runs ?? 25))
    if (values.build || !existsSync(path.join(repoRoot, 'out', 'renderer', 'index.html'))) {
      log('building the renderer (electron-vite build)…')
      if (spawnSync('npx', ['electron-vite', 'build'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) throw new Error('electron-vite build failed')
    }
    const spread = await pickSpread(dir, values.file, 46, log)
    const app = await startApp({ viewport: { width: 1440, height: 900 } })
    const { page } = app
    try {
      await signInAsNewReviewer(page, 'Bench Runner', 'BR', 'technologist')
      await openNewKaryotypeCase(page, { accession: 'BENCH-1', patientPseudonym: 'P-BENCH', specimen: 'bench', indication: '' })
      await importSpreads(page, [spread])
      await page.keyboard.press('k')
      await page.getByTestId('karyogram').waitFor()
      const objects = await page.getByTestId('chromosome').count()
      log(`${path.basename(spread)}: ${objects} objects on the board; ${runs} renders`)
      const render: number[] = []
      const frame: number[] = []
      for (let i = 0; i < runs + 2; i++) {
        await page.keyboard.press('r')
        await page.getByTestId('result-versions').waitFor()
        const r = await page.evaluate(async () => {
          const name = 'karyogram-board'
          const before = performance.getEntriesByName(name).length
          const t0 = performance.now()
          document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', bubbles: true }))
          while (performance.getEntriesByName(name).length === before) await new Promise((res) => setTimeout(res, 0))
          await new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)))
          const entries = performance.getEntriesByName(name)
          return { render: entries[entries.length - 1].duration, frame: performance.now() - t0 }
        })
        // The first two mounts warm up the JIT and the pixel caches.
        if (i >= 2) {
          render.push(r.render)
          frame.push(r.frame)
        }
      }
      return {
        file: path.basename(spread),
        objects,
        runs,
        render_ms_median: round(median(render)),
        render_ms_p90: round(p90(render)),
        render_ms_min: round(Math.min(...render)),
        frame_ms_median: round(median(frame)),
        load_average: os.loadavg().map((v) => Math.round(v * 100) / 100)
      }
    } finally {
      await app.close()
    }
  },
  format: (r) =>
    `${r.file} (${r.objects} objects), ${r.runs} renders: board ${r.render_ms_median} ms median (p90 ${r.render_ms_p90}, min ${r.render_ms_min}); ` +
    `key press to next frame ${r.frame_ms_median} ms median; load average ${r.load_average.join(' ')}`
})
