/**
 * `npm run bench -- xray-decode [--json] [--file <dicom>] [--manifest <manifest.json>] [--seconds S]`
 *
 * Decoding and preprocessing throughput of one X-ray file, held in memory and processed again and again:
 * decode (parse, decompress, mask) → presentation (modality/VOI LUT to 8-bit) → display image (≤ 2048 px)
 * → model input (the backbone manifest's input spec). Defaults: the 1024×1024 JPEG-baseline chest CR in
 * ../shared/datasets/xray/samples and resources/models/mobilenet-v2/manifest.json. One image at a time on
 * the main thread, as the later `bench/xray.ts` will feed inference.
 *
 * For scale it also times the same JPEG stream decoded by native libjpeg-turbo (through sharp, SIMD) and
 * a fixed reference loop, and prints the load average: on a shared 2-core machine, read figures with them.
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import dicomParser from 'dicom-parser'
import sharp from 'sharp'
import { repoRoot, sourceResourcesDir } from '../main/app/paths'
import { inputSpecSchema } from '../main/ml/registry/manifest'
import { decodeXray, modelInput, presentationImage, shrinkToFit } from '../main/xray'
import { parseDicomBytes } from '../main/xray/decode/dicom/parse-dataset'
import { defineBenchmark } from './benchmark'

const defaultFile = path.join(repoRoot, '..', 'shared', 'datasets', 'xray', 'samples', '1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm')
const defaultManifest = path.join(sourceResourcesDir, 'models', 'mobilenet-v2', 'manifest.json')

interface Result {
  file: string
  size: string
  transfer_syntax: string | null
  images: number
  images_per_s: number
  ms_per_image_median: number
  ms_per_image_p90: number
  /** The fastest image: the cost with the least interference from other work on a shared machine. */
  ms_per_image_min: number
  cpu_ms_per_image: number
  stages_ms_median: { decode: number; present: number; display: number; model_input: number }
  stages_ms_min: { decode: number; present: number; display: number; model_input: number }
  native_libjpeg_turbo_ms_median: number | null
  reference_loop_ms: number
  load_average: number[]
  cpus: number
}

const median = (xs: number[]) => quantile(xs, 0.5)
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN
}
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d

/** A fixed amount of plain work (1M-entry table lookups): how fast this machine is right now. */
function referenceLoop(): number {
  const data = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 255)
  const table = new Uint8Array(256).map((_, i) => 255 - i)
  const out = new Uint8Array(data.length)
  const times: number[] = []
  for (let r = 0; r < 25; r++) {
    const t = performance.now()
    for (let i = 0; i < data.length; i++) out[i] = table[data[i]]
    times.push(performance.now() - t)
  }
  return median(times.slice(5))
}

export default defineBenchmark<Result>({
  description: 'X-ray decode + preprocess throughput (display image and model input) for one DICOM/image file',
  async run({ args, log }) {
    const { values } = parseArgs({
      args,
      options: { file: { type: 'string' }, manifest: { type: 'string' }, seconds: { type: 'string' } },
      strict: true
    })
    const file = values.file ?? defaultFile
    const seconds = Number(values.seconds ?? 5)
    const manifest = JSON.parse(readFileSync(values.manifest ?? defaultManifest, 'utf8')) as { inputs: unknown[] }
    const spec = inputSpecSchema.parse(manifest.inputs[0])
    const bytes = new Uint8Array(readFileSync(file))
    const name = path.basename(file)

    const once = async () => {
      const t0 = performance.now()
      const x = await decodeXray(bytes, { name })
      const t1 = performance.now()
      const { raster, voi } = presentationImage(x)
      const t2 = performance.now()
      await shrinkToFit(raster, voi)
      const t3 = performance.now()
      await modelInput(raster, spec)
      const t4 = performance.now()
      return { x, stages: [t1 - t0, t2 - t1, t3 - t2, t4 - t3], total: t4 - t0 }
    }

    // Warm-up: loads the codec's WebAssembly and lets V8 optimise.
    const first = await once()
    for (let i = 0; i < 10; i++) await once()
    log(`${name}: ${first.x.image.width}×${first.x.image.height}, ${first.x.image.transferSyntax?.name ?? first.x.format}; timing for ${seconds} s`)

    const totals: number[] = []
    const stages: number[][] = [[], [], [], []]
    const cpu0 = process.cpuUsage()
    const start = performance.now()
    while (performance.now() - start < seconds * 1000) {
      const r = await once()
      totals.push(r.total)
      r.stages.forEach((s, i) => stages[i].push(s))
    }
    const wall = performance.now() - start
    const cpu = process.cpuUsage(cpu0)

    // Native libjpeg-turbo on the same compressed stream, for scale (JPEG DICOMs only).
    let nativeMs: number | null = null
    if (first.x.image.transferSyntax?.uid === '1.2.840.10008.1.2.4.50') {
      const { dataSet } = parseDicomBytes(bytes, name)
      const el = dataSet.elements['x7fe00010']
      const jpeg = dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, el, 0, el.fragments?.length ?? 1)
      const times: number[] = []
      for (let i = 0; i < 40; i++) {
        const t = performance.now()
        await sharp(jpeg).raw().toBuffer()
        times.push(performance.now() - t)
      }
      nativeMs = round(median(times.slice(10)))
    }

    return {
      file: path.relative(repoRoot, file),
      size: `${first.x.image.width}x${first.x.image.height}`,
      transfer_syntax: first.x.image.transferSyntax?.name ?? null,
      images: totals.length,
      images_per_s: round((totals.length / wall) * 1000, 1),
      ms_per_image_median: round(median(totals)),
      ms_per_image_p90: round(quantile(totals, 0.9)),
      ms_per_image_min: round(Math.min(...totals)),
      cpu_ms_per_image: round((cpu.user + cpu.system) / 1000 / totals.length),
      stages_ms_median: {
        decode: round(median(stages[0])),
        present: round(median(stages[1])),
        display: round(median(stages[2])),
        model_input: round(median(stages[3]))
      },
      stages_ms_min: {
        decode: round(Math.min(...stages[0])),
        present: round(Math.min(...stages[1])),
        display: round(Math.min(...stages[2])),
        model_input: round(Math.min(...stages[3]))
      },
      native_libjpeg_turbo_ms_median: nativeMs,
      reference_loop_ms: round(referenceLoop()),
      load_average: os.loadavg().map((l) => round(l)),
      cpus: os.cpus().length
    }
  },
  format(r) {
    return [
      `${r.file} (${r.size}, ${r.transfer_syntax ?? 'image file'})`,
      `  ${r.images_per_s} images/s over ${r.images} images: median ${r.ms_per_image_median} ms, p90 ${r.ms_per_image_p90} ms, min ${r.ms_per_image_min} ms, CPU ${r.cpu_ms_per_image} ms/image`,
      `  stages (median ms): decode ${r.stages_ms_median.decode}, present ${r.stages_ms_median.present}, display ${r.stages_ms_median.display}, model input ${r.stages_ms_median.model_input}`,
      `  stages (min ms):    decode ${r.stages_ms_min.decode}, present ${r.stages_ms_min.present}, display ${r.stages_ms_min.display}, model input ${r.stages_ms_min.model_input}`,
      r.native_libjpeg_turbo_ms_median === null ? '' : `  native libjpeg-turbo (sharp) on the same JPEG stream: ${r.native_libjpeg_turbo_ms_median} ms`,
      `  machine: ${r.cpus} CPUs, load ${r.load_average.join(' ')}, reference loop ${r.reference_loop_ms} ms`
    ]
      .filter(Boolean)
      .join('\n')
  }
})
