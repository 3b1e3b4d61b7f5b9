/**
 * THE contract between the renderer and the main process.
 *
 * Every channel the renderer may invoke is declared here once: its name, a human title (used in error
 * messages), a runtime validator for its argument and the TypeScript type of its result. Main validates
 * every call against `contract` before a handler runs; the preload exposes exactly `LabApi` as
 * `window.lab`; the renderer's client and main's handler table are both typed from this file.
 *
 * Binary payloads (image bytes, tensors) are `Uint8Array`, which Electron's IPC clones as they are.
 */
import { z } from 'zod'
import * as karyotype from './karyotype'
import type { CellAnalysis, Ideogram, IscnPrefill, IscnValidation, KaryogramImage, MetaphaseAnalysis, ReportFile } from './karyotype'

// ---------------------------------------------------------------------------------------------
// Shared result and error shapes
// ---------------------------------------------------------------------------------------------

/** Machine-readable error codes a call can fail with. */
export const errorCodes = [
  'invalid_argument', // the argument failed the contract's validator
  'unknown_channel', // no such channel in the contract
  'not_found', // the thing named does not exist
  'conflict', // the request contradicts stored state (e.g. deleting the active model)
  'bad_input', // a file or payload is unreadable (corrupt DICOM, truncated PNG, wrong model file)
  'unsupported', // a valid input uses a feature Lightbox does not support
  'cancelled', // the task was cancelled
  'unavailable', // a resource (model, device) is not available on this machine
  'internal' // a bug: anything else
] as const
export type ErrorCode = (typeof errorCodes)[number]

/** A structured error as it crosses the IPC boundary. `message` is plain words for the user. */
export interface LabErrorData {
  code: ErrorCode
  message: string
  details?: ErrorDetails
}

/** JSON-safe details: which argument was wrong, which file, which feature. */
export type ErrorDetails = { [key: string]: JsonValue }
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** Every invoke resolves to an envelope: Electron's IPC would flatten a thrown error to a string. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: LabErrorData }

// ---------------------------------------------------------------------------------------------
// Domain types that cross the boundary
// ---------------------------------------------------------------------------------------------

export const inferenceDevices = ['auto', 'cuda', 'dml', 'coreml', 'webgpu', 'cpu'] as const
export type InferenceDevice = (typeof inferenceDevices)[number]

/** One execution provider tried by the model runtime, in order. */
export interface ProviderAttempt {
  provider: Exclude<InferenceDevice, 'auto'>
  status: 'active' | 'available' | 'failed' | 'skipped' | 'untried'
  reason: string
}

export interface InferenceStatus {
  /** false until the first model is needed: onnxruntime is loaded lazily. */
  loaded: boolean
  active: Exclude<InferenceDevice, 'auto'> | null
  providers: ProviderAttempt[]
  threads: number
  onnxruntimeVersion: string | null
}

export interface AppInfo {
  name: string
  version: string
  platform: string
  arch: string
  cpus: number
  cpuModel: string
  memoryGiB: number
  versions: { node: string; electron: string | null; chrome: string | null; v8: string }
  dataDir: string
  resourcesDir: string
  inference: InferenceStatus
}

/** A model in the registry, as the Models screen and the renderer's mirror (Dexie) see it. */
export interface ModelSummary {
  /** `name@version` */
  id: string
  name: string
  version: string
  /** The task whose pipeline runs it; one model per task is active. */
  task: string
  /** The kind of input within the task it is for (e.g. 'gband'), or null where the task has no kinds. */
  variant: string | null
  /** What one active model is chosen for: the task, or task/variant. */
  slot: string
  description: string
  /** `name@version` of the model it was trained from, if any. */
  parent: string | null
  labels: string[]
  /** 'shipped' with the app (read-only) or a 'user' model (imported or trained here). */
  source: 'shipped' | 'user'
  active: boolean
  /** false when the model file is missing; `problem` says why. */
  available: boolean
  problem: string | null
  created: string
  importedAt: string | null
  sizeBytes: number
  sha256: string | null
  metrics: { [name: string]: number }
  inputs: { name: string; shape: string[]; dtype: string }[]
  outputs: { name: string; shape: string[]; dtype: string; kind: string }[]
  trainingSamples: number | null
  /** How it was trained, in words (e.g. why 'auto' chose this kind of head). */
  trainingNotes: string | null
}

/** A model file's size as the Models screen and the CLI show it. */
export function formatModelSize(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`
}

/**
 * Backbone features are cached by (backbone `name@version`, SHA-256 of the image file's bytes): the same
 * image through the same backbone always gives the same features, so re-training a head never runs the
 * backbone again. The renderer keeps them in Dexie, the headless CLI in files; both implement FeatureCache.
 */
export interface FeatureKey {
  backbone: string
  /** SHA-256 of the image file's bytes, lower-case hex. */
  hash: string
}

export interface FeatureEntry extends FeatureKey {
  /** One vector per feature output of the backbone (e.g. `features`, `block10`). */
  outputs: { [output: string]: Float32Array }
}

export interface FeatureCache {
  /** Entries in the order of `keys`; null where nothing is cached. */
  get(keys: FeatureKey[]): Promise<(FeatureEntry | null)[]>
  put(entries: FeatureEntry[]): Promise<void>
  /** Removes one backbone's entries (or all); returns how many were removed. */
  clear(backbone?: string): Promise<number>
  count(backbone?: string): Promise<number>
}

export interface FeatureResult {
  backbone: string
  /** Per image, in the order given. */
  items: FeatureEntry[]
}

// X-ray studies (main/xray): worklist fields, image facts and the display image of one decoded file.
export type XrayFormat = 'dicom' | 'png' | 'jpeg' | 'tiff' | 'bmp'

/** Worklist attributes, text decoded with the file's character set; null when absent (always for image files). */
export interface XrayMetadata {
  patientId: string | null
  /** DICOM person name, alphabetic group, e.g. `DOE^JANE`. */
  patientName: string | null
  patientSex: string | null
  /** e.g. `062Y` */
  patientAge: string | null
  /** `YYYY-MM-DD` */
  patientBirthDate: string | null
  accessionNumber: string | null
  studyInstanceUid: string | null
  seriesInstanceUid: string | null
  sopInstanceUid: string | null
  sopClassUid: string | null
  /** e.g. CR, DX */
  modality: string | null
  /** e.g. PA, AP, LL */
  viewPosition: string | null
  laterality: string | null
  bodyPart: string | null
  /** `YYYY-MM-DD` (Study Date, else Series/Acquisition/Content Date) */
  studyDate: string | null
  /** `HH:MM:SS` */
  studyTime: string | null
  studyDescription: string | null
  seriesDescription: string | null
  seriesNumber: number | null
  instanceNumber: number | null
  institutionName: string | null
  manufacturer: string | null
  manufacturerModelName: string | null
}

/** mm per pixel; `ImagerPixelSpacing` is at the detector (magnified), `PixelSpacing` in the patient plane. */
export interface PixelSpacing {
  row: number
  column: number
  source: 'PixelSpacing' | 'ImagerPixelSpacing' | 'NominalScannedPixelSpacing'
}

export interface XrayImageInfo {
  width: number
  height: number
  /** e.g. MONOCHROME1, MONOCHROME2, RGB */
  photometric: string
  samplesPerPixel: number
  bitsAllocated: number
  bitsStored: number
  signed: boolean
  /** Frames in the file; only the first is decoded. */
  frames: number
  transferSyntax: { uid: string; name: string } | null
  lossy: boolean
  pixelSpacing: PixelSpacing | null
}

/** VOI LUT Function (0028,1056). */
export type WindowFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID'

/** A window in modality units (e.g. HU). */
export interface WindowLevel {
  center: number
  width: number
  function: WindowFunction
  explanation: string | null
}

/** The VOI a display image was made with. */
export interface AppliedVoi extends WindowLevel {
  kind: 'window' | 'lut' | 'full-range' | 'full-scale'
  /** MONOCHROME1: shown inverted. */
  invert: boolean
}

export interface XrayView {
  name: string
  format: XrayFormat
  metadata: XrayMetadata
  image: XrayImageInfo
  /** Bounded results in words, e.g. "only the first of 16 frames is shown". */
  warnings: string[]
  /** The header's windows, to offer as presets. */
  windows: WindowLevel[]
  voi: AppliedVoi
  /** 8-bit grey, row-major, at most `maxSide` on its long side; `scale` = display px per image px. */
  display: { width: number; height: number; scale: number; data: Uint8Array }
}

// X-ray findings (main/xray/findings, main/xray/heatmap): model scores of one study.
/** One score with its operating threshold (the model's, chosen on validation, or the site's override). */
export interface XrayScore {
  label: string
  /** Calibrated probability, 0…1. */
  score: number
  threshold: number
  thresholdSource: 'model' | 'site'
  flagged: boolean
}

export interface XrayFindings {
  name: string
  /** The findings the active model answers (ChestX-ray14 names, e.g. "Pleural_Thickening"). */
  findings: XrayScore[]
  /** ChestX-ray14 findings without a trained head: never scored, with the reason in words. */
  notTrained: { label: string; reason: string }[]
  /** Any finding vs No Finding. */
  abnormal: XrayScore
  /** The three-class head, when installed; `caveat` is its model card's warning about what it learned. */
  covid: { model: string; probabilities: { label: string; probability: number }[]; top: string; caveat: string } | null
  models: { findings: string; backbone: string }
  warnings: string[]
}

export interface XrayHeatmap {
  /** A finding, or "Abnormal". */
  label: string
  score: number
  method: 'grad-cam'
  /** Saliency grid, row-major, 0…1 (1 = the strongest evidence for the label in this image). */
  width: number
  height: number
  values: Float32Array
  /** Where the grid lies on the display image, in display pixels (the grid's cells stretch over it). */
  region: { x: number; y: number; width: number; height: number }
}

export interface XrayHeatmaps {
  /** The display image the regions refer to (same as `xray.view` with the same `maxSide`). */
  display: { width: number; height: number }
  heatmaps: XrayHeatmap[]
  seconds: number
}

export interface XrayThresholds {
  /** The active findings model's thresholds, chosen on its validation data. */
  model: { [label: string]: number }
  /** This site's overrides (`<data folder>/xray-thresholds.json`). */
  site: { [label: string]: number }
}

/** One output of a head: softmax over `labels`, or each label an independent sigmoid. */
export const headTaskSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'letters, digits, _ and - (starting with a letter)'),
    type: z.enum(['softmax', 'sigmoid']),
    labels: z.array(z.string().min(1)).min(1)
  })
  .strict()

export interface HeadTrainResult {
  model: ModelSummary
  kind: 'gnb' | 'linear' | 'mlp'
  /** For 'auto': why this kind won, with every candidate's validation score. */
  choice: string | null
  metrics: { [name: string]: number }
  trainCount: number
  valCount: number
}

export const settingsSchema = z.object({
  /** Shown on reports. */
  siteName: z.string().trim().max(120),
  /** Preferred inference device; 'auto' tries the platform's providers in order. */
  preferredDevice: z.enum(inferenceDevices),
  /** Threads for onnxruntime's intra-op pool; 0 means "one per core". */
  inferenceThreads: z.number().int().min(0).max(256)
})
export type Settings = z.infer<typeof settingsSchema>

export const defaultSettings: Settings = {
  siteName: '',
  preferredDevice: 'auto',
  inferenceThreads: 0
}

// ---------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------

interface ChannelSpec<S extends z.ZodType, R> {
  /** What the call does, in words: used in error messages ("Could not <title>: ..."). */
  title: string
  args: S
  /** Phantom: carries the result type; never read at run time. */
  result?: R
}

function channel<R>() {
  return <S extends z.ZodType>(title: string, args: S): ChannelSpec<S, R> => ({ title, args })
}

const noArgs = z.object({}).strict()

export const contract = {
  'app.info': channel<AppInfo>()('read the app information', noArgs),
  'settings.get': channel<Settings>()('read the settings', noArgs),
  'settings.update': channel<Settings>()(
    'update the settings',
    z.object({ patch: settingsSchema.partial().strict() }).strict()
  ),
  // Models: the runtime's devices and the registry (main/ml/runtime, main/ml/registry).
  'inference.probe': channel<InferenceStatus>()('try the inference devices', noArgs),
  'models.list': channel<ModelSummary[]>()('list the models', noArgs),
  'models.import': channel<ModelSummary>()(
    'import the model',
    z
      .object({
        fileName: z.string().min(1).max(260),
        model: z.instanceof(Uint8Array),
        manifestName: z.string().min(1).max(260).optional(),
        /** The manifest's JSON text. */
        manifest: z.string().min(2).max(1_000_000)
      })
      .strict()
  ),
  'models.promote': channel<ModelSummary[]>()('make the model active', z.object({ id: z.string().min(3) }).strict()),
  'models.rollback': channel<ModelSummary[]>()('roll back to the previous model', z.object({ slot: z.string().min(1) }).strict()),
  'models.delete': channel<ModelSummary[]>()(
    'delete the model',
    z.object({ id: z.string().min(3), replacement: z.string().min(3).optional() }).strict()
  ),
  'features.extract': channel<FeatureResult>()(
    'compute image features',
    z
      .object({
        /** Backbone `name@version`; the active backbone when absent. */
        backbone: z.string().min(3).optional(),
        /** Encoded images (PNG, JPEG, TIFF, WebP), at most 64 per call. */
        images: z.array(z.instanceof(Uint8Array)).min(1).max(64),
        names: z.array(z.string()).optional()
      })
      .strict()
  ),
  'heads.train': channel<HeadTrainResult>()(
    'train the head',
    z
      .object({
        /** Backbone `name@version` and the feature output the features came from. */
        backbone: z.string().min(3),
        output: z.string().min(1),
        tasks: z.array(headTaskSchema).min(1),
        /** [count × dim] row-major, from the feature cache. */
        features: z.instanceof(Float32Array),
        dim: z.number().int().positive(),
        /** Per task: softmax → Int32Array of class indices (-1 unknown); sigmoid → Float32Array [count × labels] of 0/1 (NaN unknown). */
        targets: z.record(z.string(), z.union([z.instanceof(Int32Array), z.instanceof(Float32Array)])),
        /** Per sample, the group (patient, cell) that must not straddle the validation split; default each sample alone. */
        groups: z.array(z.string()).optional(),
        validationFraction: z.number().gt(0).lt(1).default(0.25),
        kind: z.enum(['auto', 'gnb', 'linear', 'mlp']).default('auto'),
        mlp: z.object({ hidden: z.array(z.number().int().positive()).min(1), dropout: z.number().min(0).lt(1) }).strict().optional(),
        epochs: z.number().int().positive().max(1000).optional(),
        name: z.string().min(1),
        version: z.string().min(1),
        modelTask: z.string().min(1),
        parent: z.string().nullable().default(null),
        promote: z.boolean().default(false),
        /** Progress arrives as `task.progress` events with this id. */
        taskId: z.string().optional()
      })
      .strict()
  ),
  // X-ray studies (main/xray).
  'xray.view': channel<XrayView>()(
    'open the X-ray',
    z
      .object({
        /** The file's bytes as stored (DICOM, PNG, JPEG, TIFF, BMP); never modified. */
        bytes: z.instanceof(Uint8Array),
        name: z.string().min(1).max(260),
        /** A window in modality units; the header's first (or the full range) when absent. */
        window: z.object({ center: z.number().finite(), width: z.number().finite().positive() }).strict().optional(),
        /** Long side of the display image (default 2048). */
        maxSide: z.number().int().min(64).max(8192).optional()
      })
      .strict()
  ),
  'xray.findings': channel<XrayFindings>()(
    'read the X-ray',
    z.object({ bytes: z.instanceof(Uint8Array), name: z.string().min(1).max(260) }).strict()
  ),
  'xray.heatmap': channel<XrayHeatmaps>()(
    'draw the heatmap',
    z
      .object({
        bytes: z.instanceof(Uint8Array),
        name: z.string().min(1).max(260),
        /** Findings (or "Abnormal") to map; default: every trained finding and the abnormality score. */
        labels: z.array(z.string().min(1)).max(20).optional(),
        /** Long side of the display image the regions refer to (default 2048, as `xray.view`). */
        maxSide: z.number().int().min(64).max(8192).optional()
      })
      .strict()
  ),
  'xray.thresholds.get': channel<XrayThresholds>()('read the X-ray thresholds', noArgs),
  'xray.thresholds.set': channel<XrayThresholds>()(
    'set the X-ray thresholds',
    z.object({ site: z.record(z.string().min(1), z.number().min(0).max(1)) }).strict()
  ),
  // Karyotyping workspace (main/karyotype-ipc, main/report; argument schemas in preload/karyotype.ts).
  'karyotype.analyse': channel<MetaphaseAnalysis>()('analyse the metaphase', karyotype.analyseArgs),
  'karyotype.edit': channel<CellAnalysis>()('edit the segmentation', karyotype.editArgs),
  'karyotype.reclassify': channel<CellAnalysis>()('classify the chromosomes', karyotype.reclassifyArgs),
  'karyotype.ideogram': channel<Ideogram>()('read the ideogram', z.object({ resolution: karyotype.bandResolutionSchema }).strict()),
  'karyotype.iscn': channel<IscnPrefill>()('write the ISCN result', karyotype.iscnArgs),
  'karyotype.validateIscn': channel<IscnValidation>()('check the ISCN result', karyotype.validateIscnArgs),
  'karyotype.karyogram': channel<KaryogramImage>()('draw the karyogram', karyotype.karyogramArgs),
  'karyotype.report': channel<ReportFile>()('make the report', karyotype.reportArgs)
} as const

export type Contract = typeof contract
export type Channel = keyof Contract
/** What the caller passes (before defaults are applied). */
export type ChannelArgs<C extends Channel> = z.input<Contract[C]['args']>
/** What the handler receives (validated, defaults applied). */
export type ValidArgs<C extends Channel> = z.output<Contract[C]['args']>
export type ChannelResult<C extends Channel> = NonNullable<Contract[C]['result']>

export const channelNames = Object.keys(contract) as Channel[]

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract, name)
}

// ---------------------------------------------------------------------------------------------
// Events main pushes to the renderer
// ---------------------------------------------------------------------------------------------

/** Progress of a long task (import, inference batch, training). */
export interface TaskProgress {
  taskId: string
  /** e.g. 'decode', 'features', 'train', 'evaluate' */
  stage: string
  done: number
  total: number | null
  message: string
  /** Task-specific numbers (loss, validation metric, samples/s, ETA seconds). */
  metrics?: { [name: string]: number }
  state: 'running' | 'done' | 'failed' | 'cancelled'
}

export interface AppStatus {
  inference: InferenceStatus
}

export interface LabEvents {
  'task.progress': TaskProgress
  'app.status': AppStatus
}
export type LabEvent = keyof LabEvents
export const eventNames: LabEvent[] = ['task.progress', 'app.status']

// ---------------------------------------------------------------------------------------------
// The object the preload exposes as window.lab
// ---------------------------------------------------------------------------------------------

export interface LabApi {
  invoke<C extends Channel>(channel: C, args: ChannelArgs<C>): Promise<IpcResult<ChannelResult<C>>>
  on<E extends LabEvent>(event: E, listener: (payload: LabEvents[E]) => void): () => void
}

/** The Electron IPC channel names the preload uses for invoke and events. */
export const ipcInvokeChannel = 'lab:invoke'
export const ipcEventChannel = 'lab:event'
