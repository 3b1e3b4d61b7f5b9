/**
 * `npm run bench -- backbone [--json] [--dataset <nih-dir>] [--seconds S] [--threads N] [--torch-mode M]`
 *
 * MobileNetV2 feature extraction (both feature vectors: block 10 and the final 1280-d pooling) on real NIH
 * chest X-rays, Lightbox (onnxruntime-node, the converted model) against the same architecture with the same
 * folded weights in Debian's PyTorch (CPU, oneDNN/OpenBLAS, the same thread count). The peer gets the
 * converter's own program (bench/peers/backbone.py builds torch modules from it), and its outputs are checked
 * against ours before anything is timed. Torch runs in its fastest standard configuration unless --torch-mode
 * says otherwise: eager NCHW, channels_last and TorchScript (trace + freeze + optimize_for_inference), each
 * with OpenMP's default wait policy and with OMP_WAIT_POLICY=PASSIVE (our side's threads sleep rather than
 * spin, see main/ml/runtime/runtime.ts), are all measured and the best is the figure compared.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { repoRoot, sourceResourcesDir } from '../main/app/paths'
import { readManifest, sharedDatasetsDir } from '../main/datasets/manifest'
import { readGreyImage } from '../main/imaging/read-image'
import { ensureMobilenet, mobilenetProgram } from '../main/ml/backbone/mobilenet'
import type { Program } from '../main/ml/backbone/keras-program'
import { imagesToTensor } from '../main/ml/backbone/preprocess'
import { ModelRuntime, type ModelSession, type TensorData } from '../main/ml/runtime'
import { defineBenchmark } from './benchmark'

const python = '/usr/bin/python3'
const fetches = ['features', 'block10']
const torchModes = ['eager', 'channels_last', 'jit'] as const
/** OpenMP's default (threads spin a while between parallel regions) and PASSIVE (they sleep at once). */
const waitPolicies = ['default', 'passive'] as const

interface Pair {
  ours_images_per_s: number
  torch_images_per_s: number
  ratio: number
}

interface Result {
  batch1: Pair
  batch32: Pair
  threads: number
  torch: { version: string; mode: string; modes: Record<string, { batch1: number; batch32: number }> }
  /** Both of our runs (before and after the peer), images/s. */
  ours_runs: { batch1: number[]; batch32: number[] }
  max_abs_diff_vs_torch: number
  images: string
  load_before: number[]
  load_after: number[]
  onnxruntime: string
}

/** Debian's PyTorch with a pthreads OpenBLAS, installed once when missing. */
function ensureTorch(log: (s: string) => void): void {
  if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return
  log('installing python3-torch and libopenblas0-pthread with apt-get (once)…')
  const sudo = process.getuid?.() === 0 ? [] : ['sudo']
  const run = (args: string[]): void => {
    execFileSync(sudo.length ? 'sudo' : args[0], sudo.length ? args : args.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  }
  run(['apt-get', 'update', '-q'])
  run(['apt-get', 'install', '-y', '-q', 'python3-torch', 'libopenblas0-pthread'])
}

/** The converter's program without its weights (JSON) plus one little-endian float32 blob of weights. */
async function writeProgram(program: Program, dir: string): Promise<void> {
  const chunks: Float32Array[] = []
  let offset = 0
  const ops = program.ops.map((op) => {
    if (op.op !== 'conv') return op
    const { weight, bias, ...rest } = op
    const entry = { ...rest, weightOffset: offset, biasOffset: offset + weight.byteLength }
    chunks.push(weight, bias)
    offset += weight.byteLength + bias.byteLength
    return entry
  })
  const blob = Buffer.alloc(offset)
  let at = 0
  for (const c of chunks) for (const v of c) at = blob.writeFloatLE(v, at)
  await writeFile(path.join(dir, 'weights.bin'), blob)
  await writeFile(path.join(dir, 'program.json'), JSON.stringify({ input: program.input, ops, outputs: program.outputs, fetch: fetches }))
}

/** Median images/s over rounds of about 0.5 s, after a warm-up; the same method as the peer. */
async function imagesPerSecond(session: ModelSession, input: TensorData, seconds: number): Promise<number> {
  const n = input.dims[0]
  for (let i = 0; i < 3; i++) await session.run({ image: input }, fetches)
  const rates: number[] = []
  const deadline = performance.now() + seconds * 1000
  while (performance.now() < deadline || rates.length < 3) {
    const start = performance.now()
    let done = 0
    do {
      await session.run({ image: input }, fetches)
      done += n
    } while (performance.now() - start < 500)
    rates.push(done / ((performance.now() - start) / 1000))
  }
  rates.sort((a, b) => a - b)
  return rates[Math.floor(rates.length / 2)]
}

function round(v: number): number {
  return Math.round(v * 10) / 10
}

export default defineBenchmark<Result>({
  description: 'MobileNetV2 feature extraction: Lightbox (onnxruntime-node) vs Debian PyTorch, batch 1 and 32',
  async run({ args, log }) {
    const { values } = parseArgs({
      args,
      options: {
        dataset: { type: 'string', default: path.join(sharedDatasetsDir(repoRoot), 'xray', 'nih') },
        seconds: { type: 'string', default: '5' },
        threads: { type: 'string', default: '2' },
        'torch-mode': { type: 'string', default: 'best' }
      }
    })
    const seconds = Number(values.seconds)
    const threads = Number(values.threads)
    const modes = values['torch-mode'] === 'best' ? [...torchModes] : [values['torch-mode'] as (typeof torchModes)[number]]
    const loadBefore = os.loadavg()
    ensureTorch(log)

    const { modelFile, manifest } = await ensureMobilenet(sourceResourcesDir)
    const manifestCsv = await readManifest(values.dataset!, 'manifest.csv', ['file'])
    const files = manifestCsv.rows.slice(0, 32).map((r) => path.join(values.dataset!, r['file']))
    if (files.length < 32) throw new Error(`${values.dataset} lists ${files.length} images; the benchmark needs 32.`)
    const batch = imagesToTensor(await Promise.all(files.map((f) => readGreyImage(f))), manifest.inputs[0])
    const one: TensorData = { ...batch, data: batch.data.slice(0, batch.data.length / 32), dims: [1, ...batch.dims.slice(1)] }

    const dir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-bench-backbone-'))
    try {
      const { program } = await mobilenetProgram()
      await writeProgram(program, dir)
      await writeFile(path.join(dir, 'input.bin'), Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength))

      const runtime = new ModelRuntime({ settings: async () => ({ preferredDevice: 'cpu', inferenceThreads: threads }) })
      const session = await runtime.session({ path: modelFile })
      const ours = await session.run({ image: batch }, fetches)
      log(`ours: measuring batch 1 and batch 32 (${threads} threads)…`)
      let ours1 = await imagesPerSecond(session, one, seconds)
      let ours32 = await imagesPerSecond(session, batch, seconds)
      log(`ours: ${ours1.toFixed(1)} images/s at batch 1, ${ours32.toFixed(1)} at batch 32`)

      const measured: Record<string, { batch1: number; batch32: number }> = {}
      let torchVersion = ''
      let maxDiff = 0
      const configs = modes.flatMap((mode) => waitPolicies.map((wait) => ({ mode, wait, name: wait === 'default' ? mode : `${mode}+${wait}` })))
      for (const { mode, wait, name } of configs) {
        log(`torch (${name}): measuring…`)
        const outFile = path.join(dir, `torch-${name}.bin`)
        const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) }
        if (wait === 'passive') env['OMP_WAIT_POLICY'] = 'PASSIVE'
        else delete env['OMP_WAIT_POLICY']
        const r = spawnSync(python, [path.join(repoRoot, 'bench', 'peers', 'backbone.py'), dir, path.join(dir, 'input.bin'), '32', String(threads), String(seconds), mode, outFile], { env, encoding: 'utf8' })
        if (r.status !== 0) throw new Error(`the PyTorch peer failed (${name}): ${r.stderr.trim().split('\n').slice(-3).join(' ')}`)
        const peer = JSON.parse(r.stdout.trim().split('\n').pop()!) as { batch1_images_per_s: number; batch_images_per_s: number; torch: string; threads: number }
        if (peer.threads !== threads) throw new Error(`the PyTorch peer ran ${peer.threads} threads, not ${threads}`)
        torchVersion = peer.torch
        // Same architecture and weights: the outputs must agree before the timings mean anything.
        const bytes = readFileSync(outFile)
        const theirs = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
        let offset = 0
        for (const name of fetches) {
          const mine = ours[name].data as Float32Array
          for (let i = 0; i < mine.length; i++) maxDiff = Math.max(maxDiff, Math.abs(mine[i] - theirs[offset + i]))
          offset += mine.length
        }
        if (!(maxDiff < 1e-3)) throw new Error(`PyTorch's features differ from ours by up to ${maxDiff}: not the same network`)
        measured[name] = { batch1: peer.batch1_images_per_s, batch32: peer.batch_images_per_s }
        log(`torch (${name}): ${peer.batch1_images_per_s.toFixed(1)} images/s at batch 1, ${peer.batch_images_per_s.toFixed(1)} at batch 32`)
      }
      // Ours again after the peer, so that a change in the machine's load cuts both ways; the better run counts.
      log('ours: measuring again…')
      const again1 = await imagesPerSecond(session, one, seconds)
      const again32 = await imagesPerSecond(session, batch, seconds)
      log(`ours: ${again1.toFixed(1)} images/s at batch 1, ${again32.toFixed(1)} at batch 32`)
      await runtime.releaseAll()
      const oursRuns = { batch1: [round(ours1), round(again1)], batch32: [round(ours32), round(again32)] }
      ours1 = Math.max(ours1, again1)
      ours32 = Math.max(ours32, again32)
      const best1 = Math.max(...Object.values(measured).map((m) => m.batch1))
      const best32 = Math.max(...Object.values(measured).map((m) => m.batch32))
      const bestMode = Object.entries(measured).sort((a, b) => b[1].batch32 + b[1].batch1 - (a[1].batch32 + a[1].batch1))[0][0]
      return {
        batch1: { ours_images_per_s: round(ours1), torch_images_per_s: round(best1), ratio: Math.round((ours1 / best1) * 100) / 100 },
        batch32: { ours_images_per_s: round(ours32), torch_images_per_s: round(best32), ratio: Math.round((ours32 / best32) * 100) / 100 },
        threads,
        torch: { version: torchVersion, mode: `best of ${configs.map((c) => c.name).join(', ')} (overall: ${bestMode})`, modes: measured },
        ours_runs: oursRuns,
        max_abs_diff_vs_torch: maxDiff,
        images: `${files.length} images from ${values.dataset}`,
        load_before: loadBefore.map((l) => Math.round(l * 100) / 100),
        load_after: os.loadavg().map((l) => Math.round(l * 100) / 100),
        onnxruntime: runtime.status().onnxruntimeVersion ?? ''
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  },
  format(r) {
    return [
      `MobileNetV2 features, ${r.threads} threads, ${r.images}`,
      `batch 1:  Lightbox ${r.batch1.ours_images_per_s} images/s, PyTorch ${r.batch1.torch_images_per_s} → ×${r.batch1.ratio}`,
      `batch 32: Lightbox ${r.batch32.ours_images_per_s} images/s, PyTorch ${r.batch32.torch_images_per_s} → ×${r.batch32.ratio}`,
      `PyTorch ${r.torch.version}: ${r.torch.mode}; per mode ${JSON.stringify(r.torch.modes)}`,
      `outputs agree within ${r.max_abs_diff_vs_torch.toExponential(2)}; load ${r.load_before.join(' ')} → ${r.load_after.join(' ')}`
    ].join('\n')
  }
})
