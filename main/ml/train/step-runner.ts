/**
 * Runs the training graph one optimizer step at a time. The state tensors (parameters, optimizer slots,
 * running statistics) live in two pre-allocated sets: step k feeds set A and has ORT write the updated
 * state into set B (pre-allocated outputs), then the roles swap. Batch inputs, targets and the per-step
 * scalars are tensors over buffers the caller fills in place, so a step allocates nothing.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import { LabError } from '../../errors'
import type { OptimizerSpec } from '../optim/spec'
import { createSession, loadOrt } from '../runtime/ort'
import type { NetworkSpec } from './spec'
import { buildTrainingGraph, type StateSlot, type TrainingGraph } from './training-graph'
import type { Weights } from './types'

export class StepRunner {
  readonly graph: TrainingGraph
  /** Batch input buffers by network input name ([batch, ...shape]). */
  readonly inputs: Map<string, Float32Array>
  /** Loss tensors by head name and role ('target', or 'a'/'b' for BCE). */
  readonly targets: Map<string, Record<'target' | 'a' | 'b', Float32Array | undefined>>
  /** Loss of the last step, total and per head (weighted as configured). */
  readonly losses: Float32Array
  private readonly session: InferenceSession
  private readonly buffers: Float32Array[][]
  private readonly stateTensors: Tensor[][]
  private readonly scalarBuffers: Float32Array[]
  private readonly feeds: Record<string, Tensor>[]
  private readonly fetches: Record<string, Tensor>[]
  private parity = 0
  /** Whether ORT wrote straight into the pre-allocated outputs (checked on the first step). */
  private inPlace: boolean | null = null

  private constructor(graph: TrainingGraph, session: InferenceSession, ort: Awaited<ReturnType<typeof loadOrt>>) {
    this.graph = graph
    this.session = session
    const B = graph.batchSize
    const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1)
    this.buffers = [0, 1].map(() => graph.state.map((s) => new Float32Array(size(s.shape))))
    this.stateTensors = this.buffers.map((set) => set.map((d, i) => new ort.Tensor('float32', d, graph.state[i].shape)))
    const shared: Record<string, Tensor> = {}
    this.inputs = new Map()
    for (const d of graph.dataInputs) {
      const buf = new Float32Array(size(d.shape))
      this.inputs.set(d.name.slice(3), buf)
      shared[d.name] = new ort.Tensor('float32', buf, d.shape)
    }
    this.targets = new Map()
    for (const h of graph.heads) {
      const roles: Record<'target' | 'a' | 'b', Float32Array | undefined> = { target: undefined, a: undefined, b: undefined }
      for (const i of h.inputs) {
        roles[i.role] = new Float32Array(B * h.size)
        shared[i.name] = new ort.Tensor('float32', roles[i.role]!, [B, h.size])
      }
      this.targets.set(h.head.name, roles)
    }
    this.scalarBuffers = graph.scalarInputs.map(() => new Float32Array(1))
    graph.scalarInputs.forEach((name, i) => (shared[name] = new ort.Tensor('float32', this.scalarBuffers[i], [])))
    const lossNames = [graph.lossOutput, ...graph.heads.map((h) => h.lossOutput)]
    this.losses = new Float32Array(lossNames.length)
    const lossTensors = lossNames.map((_, i) => new ort.Tensor('float32', this.losses.subarray(i, i + 1), []))
    this.feeds = [0, 1].map((p) => {
      const f: Record<string, Tensor> = { ...shared }
      graph.state.forEach((s, i) => (f[s.input] = this.stateTensors[p][i]))
      return f
    })
    this.fetches = [0, 1].map((p) => {
      const f: Record<string, Tensor> = {}
      lossNames.forEach((n, i) => (f[n] = lossTensors[i]))
      graph.state.forEach((s, i) => (f[s.output] = this.stateTensors[1 - p][i]))
      return f
    })
  }

  static async create(spec: NetworkSpec, o: { batchSize: number; optimizer: OptimizerSpec; seed: number; threads?: number }): Promise<StepRunner> {
    const ort = await loadOrt()
    const graph = buildTrainingGraph(spec, o)
    const session = await createSession(graph.bytes, { threads: o.threads, allowSpinning: false })
    return new StepRunner(graph, session, ort)
  }

  get state(): readonly StateSlot[] {
    return this.graph.state
  }

  /** The live state arrays (valid until the next step). */
  current(): Float32Array[] {
    return this.buffers[this.parity]
  }

  /** Sets parameters from weights (optimizer slots zeroed) or every state tensor from saved arrays. */
  load(source: { weights: Weights } | { saved: Map<string, Float32Array> }): void {
    const target = this.buffers[this.parity]
    this.graph.state.forEach((s, i) => {
      if ('weights' in source) {
        if (s.kind === 'param') target[i].set(source.weights[s.param].data)
        else target[i].fill(0)
      } else {
        const saved = source.saved.get(s.input)
        if (!saved || saved.length !== target[i].length) throw new LabError('bad_input', `The checkpoint lacks the training state "${s.input}".`)
        target[i].set(saved)
      }
    })
  }

  /** Copies of the current parameters (incl. running statistics). */
  weights(): Weights {
    const w: Weights = {}
    this.graph.state.forEach((s, i) => {
      if (s.kind === 'param') w[s.param] = { shape: [...s.shape], data: Float32Array.from(this.buffers[this.parity][i]) }
    })
    return w
  }

  /** The current parameters as `p:<name>` tensors, for an evaluation graph that takes them as inputs. */
  paramTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {}
    this.graph.state.forEach((s, i) => {
      if (s.kind === 'param') out[s.input] = this.stateTensors[this.parity][i]
    })
    return out
  }

  /** One optimizer step (1-based `step`) at learning rate `lr` on the filled batch; returns the loss. */
  async run(step: number, lr: number): Promise<number> {
    const hp = this.graph.optimizer.scalars(step, lr)
    this.graph.scalarInputs.forEach((name, i) => (this.scalarBuffers[i][0] = hp[name.slice(3)]))
    const fetches = this.fetches[this.parity]
    const next = this.buffers[1 - this.parity]
    if (this.inPlace === null) for (const b of next) b.fill(NaN)
    const out = await this.session.run(this.feeds[this.parity], fetches)
    if (this.inPlace === null) this.inPlace = next.every((b) => b.length === 0 || !Number.isNaN(b[0]))
    if (!this.inPlace) {
      // This onnxruntime build handed back new buffers instead of filling ours: copy them over.
      for (const name in fetches) (fetches[name].data as Float32Array).set((out[name] as Tensor).data as Float32Array)
    }
    this.parity = 1 - this.parity
    return this.losses[0]
  }

  async release(): Promise<void> {
    await this.session.release()
  }
}
