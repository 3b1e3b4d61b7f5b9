/**
 * `npm run bench -- xray [--json] [--file <dicom>] [--images N] [--batch B] [--heatmaps H] [--model <dir>] [--workers W]`
 *
 * Chest X-ray findings throughput: decode (DICOM parse + JPEG baseline decompression) → presentation →
 * model input → feature network (MobileNetV2 cut at block 10, image and mirror) → findings and COVID
 * heads, for N copies of one 1024×1024 DICOM held in memory (default: the CR sample of
 * ../shared/datasets/xray/samples). Images go through the pipeline in batches of B (default 4); the next batches
 * are decoded and resized on W preparation worker threads (default: the app's, one per core beyond the first;
 * 0 = on the JS thread) while onnxruntime's threads run the current one. Every image is decoded afresh. Then H heatmaps of the same file
 * (decode + feature maps + gradients + Grad-CAM, every trained label), median seconds each.
 *
 * The machine is shared: the load average is printed before and after, with the CPU time per image (the
 * cost with no one else on the machine is about that divided by the cores).
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createAppContext } from '../main/app/create-context'
import { repoRoot, sourceResourcesDir } from '../main/app/paths'
import { registryFor } from '../main/ml/registry'
import { runtimeFor } from '../main/ml/runtime'
import { XrayPipeline } from '../main/xray/findings/pipeline'
import { defaultPrepareWorkers, PreparePool } from '../main/xray/prepare/prepare-pool'
import { defineBenchmark } from './benchmark'

const defaultFile = path.join(repoRoot, '..', 'shared', 'datasets', 'xray', 'samples', '1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm')

interface Result {
  images_per_s: number
  heatmap_seconds_median: number
  file: string
  images: number
  batch: number
  seconds: number
  cpu_ms_per_image: number
  /** Each part alone, one image at a time (ms median): decode+present+model input, features, heads. */
  stages_ms_median: { prepare: number; features_batch1: number; heads: number }
  heatmap_seconds_min: number
  heatmaps: number
  threads: number
  /** Preparation worker threads (0: prepared on the JS thread). */
  workers: number
  models: { findings: string; covid: string | null; backbone: string }
  load_before: number[]
  load_after: number[]
  cpus: number
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

export default defineBenchmark<Result>({
  description: 'X-ray findings: 1024² DICOM decode + inference throughput (images/s) and heatmap time',
  async run({ args, log }) {
    const { values } = parseArgs({
      args,
      options: { file: { type: 'string' }, images: { type: 'string' }, batch: { type: 'string' }, heatmaps: { type: 'string' }, model: { type: 'string' }, workers: { type: 'string' } },
      strict: true
    })
    const file = values.file ?? defaultFile
    const count = Number(values.images ?? 128)
    const batch = Number(values.batch ?? 4)
    const heatmaps = Number(values.heatmaps ?? 15)
    const loadBefore = os.loadavg().map((l) => round(l))
    const ctx = createAppContext({ dataDir: path.join(os.tmpdir(), 'lightbox-bench-xray'), resourcesDir: sourceResourcesDir })
    const runtime = runtimeFor(ctx)
    const pool = new PreparePool(values.workers === undefined ? defaultPrepareWorkers() : Number(values.workers))
    const pipeline = await XrayPipeline.open({ registry: registryFor(ctx), runtime, findingsModel: values.model, preparePool: pool })
    const bytes = new Uint8Array(readFileSync(file))
    const name = path.basename(file)

    // Warm-up: codec WebAssembly, V8, onnxruntime's first runs.
    await pipeline.scoreSources(Array.from({ length: batch }, () => ({ bytes, name })), { batchSize: batch })

    // Stages alone (for the record).
    const prepare: number[] = []
    const features: number[] = []
    const heads: number[] = []
    const { sourceRaster, runFeatureNetwork } = await import('../main/xray/findings/features')
    const { modelInput } = await import('../main/xray/preprocess/model-input')
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now()
      const input = await modelInput(await sourceRaster({ bytes, name }), pipeline.features.input)
      const t1 = performance.now()
      const f = await runFeatureNetwork(pipeline.features, input.data as Float32Array, 1)
      const t2 = performance.now()
      await pipeline.scoreFeatures(f.features)
      const t3 = performance.now()
      prepare.push(t1 - t0)
      features.push(t2 - t1)
      heads.push(t3 - t2)
    }

    log(`${name}: ${count} images in batches of ${batch}`)
    const cpu0 = process.cpuUsage()
    const start = performance.now()
    const scores = await pipeline.scoreSources(Array.from({ length: count }, () => ({ bytes, name })), { batchSize: batch })
    const seconds = (performance.now() - start) / 1000
    const cpu = process.cpuUsage(cpu0)
    if (scores.some((s) => s === null || !Number.isFinite(s.abnormal))) throw new Error('some images were not scored')

    const workers = pool.status().workers
    await pool.close()

    log(`${heatmaps} heatmaps`)
    const heat: number[] = []
    for (let i = 0; i < heatmaps; i++) {
      const t = performance.now()
      await pipeline.heatmaps({ bytes, name })
      heat.push((performance.now() - t) / 1000)
    }
    return {
      images_per_s: round(count / seconds, 1),
      heatmap_seconds_median: round(median(heat), 3),
      file: path.relative(repoRoot, file),
      images: count,
      batch,
      seconds: round(seconds),
      cpu_ms_per_image: round((cpu.user + cpu.system) / 1000 / count, 1),
      stages_ms_median: { prepare: round(median(prepare)), features_batch1: round(median(features)), heads: round(median(heads)) },
      heatmap_seconds_min: round(Math.min(...heat), 3),
      heatmaps,
      threads: runtime.status().threads,
      workers,
      models: { findings: pipeline.findingsHead.info.model.id, covid: pipeline.covid?.info.model.id ?? null, backbone: pipeline.backbone.id },
      load_before: loadBefore,
      load_after: os.loadavg().map((l) => round(l)),
      cpus: os.cpus().length
    }
  },
  format(r) {
    return [
      `${r.file}: ${r.images_per_s} images/s (${r.images} images in ${r.seconds} s, batches of ${r.batch}; CPU ${r.cpu_ms_per_image} ms/image, ${r.threads} onnxruntime threads, ${r.workers} preparation workers)`,
      `  one image alone (median ms): prepare ${r.stages_ms_median.prepare}, features ${r.stages_ms_median.features_batch1}, heads ${r.stages_ms_median.heads}`,
      `  heatmap (every trained label): median ${r.heatmap_seconds_median} s, fastest ${r.heatmap_seconds_min} s over ${r.heatmaps}`,
      `  models: ${r.models.findings}, ${r.models.covid ?? 'no COVID head'} on ${r.models.backbone}`,
      `  machine: ${r.cpus} CPUs, load ${r.load_before.join(' ')} before, ${r.load_after.join(' ')} after`
    ].join('\n')
  }
})
