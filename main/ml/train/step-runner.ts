/**
 * Runs training graphs one run at a time. A run is `stepsPerRun` optimizer steps (one session) or, for
 * the odd steps left at the end of an epoch, single steps (a second, one-step session built when first
 * needed). The state tensors (parameters, optimizer slots, running statistics) live in two pre-allocated
 * sets: a run feeds set A and has onnxruntime write the updated state into set B (pre-allocated outputs),
 * then the roles swap. Batch inputs, targets and per-step scalars are tensors over buffers the caller
 * fills in place, so a run allocates nothing on the JS side.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import { LabError } from '../../errors'
import type { OptimizerSpec } from '../optim/spec'
import { createSession, loadOrt, type SessionOptions } from '../runtime/ort'
import type { NetworkSpec } from './spec'
import { buildTrainingGraph, stepName, type StateSlot, type TrainingGraph } from './training-graph'
import type { Weights } from './types'

type Ort = Awaited<ReturnType<typeof loadOrt>>

/**
 * Session settings for training graphs, chosen by measurement on the 2-core build machine: pool threads
 * that sleep rather than spin between ops (spinning was several-fold slower with other work running),
 * and the 'extended' optimisation level (the 'all' level's NCHWc layout adds conversions around each
 * convolution in a training graph; about 20% slower per CNN step).
 */
export function trainingSessionOptions(threads?: number): SessionOptions {
  return { threads, allowSpinning: false, graphOptimizationLevel: 'extended' }
}

interface RunPlan {
  session: InferenceSession
  /** Feeds and fetches by parity (which state set is the input), per first batch slot. */
  feeds: Record<string, Tensor>[][]
  fetches: Record<string, Tensor>[][]
}

export interface StepRunnerOptions {
  batchSize: number
  optimizer: OptimizerSpec
  seed: number
  threads?: number
  /** Optimizer steps per onnxruntime run (default 1). */
  stepsPerRun?: number
}

export class StepRunner {
  readonly graph: TrainingGraph
  readonly stepsPerRun: number
  /** Batch input buffers by network input name: stepsPerRun batches back to back ([K·batch, ...shape]). */
  readonly inputs: Map<string, Float32Array>
  /** Loss tensors by head name and role ('target', or 'a'/'b' for BCE), stepsPerRun batches back to back. */
  readonly targets: Map<string, Record<'target' | 'a' | 'b', Float32Array | undefined>>
  /** Losses of the last run: per step k, [total, ...per head] at k·(1 + heads). */
  readonly losses: Float32Array
  private readonly ort: Ort
  private readonly spec: NetworkSpec
  private readonly options: StepRunnerOptions
  private readonly buffers: Float32Array[][]
  private readonly stateTensors: Tensor[][]
  /** Per-step tensors (data, targets, scalars, losses) by step-suffixed name, per batch slot k. */
  private readonly slotTensors: Map<string, Tensor>[]
  private readonly scalarBuffers: Float32Array[][]
  private readonly main: RunPlan
  private single: RunPlan | null = null
  private parity = 0
  /** Whether onnxruntime wrote straight into the pre-allocated outputs (checked on the first run). */
  private inPlace: boolean | null = null

  private constructor(ort: Ort, spec: NetworkSpec, options: StepRunnerOptions, graph: TrainingGraph, session: InferenceSession) {
    this.ort = ort
    this.spec = spec
    this.options = options
    this.graph = graph
    this.stepsPerRun = graph.stepsPerRun
    const K = graph.stepsPerRun
    const B = graph.batchSize
    const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1)
    this.buffers = [0, 1].map(() => graph.state.map((s) => new Float32Array(size(s.shape))))
    this.stateTensors = this.buffers.map((set) => set.map((d, i) => new ort.Tensor('float32', d, graph.state[i].shape)))
    this.slotTensors = Array.from({ length: K }, () => new Map<string, Tensor>())

    this.inputs = new Map()
    for (const d of graph.dataInputs) {
      const per = size(d.shape)
      const buf = new Float32Array(K * per)
      this.inputs.set(d.name.slice(3), buf)
      for (let k = 0; k < K; k++) this.slotTensors[k].set(d.name, new ort.Tensor('float32', buf.subarray(k * per, (k + 1) * per), d.shape))
    }
    this.targets = new Map()
    for (const h of graph.heads) {
      const roles: Record<'target' | 'a' | 'b', Float32Array | undefined> = { target: undefined, a: undefined, b: undefined }
      const per = B * h.size
      for (const i of h.inputs) {
        const buf = (roles[i.role] = new Float32Array(K * per))
        for (let k = 0; k < K; k++) this.slotTensors[k].set(i.name, new ort.Tensor('float32', buf.subarray(k * per, (k + 1) * per), [B, h.size]))
      }
      this.targets.set(h.head.name, roles)
    }
    this.scalarBuffers = Array.from({ length: K }, () => graph.scalarInputs.map(() => new Float32Array(1)))
    const lossNames = [graph.lossOutput, ...graph.heads.map((h) => h.lossOutput)]
    this.losses = new Float32Array(K * lossNames.length)
    for (let k = 0; k < K; k++) {
      graph.scalarInputs.forEach((name, i) => this.slotTensors[k].set(name, new ort.Tensor('float32', this.scalarBuffers[k][i], [])))
      lossNames.forEach((name, i) => {
        const at = k * lossNames.length + i
        this.slotTensors[k].set(name, new ort.Tensor('float32', this.losses.subarray(at, at + 1), []))
      })
    }
    this.main = this.plan(session, K)
  }

  static async create(spec: NetworkSpec, o: StepRunnerOptions): Promise<StepRunner> {
    const ort = await loadOrt()
    const graph = buildTrainingGraph(spec, o)
    const session = await createSession(graph.bytes, trainingSessionOptions(o.threads))
    return new StepRunner(ort, spec, o, graph, session)
  }

  /** Feeds/fetches of a session running `steps` steps, for both parities and every first batch slot. */
  private plan(session: InferenceSession, steps: number): RunPlan {
    const g = this.graph
    const lossNames = [g.lossOutput, ...g.heads.map((h) => h.lossOutput)]
    const perStepInputs = [...g.dataInputs.map((d) => d.name), ...g.heads.flatMap((h) => h.inputs.map((i) => i.name)), ...g.scalarInputs]
    const firstSlots = steps === this.stepsPerRun ? [0] : Array.from({ length: this.stepsPerRun }, (_, k) => k)
    const feeds: Record<string, Tensor>[][] = [[], []]
    const fetches: Record<string, Tensor>[][] = [[], []]
    for (const p of [0, 1]) {
      for (const first of firstSlots) {
        const f: Record<string, Tensor> = {}
        const out: Record<string, Tensor> = {}
        g.state.forEach((s, i) => {
          f[s.input] = this.stateTensors[p][i]
          out[s.output] = this.stateTensors[1 - p][i]
        })
        for (let k = 0; k < steps; k++) {
          const slot = this.slotTensors[first + k]
          for (const name of perStepInputs) f[stepName(name, k)] = slot.get(name)!
          for (const name of lossNames) out[stepName(name, k)] = slot.get(name)!
        }
        feeds[p][first] = f
        fetches[p][first] = out
      }
    }
    return { session, feeds, fetches }
  }

  get state(): readonly StateSlot[] {
    return this.graph.state
  }

  /** The live state arrays (valid until the next run). */
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

  /** The loss of step k of the last run (total, or of one head, weighted as configured). */
  loss(k = 0, head?: string): number {
    const per = 1 + this.graph.heads.length
    return this.losses[k * per + (head === undefined ? 0 : 1 + this.graph.heads.findIndex((h) => h.head.name === head))]
  }

  /**
   * Runs `lrs.length` optimizer steps (1 … stepsPerRun) on the batches filled in slots 0, 1, …; `step` is
   * the 1-based number of the first. Returns the total loss of each step.
   */
  async run(step: number, lrs: number[]): Promise<number[]> {
    const n = lrs.length
    if (n < 1 || n > this.stepsPerRun) throw new Error(`run: 1 to ${this.stepsPerRun} steps, got ${n}`)
    for (let k = 0; k < n; k++) {
      const hp = this.graph.optimizer.scalars(step + k, lrs[k])
      this.graph.scalarInputs.forEach((name, i) => (this.scalarBuffers[k][i][0] = hp[name.slice(3)]))
    }
    if (n === this.stepsPerRun) await this.once(this.main, 0)
    else {
      this.single ??= await this.singleStepPlan()
      for (let k = 0; k < n; k++) await this.once(this.single, k)
    }
    return Array.from({ length: n }, (_, k) => this.loss(k))
  }

  private async singleStepPlan(): Promise<RunPlan> {
    const graph = buildTrainingGraph(this.spec, { ...this.options, stepsPerRun: 1 })
    const session = await createSession(graph.bytes, trainingSessionOptions(this.options.threads))
    return this.plan(session, 1)
  }

  private async once(plan: RunPlan, first: number): Promise<void> {
    const fetches = plan.fetches[this.parity][first]
    const next = this.buffers[1 - this.parity]
    if (this.inPlace === null) for (const b of next) b.fill(NaN)
    const out = await plan.session.run(plan.feeds[this.parity][first], fetches)
    if (this.inPlace === null) this.inPlace = next.every((b) => b.length === 0 || !Number.isNaN(b[0]))
    if (!this.inPlace) {
      // This onnxruntime build handed back new buffers instead of filling ours: copy them over.
      for (const name in fetches) (fetches[name].data as Float32Array).set((out[name] as Tensor).data as Float32Array)
    }
    this.parity = 1 - this.parity
  }

  async release(): Promise<void> {
    await this.main.session.release()
    await this.single?.session.release()
  }
}
