/**
 * Training checkpoints: one file holding a JSON header (progress, history, generator state, a
 * fingerprint of the network and settings) and the float tensors (training state and best weights).
 * Written to a temporary file and renamed, so a crash never leaves a half-written checkpoint.
 */
import { open, readFile, rename, rm } from 'node:fs/promises'
import { LabError } from '../../errors'
import type { EpochRecord } from './types'

const MAGIC = 'LBCKPT01'

export interface CheckpointHeader {
  fingerprint: string
  /** Epochs completed. */
  epoch: number
  step: number
  random: number[]
  history: EpochRecord[]
  best: { epoch: number; value: number; metrics: Record<string, number> } | null
  epochsSinceBest: number
  trainSeconds: number
}

export interface Checkpoint {
  header: CheckpointHeader
  tensors: Map<string, Float32Array>
}

export async function saveCheckpoint(path: string, header: CheckpointHeader, tensors: Map<string, Float32Array>): Promise<void> {
  const index: { name: string; length: number }[] = []
  for (const [name, data] of tensors) index.push({ name, length: data.length })
  const json = Buffer.from(JSON.stringify({ ...header, tensors: index }), 'utf8')
  const lead = Buffer.alloc(16)
  lead.write(MAGIC, 0, 'ascii')
  lead.writeUInt32LE(json.length, 8)
  // Float data starts 4-byte aligned.
  const pad = Buffer.alloc((4 - ((16 + json.length) % 4)) % 4)
  const tmp = `${path}.tmp-${process.pid}`
  const file = await open(tmp, 'w')
  try {
    await file.write(lead)
    await file.write(json)
    await file.write(pad)
    for (const data of tensors.values()) await file.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(tmp, path).catch(async (err) => {
    await rm(tmp, { force: true })
    throw err
  })
}

export async function loadCheckpoint(path: string): Promise<Checkpoint | null> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  const corrupt = (why: string): never => {
    throw new LabError('bad_input', `The checkpoint ${path} cannot be read: ${why}.`, { file: path })
  }
  if (bytes.length < 16 || bytes.toString('ascii', 0, 8) !== MAGIC) corrupt('it is not a Lightbox training checkpoint')
  const jsonLength = bytes.readUInt32LE(8)
  if (16 + jsonLength > bytes.length) corrupt('it is truncated')
  let parsed: CheckpointHeader & { tensors: { name: string; length: number }[] }
  try {
    parsed = JSON.parse(bytes.toString('utf8', 16, 16 + jsonLength))
  } catch {
    return corrupt('its header is not valid JSON')
  }
  let offset = 16 + jsonLength
  offset += (4 - (offset % 4)) % 4
  const tensors = new Map<string, Float32Array>()
  for (const t of parsed.tensors) {
    const end = offset + t.length * 4
    if (end > bytes.length) corrupt('it is truncated')
    tensors.set(t.name, new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + end)))
    offset = end
  }
  const { tensors: _index, ...header } = parsed
  return { header, tensors }
}
