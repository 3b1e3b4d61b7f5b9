/**
 * FeatureCache in files, for the headless CLI and evaluations: one file per (backbone, image hash) under
 * <dataDir>/feature-cache/<backbone>/<hh>/<hash>.f32. A file is a little header (JSON: which outputs,
 * how long) followed by the vectors as little-endian float32. Written through a temporary file and a
 * rename; a damaged file reads as a miss and is removed.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { FeatureCache, FeatureEntry, FeatureKey } from '../../../preload/api'

interface Header {
  backbone: string
  hash: string
  outputs: { name: string; length: number }[]
}

const hashPattern = /^[0-9a-f]{64}$/

/** A backbone id as a folder name: 'mobilenet-v2@1.0.0' stays readable. */
function folderFor(backbone: string): string {
  return backbone.replace(/[^A-Za-z0-9._@+-]/g, '_')
}

export function encodeEntry(entry: FeatureEntry): Uint8Array {
  const names = Object.keys(entry.outputs).sort()
  const header: Header = { backbone: entry.backbone, hash: entry.hash, outputs: names.map((name) => ({ name, length: entry.outputs[name].length })) }
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const floats = names.reduce((n, k) => n + entry.outputs[k].length, 0)
  const out = Buffer.alloc(4 + json.length + floats * 4)
  out.writeUInt32LE(json.length, 0)
  json.copy(out, 4)
  let at = 4 + json.length
  for (const name of names) for (const v of entry.outputs[name]) at = out.writeFloatLE(v, at)
  return out
}

export function decodeEntry(bytes: Buffer, key: FeatureKey): FeatureEntry | null {
  if (bytes.length < 4) return null
  const headerLength = bytes.readUInt32LE(0)
  if (4 + headerLength > bytes.length) return null
  let header: Header
  try {
    header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as Header
  } catch {
    return null
  }
  if (header.backbone !== key.backbone || header.hash !== key.hash || !Array.isArray(header.outputs)) return null
  const total = header.outputs.reduce((n, o) => n + o.length, 0)
  if (4 + headerLength + total * 4 !== bytes.length) return null
  const outputs: FeatureEntry['outputs'] = {}
  let at = 4 + headerLength
  for (const o of header.outputs) {
    const v = new Float32Array(o.length)
    for (let i = 0; i < o.length; i++, at += 4) v[i] = bytes.readFloatLE(at)
    outputs[o.name] = v
  }
  return { backbone: key.backbone, hash: key.hash, outputs }
}

export class FileFeatureCache implements FeatureCache {
  readonly dir: string

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'feature-cache')
  }

  private fileFor(key: FeatureKey): string {
    if (!hashPattern.test(key.hash)) throw new Error(`Not a SHA-256 hash: ${key.hash}`)
    return path.join(this.dir, folderFor(key.backbone), key.hash.slice(0, 2), `${key.hash}.f32`)
  }

  async get(keys: FeatureKey[]): Promise<(FeatureEntry | null)[]> {
    return Promise.all(
      keys.map(async (key) => {
        const file = this.fileFor(key)
        let bytes: Buffer
        try {
          bytes = await readFile(file)
        } catch {
          return null
        }
        const entry = decodeEntry(bytes, key)
        if (!entry) await rm(file, { force: true })
        return entry
      })
    )
  }

  async put(entries: FeatureEntry[]): Promise<void> {
    for (const entry of entries) {
      const file = this.fileFor(entry)
      await mkdir(path.dirname(file), { recursive: true })
      const tmp = `${file}.${randomUUID().slice(0, 8)}.tmp`
      await writeFile(tmp, encodeEntry(entry))
      await rename(tmp, file)
    }
  }

  private async files(backbone?: string): Promise<string[]> {
    const roots = backbone ? [path.join(this.dir, folderFor(backbone))] : await readdir(this.dir).then((d) => d.map((x) => path.join(this.dir, x)), () => [])
    const out: string[] = []
    for (const root of roots) {
      const found = await readdir(root, { recursive: true }).catch(() => [] as string[])
      out.push(...found.map(String).filter((f) => f.endsWith('.f32')).map((f) => path.join(root, f)))
    }
    return out
  }

  async count(backbone?: string): Promise<number> {
    return (await this.files(backbone)).length
  }

  async clear(backbone?: string): Promise<number> {
    const n = (await this.files(backbone)).length
    await rm(backbone ? path.join(this.dir, folderFor(backbone)) : this.dir, { recursive: true, force: true })
    return n
  }
}
