/**
 * A small typed ONNX graph under construction: inputs, initializers, nodes and outputs, each value with a
 * static (or symbolic) shape. Ops are added through ops.ts, which also records them on the tape that
 * autodiff walks backwards. `toModelBytes()` writes the ModelProto with onnx-proto.
 */
import { encodeModel } from './proto'

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8'
/** A number, or a string naming a symbolic dimension (e.g. 'batch'). */
export type Dim = number | string
export type Shape = Dim[]

export interface Value {
  readonly name: string
  readonly shape: Shape
  readonly dtype: DType
}

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array

/** ONNX attributes, typed explicitly because JS numbers do not say int or float. */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  ints: (value: number[]): Attr => ({ kind: 'ints', value }),
  floats: (value: number[]): Attr => ({ kind: 'floats', value }),
  string: (value: string): Attr => ({ kind: 'string', value })
}

export interface NodeDef {
  opType: string
  domain: string
  inputs: string[]
  outputs: string[]
  attrs: Record<string, Attr>
  name: string
}

export interface Initializer {
  name: string
  dtype: DType
  dims: number[]
  data: TensorData
  /** For a float32 constant(): the numbers it was made from, before rounding (float64 evaluations use them). */
  exact?: number[]
}

/** One differentiable operation as autodiff sees it (may have emitted several ONNX nodes). */
export interface TapeEntry {
  op: string
  inputs: Value[]
  outputs: Value[]
  /** Op parameters the gradient rule needs (plain JS values). */
  params: Record<string, unknown>
}

export class Graph {
  readonly name: string
  readonly opset: number
  readonly inputs: Value[] = []
  readonly outputs: Value[] = []
  readonly initializers: Initializer[] = []
  readonly nodes: NodeDef[] = []
  readonly tape: TapeEntry[] = []
  /** Ops add themselves to the tape only while this is true (autodiff turns it off for backward nodes). */
  recording = true
  private readonly used = new Set<string>()
  /** Names handed out by fresh() and not yet attached to a value. */
  private readonly reserved = new Set<string>()
  private readonly counters = new Map<string, number>()
  private readonly constants = new Map<string, Value>()
  /** Value names renamed by output(): old → new. */
  private readonly aliases = new Map<string, string>()

  constructor(name = 'graph', opset = 17) {
    this.name = name
    this.opset = opset
  }

  /** A fresh value name starting with `hint`. */
  fresh(hint: string): string {
    let n = this.counters.get(hint) ?? 0
    let name = n === 0 && !this.used.has(hint) ? hint : `${hint}_${n}`
    while (this.used.has(name)) name = `${hint}_${++n}`
    this.counters.set(hint, n + 1)
    this.used.add(name)
    this.reserved.add(name)
    return name
  }

  private claim(name: string): void {
    if (this.reserved.delete(name)) return
    if (this.used.has(name)) throw new Error(`Graph ${this.name}: the name "${name}" is already used`)
    this.used.add(name)
  }

  input(name: string, shape: Shape, dtype: DType = 'float32'): Value {
    this.claim(name)
    const v: Value = { name, shape: [...shape], dtype }
    this.inputs.push(v)
    return v
  }

  initializer(name: string, data: TensorData, dims: number[], dtype: DType = dtypeOf(data)): Value {
    this.claim(name)
    const size = dims.reduce((a, b) => a * b, 1)
    if (data.length !== size) throw new Error(`Initializer ${name}: ${data.length} values for shape [${dims}]`)
    this.initializers.push({ name, dtype, dims: [...dims], data })
    return { name, shape: [...dims], dtype }
  }

  /** A shared constant (deduplicated by value). */
  constant(values: number[], dims: number[], dtype: DType = 'float32'): Value {
    const key = `${dtype}:${dims.join(',')}:${values.join(',')}`
    const hit = this.constants.get(key)
    if (hit) return hit
    const data =
      dtype === 'int64'
        ? BigInt64Array.from(values.map((v) => BigInt(v)))
        : dtype === 'float64'
          ? Float64Array.from(values)
          : dtype === 'int32'
            ? Int32Array.from(values)
            : dtype === 'bool' || dtype === 'uint8'
              ? Uint8Array.from(values)
              : Float32Array.from(values)
    const v = this.initializer(this.fresh('const'), data, dims, dtype)
    if (dtype === 'float32') this.initializers[this.initializers.length - 1].exact = [...values]
    this.constants.set(key, v)
    return v
  }

  scalar(value: number, dtype: DType = 'float32'): Value {
    return this.constant([value], [], dtype)
  }

  /** Emits one ONNX node; returns its outputs as values with the given shapes/dtypes. */
  emit(
    opType: string,
    inputs: (Value | null)[],
    outs: { shape: Shape; dtype: DType; name?: string }[],
    attrs: Record<string, Attr> = {},
    domain = ''
  ): Value[] {
    const outputs = outs.map((o) => {
      const name = o.name ?? this.fresh(opType.toLowerCase())
      if (o.name) this.claim(o.name)
      return { name, shape: [...o.shape], dtype: o.dtype }
    })
    this.nodes.push({
      opType,
      domain,
      inputs: inputs.map((v) => (v ? this.resolve(v.name) : '')),
      outputs: outputs.map((v) => v.name),
      attrs,
      name: `${opType}_${this.nodes.length}`
    })
    return outputs
  }

  record(entry: TapeEntry): void {
    if (this.recording) this.tape.push(entry)
  }

  /** The current name of a value (output() may have renamed it). */
  resolve(name: string): string {
    return this.aliases.get(name) ?? name
  }

  /**
   * Marks `v` as a graph output, under `name` when given. A value computed by a node is renamed in place
   * (no copy); an input, initializer or existing output gets an Identity.
   */
  output(v: Value, name?: string): Value {
    const current = this.resolve(v.name)
    let out: Value = { name: current, shape: v.shape, dtype: v.dtype }
    if (name !== undefined && name !== current) {
      const producer = this.nodes.find((n) => n.outputs.includes(current))
      if (producer && !this.outputs.some((o) => o.name === current)) {
        this.claim(name)
        for (const n of this.nodes) {
          n.inputs = n.inputs.map((i) => (i === current ? name : i))
          n.outputs = n.outputs.map((o) => (o === current ? name : o))
        }
        this.aliases.set(v.name, name)
        if (current !== v.name) this.aliases.set(current, name)
        out = { name, shape: v.shape, dtype: v.dtype }
      } else out = this.emit('Identity', [v], [{ shape: v.shape, dtype: v.dtype, name }])[0]
    }
    this.outputs.push(out)
    return out
  }

  toModelBytes(docString = ''): Uint8Array {
    return encodeModel(this, docString)
  }
}

export function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32'
  if (data instanceof Float64Array) return 'float64'
  if (data instanceof BigInt64Array) return 'int64'
  if (data instanceof Int32Array) return 'int32'
  return 'uint8'
}

export function sizeOf(shape: Shape): number {
  let n = 1
  for (const d of shape) {
    if (typeof d !== 'number') throw new Error(`Shape [${shape}] is not static`)
    n *= d
  }
  return n
}

export function isStatic(shape: Shape): shape is number[] {
  return shape.every((d) => typeof d === 'number')
}
