/// <reference types="electron-vite/node" />
/**
 * Where the preparation worker's code is, in the two ways main runs:
 * - built by electron-vite (the app): `?modulePath` bundles prepare-worker.ts into a file of its own
 *   beside out/main/index.js and gives its path;
 * - from source under tsx (CLI, tests, benchmarks): tsx's hooks are not inherited by worker threads, so
 *   the worker is a short bootstrap that registers them and then imports prepare-worker.ts.
 */
export interface WorkerScript {
  /** Worker's first argument: a file path, or code when `eval`. */
  filename: string
  eval: boolean
}

export async function prepareWorkerScript(): Promise<WorkerScript> {
  if (import.meta.url.endsWith('.ts')) {
    const entry = import.meta.url.replace(/[^/]+\.ts$/, 'prepare-worker.ts')
    const tsx = import.meta.resolve('tsx/esm/api')
    return { filename: `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}) })`, eval: true }
  }
  return { filename: (await import('./prepare-worker?modulePath')).default, eval: false }
}
