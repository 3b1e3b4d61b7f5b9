import os from 'node:os'
import type { AppInfo } from '../../preload/api'
import type { AppContext } from './context'

/** Runtime facts shown in Settings, the status bar and `lightbox info`. */
export function appInfo(ctx: AppContext): AppInfo {
  const cpus = os.cpus()
  return {
    name: ctx.appName,
    version: ctx.appVersion,
    platform: process.platform,
    arch: process.arch,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    versions: {
      node: process.versions.node,
      electron: ctx.electronVersions?.electron ?? null,
      chrome: ctx.electronVersions?.chrome ?? null,
      v8: process.versions.v8
    },
    dataDir: ctx.dataDir,
    resourcesDir: ctx.resourcesDir,
    inference: ctx.inferenceStatus()
  }
}
