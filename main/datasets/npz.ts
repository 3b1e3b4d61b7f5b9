/**
 * NumPy .npz archives (a zip of .npy files, stored or deflated) read with fflate. Little-endian numeric
 * arrays in C order only — what numpy.savez writes on every common platform.
 */
import { readFile } from 'node:fs/promises'
import { unzipSync } from 'fflate'
import { LabError } from '../errors'

export type NpyData = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array

export interface NpyArray {
  /** NumPy's descr without byte order, e.g. 'u1', 'f4', 'i8'. */
  dtype: string
  shape: number[]
  data: NpyData
}

const constructors: Record<string, { new (buffer: ArrayBuffer, offset: number, length: number): NpyData; BYTES_PER_ELEMENT: number }> = {
  u1: Uint8Array,
  b1: Uint8Array,
  i1: Int8Array,
  i2: Int16Array,
  u2: Uint16Array,
  i4: Int32Array,
  u4: Uint32Array,
  f4: Float32Array,
  f8: Float64Array,
  i8: BigInt64Array,
  u8: BigUint64Array
}

/** Parses one .npy file; `where` names it in errors. */
export function parseNpy(bytes: Uint8Array, where: string): NpyArray {
  const bad = (why: string): never => {
    throw new LabError('bad_input', `${where} is not a readable .npy array: ${why}.`, { file: where })
  }
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) bad('the NUMPY signature is missing')
  const major = bytes[6]
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true)
  const headerStart = major === 1 ? 10 : 12
  if (major < 1 || major > 3) bad(`format version ${major} is unknown`)
  if (headerStart + headerLength > bytes.length) bad('the header is truncated')
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength))
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1] ?? bad('the header has no descr')
  if (/'fortran_order'\s*:\s*True/.test(header)) bad('Fortran-ordered arrays are not supported')
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ?? bad('the header has no shape')
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number)
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) bad(`the shape (${shapeText}) is invalid`)
  const order = descr[0]
  const dtype = descr.slice(1)
  const ctor = constructors[dtype]
  if (!ctor) bad(`the element type ${descr} is not supported`)
  if (order === '>' && ctor.BYTES_PER_ELEMENT > 1) bad('big-endian arrays are not supported')
  const count = shape.reduce((a, b) => a * b, 1)
  const start = headerStart + headerLength
  const byteLength = count * ctor.BYTES_PER_ELEMENT
  if (start + byteLength > bytes.length) bad(`it holds ${bytes.length - start} data bytes; shape (${shape.join(', ')}) needs ${byteLength}`)
  // Copy into a fresh, aligned buffer (the zip entry's data may start at any offset).
  const copy = bytes.slice(start, start + byteLength)
  return { dtype, shape, data: new ctor(copy.buffer, 0, count) }
}

/** Every array of an .npz archive, by name (without the .npy suffix). */
export async function readNpz(file: string): Promise<Record<string, NpyArray>> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (err) {
    throw new LabError('not_found', `Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`, { file })
  }
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipSync(bytes)
  } catch (err) {
    throw new LabError('bad_input', `${file} is not a readable .npz (zip) archive: ${(err as Error).message}.`, { file })
  }
  const out: Record<string, NpyArray> = {}
  for (const [name, data] of Object.entries(entries)) {
    if (!name.endsWith('.npy')) continue
    out[name.slice(0, -4)] = parseNpy(data, `${file}:${name}`)
  }
  if (Object.keys(out).length === 0) throw new LabError('bad_input', `${file} holds no .npy arrays.`, { file })
  return out
}

/** Numbers of an array as a Float32Array (integer types converted; 64-bit integers must be exact). */
export function toFloat32(a: NpyArray): Float32Array {
  if (a.data instanceof Float32Array) return a.data
  if (a.data instanceof BigInt64Array || a.data instanceof BigUint64Array) return Float32Array.from(a.data, (v) => Number(v))
  return Float32Array.from(a.data as ArrayLike<number>)
}
