/**
 * `npm run bench -- backbone [--json] [--dataset <nih-dir>] [--windows W] [--window S] [--gap S] [--threads N] [--torch-mode M]`
 *
 * MobileNetV2 feature extraction (both feature vectors: block 10 and the final 1280-d pooling) on real NIH
 * chest X-rays, Lightbox (onnxruntime-node, the converted model) against the same architecture with the same
 * folded weights in Debian's PyTorch (CPU, oneDNN/OpenBLAS, the same thread count). The peer gets the
 * converter's own program (bench/peers/backbone.py builds torch modules from it), and its outputs are checked
 * against ours before anything is timed.
 *
 * PyTorch runs in its fastest standard configuration unless --torch-mode says otherwise: eager NCHW,
 * channels_last and TorchScript (trace + freeze + optimize_for_inference), each with OpenMP's default wait
 * policy and with OMP_WAIT_POLICY=PASSIVE (our side's threads sleep rather than spin, see
 * main/ml/runtime/runtime.ts). Calibration (the better of two windows per configuration and batch size)
 * picks the fastest configuration for each batch size. Then timing windows of the two sides alternate (who
 * goes first swaps each round), and each side reports its median window, so the load of a shared machine
 * hits both alike and neither side gets a best-of-N the other does not. Every window starts after a pause
 * of --gap seconds, so that neither side is timed while the other's idle threads still spin.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { repoRoot, sourceResourcesDir } from '../main/app/paths'
import { readManifest, sharedDatasetsDir } from '../main/datasets/manifest'
import { readGreyImage } from '../main/imaging/read-image'
import { ensureMobilenet, mobilenetProgram } from '../main/ml/backbone/mobilenet'
import type { Program } from '../main/ml/backbone/keras-program'
import { imagesToTensor } from '../main/ml/backbone/preprocess'
import { ModelRuntime, type ModelSession, type TensorData } from '../main/ml/runtime'
import { defineBenchmark, median } from './benchmark'

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
  torch: {
    version: string
    /** The configuration timed at each batch size: the fastest in calibration. */
    batch1_config: string
    batch32_config: string
    /** Calibration: each configuration's better of two windows, images/s. */
    calibration: Record<string, { batch1: number; batch32: number }>
  }
  /** Every alternating window, images/s, in order. */
  windows: { batch1: { ours: number[]; torch: number[] }; batch32: { ours: number[]; torch: number[] } }
  window_seconds: number
  gap_seconds: number
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

/** Images/s over one timed window of about `seconds` (at least one run); the peer's window does the same. */
async function window(session: ModelSession, input: TensorData, seconds: number): Promise<number> {
  const start = performance.now()
  let done = 0
  do {
    await session.run({ image: input }, fetches)
    done += input.dims[0]
  } while (performance.now() - start < seconds * 1000)
  return done / ((performance.now() - start) / 1000)
}

interface TorchConfig {
  mode: (typeof torchModes)[number]
  wait: (typeof waitPolicies)[number]
  name: string
}

/** One PyTorch configuration as a long-lived process: features first, then timing windows on request. */
async function startPeer(dir: string, config: TorchConfig, batch: number, threads: number) {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) }
  if (config.wait === 'passive') env['OMP_WAIT_POLICY'] = 'PASSIVE'
  else delete env['OMP_WAIT_POLICY']
  const outFile = path.join(dir, `torch-${config.name}.bin`)
  const args = [path.join(repoRoot, 'bench', 'peers', 'backbone.py'), dir, path.join(dir, 'input.bin'), String(batch), String(threads), config.mode, outFile]
  const child = spawn(python, args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  // A peer that died is reported by next() with its stderr; writing to it must not crash the bench first.
  child.stdin.on('error', () => {})
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async (): Promise<unknown> => {
    const r = await lines.next()
    if (r.done) throw new Error(`the PyTorch peer (${config.name}) stopped: ${stderr.trim().split('\n').slice(-3).join(' ')}`)
    return JSON.parse(r.value)
  }
  const info = (await next()) as { torch: string; threads: number }
  if (info.threads !== threads) throw new Error(`the PyTorch peer ran ${info.threads} threads, not ${threads}`)
  const bytes = readFileSync(outFile)
  return {
    config,
    version: info.torch,
    features: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
    async window(n: number, seconds: number): Promise<number> {
      child.stdin.write(`${n} ${seconds}\n`)
      return ((await next()) as { images_per_s: number }).images_per_s
    },
    stop(): void {
      child.stdin.end()
      child.kill()
    }
  }
}
type Peer = Awaited<ReturnType<typeof startPeer>>

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
        windows: { type: 'string', default: '9' },
        window: { type: 'string', default: '1' },
        gap: { type: 'string', default: '0.3' },
        threads: { type: 'string', default: '2' },
        'torch-mode': { type: 'string', default: 'best' }
      }
    })
    const windows = Number(values.windows)
    const seconds = Number(values.window)
    const gap = Number(values.gap)
    const threads = Number(values.threads)
    if (!(windows >= 1 && seconds > 0 && gap >= 0 && threads >= 1)) throw new Error('--windows, --window and --threads must be positive numbers, --gap at least 0')
    const modes = values['torch-mode'] === 'best' ? [...torchModes] : [values['torch-mode'] as (typeof torchModes)[number]]
    if (!modes.every((m) => torchModes.includes(m))) throw new Error(`--torch-mode must be best or one of ${torchModes.join(', ')}`)
    const loadBefore = os.loadavg()
    ensureTorch(log)

    const { modelFile, manifest } = await ensureMobilenet(sourceResourcesDir)
    const manifestCsv = await readManifest(values.dataset!, 'manifest.csv', ['file'])
    const files = manifestCsv.rows.slice(0, 32).map((r) => path.join(values.dataset!, r['file']))
    if (files.length < 32) throw new Error(`${values.dataset} lists ${files.length} images; the benchmark needs 32.`)
    const batch = imagesToTensor(await Promise.all(files.map((f) => readGreyImage(f))), manifest.inputs[0])
    const one: TensorData = { ...batch, data: batch.data.slice(0, batch.data.length / 32), dims: [1, ...batch.dims.slice(1)] }
    const inputs = { batch1: one, batch32: batch }

    const dir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-bench-backbone-'))
    const runtime = new ModelRuntime({ settings: async () => ({ preferredDevice: 'cpu', inferenceThreads: threads }) })
    const peers: Peer[] = []
    try {
      const { program } = await mobilenetProgram()
      await writeProgram(program, dir)
      await writeFile(path.join(dir, 'input.bin'), Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength))

      const session = await runtime.session({ path: modelFile })
      const ours = await session.run({ image: batch }, fetches)
      // Warm-up, as the peer does before its first window.
      for (const input of Object.values(inputs)) for (let i = 0; i < 3; i++) await session.run({ image: input }, fetches)

      // Every window starts after a short pause, so that no one is timed while another's idle threads still
      // spin (OpenMP and OpenBLAS keep theirs busy for a while after each call).
      const settle = () => new Promise((resolve) => setTimeout(resolve, gap * 1000))

      // Calibration: every PyTorch configuration, checked for the same outputs, then two rounds of one window
      // per configuration and batch size; each configuration counts its better window, so that one unlucky
      // window does not leave PyTorch with a slower configuration than it has.
      const calibration: Record<string, { batch1: number; batch32: number }> = {}
      let maxDiff = 0
      const configs: TorchConfig[] = modes.flatMap((mode) => waitPolicies.map((wait) => ({ mode, wait, name: wait === 'default' ? mode : `${mode}+${wait}` })))
      for (const config of configs) {
        log(`torch (${config.name}): starting…`)
        const peer = await startPeer(dir, config, 32, threads)
        peers.push(peer)
        // Same architecture and weights: the outputs must agree before the timings mean anything.
        let offset = 0
        for (const name of fetches) {
          const mine = ours[name].data as Float32Array
          for (let i = 0; i < mine.length; i++) maxDiff = Math.max(maxDiff, Math.abs(mine[i] - peer.features[offset + i]))
          offset += mine.length
        }
        if (!(maxDiff < 1e-3)) throw new Error(`PyTorch's features differ from ours by up to ${maxDiff}: not the same network`)
        calibration[config.name] = { batch1: 0, batch32: 0 }
      }
      for (let pass = 0; pass < 2; pass++) {
        for (const peer of peers) {
          const c = calibration[peer.config.name]
          await settle()
          c.batch1 = Math.max(c.batch1, await peer.window(1, seconds))
          await settle()
          c.batch32 = Math.max(c.batch32, await peer.window(32, seconds))
          if (pass === 1) log(`torch (${peer.config.name}): ${c.batch1.toFixed(1)} images/s at batch 1, ${c.batch32.toFixed(1)} at batch 32 (better of two windows)`)
        }
      }
      const fastest = (key: 'batch1' | 'batch32'): Peer => peers.reduce((x, y) => (calibration[y.config.name][key] > calibration[x.config.name][key] ? y : x))
      const best = { batch1: fastest('batch1'), batch32: fastest('batch32') }
      // Only the chosen processes stay, so idle ones hold no memory.
      for (const p of peers) if (p !== best.batch1 && p !== best.batch32) p.stop()
      for (const c of Object.values(calibration)) {
        c.batch1 = round(c.batch1)
        c.batch32 = round(c.batch32)
      }
      const peer1 = best.batch1
      const peer32 = best.batch32

      // Alternating windows; whoever went first goes second in the next round.
      const series = { batch1: { ours: [] as number[], torch: [] as number[] }, batch32: { ours: [] as number[], torch: [] as number[] } }
      for (let w = 0; w < windows; w++) {
        for (const key of ['batch1', 'batch32'] as const) {
          const peer = key === 'batch1' ? peer1 : peer32
          const n = inputs[key].dims[0]
          const timeOurs = async () => {
            await settle()
            series[key].ours.push(await window(session, inputs[key], seconds))
          }
          const timeTorch = async () => {
            await settle()
            series[key].torch.push(await peer.window(n, seconds))
          }
          if (w % 2 === 0) {
            await timeOurs()
            await timeTorch()
          } else {
            await timeTorch()
            await timeOurs()
          }
        }
        log(`window ${w + 1}/${windows}: batch 1 ours ${series.batch1.ours.at(-1)!.toFixed(1)} torch ${series.batch1.torch.at(-1)!.toFixed(1)}, batch 32 ours ${series.batch32.ours.at(-1)!.toFixed(1)} torch ${series.batch32.torch.at(-1)!.toFixed(1)} images/s (load ${os.loadavg()[0].toFixed(1)})`)
      }
      const pair = (key: keyof typeof series): Pair => {
        const o = median(series[key].ours)
        const t = median(series[key].torch)
        return { ours_images_per_s: round(o), torch_images_per_s: round(t), ratio: Math.round((o / t) * 100) / 100 }
      }
      const rounded = (v: number[]) => v.map(round)
      return {
        batch1: pair('batch1'),
        batch32: pair('batch32'),
        threads,
        torch: { version: peer1.version, batch1_config: peer1.config.name, batch32_config: peer32.config.name, calibration },
        windows: {
          batch1: { ours: rounded(series.batch1.ours), torch: rounded(series.batch1.torch) },
          batch32: { ours: rounded(series.batch32.ours), torch: rounded(series.batch32.torch) }
        },
        window_seconds: seconds,
        gap_seconds: gap,
        max_abs_diff_vs_torch: maxDiff,
        images: `${files.length} images from ${values.dataset}`,
        load_before: loadBefore.map((l) => Math.round(l * 100) / 100),
        load_after: os.loadavg().map((l) => Math.round(l * 100) / 100),
        onnxruntime: runtime.status().onnxruntimeVersion ?? ''
      }
    } finally {
      for (const p of peers) p.stop()
      await runtime.releaseAll()
      await rm(dir, { recursive: true, force: true })
    }
  },
  format(r) {
    return [
      `MobileNetV2 features, ${r.threads} threads, ${r.images}`,
      `medians of ${r.windows.batch1.ours.length} alternating windows of ${r.window_seconds} s each side, ${r.gap_seconds} s apart`,
      `batch 1:  Lightbox ${r.batch1.ours_images_per_s} images/s, PyTorch ${r.batch1.torch_images_per_s} (${r.torch.batch1_config}) → ×${r.batch1.ratio}`,
      `batch 32: Lightbox ${r.batch32.ours_images_per_s} images/s, PyTorch ${r.batch32.torch_images_per_s} (${r.torch.batch32_config}) → ×${r.batch32.ratio}`,
      `PyTorch ${r.torch.version} calibration windows: ${JSON.stringify(r.torch.calibration)}`,
      `outputs agree within ${r.max_abs_diff_vs_torch.toExponential(2)}; load ${r.load_before.join(' ')} → ${r.load_after.join(' ')}`
    ].join('\n')
  }
})
