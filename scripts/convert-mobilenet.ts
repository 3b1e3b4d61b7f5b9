/**
 * Build step (`npm run build` runs it before electron-vite): converts the MobileNetV2 weights that nsfwjs
 * ships (TF.js layers format, uint8-quantised) to resources/models/mobilenet-v2/model.onnx + manifest.json.
 * Skips the work when the output is up to date; `--force` converts anyway.
 */
import { sourceResourcesDir } from '../main/app/paths'
import { ensureMobilenet } from '../main/ml/backbone/mobilenet'

const force = process.argv.includes('--force')
try {
  const r = await ensureMobilenet(sourceResourcesDir, { force })
  const what = r.status === 'converted' ? 'converted' : 'up to date'
  process.stdout.write(`mobilenet-v2: ${what} (${r.seconds.toFixed(2)} s) → ${r.modelFile} sha256 ${r.manifest.sha256}\n`)
} catch (err) {
  process.stderr.write(`convert-mobilenet: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
}
