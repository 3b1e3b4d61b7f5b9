/** Shared set-up of the X-ray findings tests: the shipped models through a registry over a fresh data folder. */
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { repoRoot, sourceResourcesDir } from '../../../main/app/paths'
import { sharedDatasetsDir } from '../../../main/datasets/manifest'
import { ModelRegistry } from '../../../main/ml/registry/registry'
import { ModelRuntime } from '../../../main/ml/runtime/runtime'
import { XrayPipeline } from '../../../main/xray/findings/pipeline'

export const xrayDir = path.join(sharedDatasetsDir(repoRoot), 'xray')
export const nihDir = path.join(xrayDir, 'nih')
export const samplesDir = path.join(xrayDir, 'samples')
export const sampleDicom = path.join(samplesDir, '1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm')

export function cpuRuntime(): ModelRuntime {
  return new ModelRuntime({ settings: async () => ({ preferredDevice: 'cpu', inferenceThreads: os.availableParallelism() }) })
}

export function freshDataDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'lightbox-xray-'))
}

/** The shipped heads (resources/models/xray-*) over a fresh data folder. */
export async function shippedPipeline(dataDir = freshDataDir(), runtime = cpuRuntime()): Promise<{ pipeline: XrayPipeline; registry: ModelRegistry; runtime: ModelRuntime; dataDir: string }> {
  const registry = new ModelRegistry(dataDir, sourceResourcesDir, runtime)
  return { pipeline: await XrayPipeline.open({ registry, runtime, dataDir }), registry, runtime, dataDir }
}
