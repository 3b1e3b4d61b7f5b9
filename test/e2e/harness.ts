/**
 * End-to-end harness: serves the built renderer (out/renderer) on 127.0.0.1, starts Debian's Chromium
 * through playwright-core, binds main's REAL handler table into the page and installs `window.lab` with
 * the shape the preload gives. The renderer thus runs against real main-process code, with real
 * IndexedDB, in a real browser. Binary payloads are base64-encoded by this bridge only.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { LabEvent, LabEvents } from '../../preload/api'
import type { AppContext } from '../../main/app/context'
import { createAppContext } from '../../main/app/create-context'
import { repoRoot, sourceResourcesDir } from '../../main/app/paths'
import { createDispatcher } from '../../main/ipc/dispatch'
import { createHandlers } from '../../main/ipc/handlers'

export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'
const rendererDir = path.join(repoRoot, 'out', 'renderer')

const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2'
}

/** Serves out/renderer; "/" is index.html. */
async function serveRenderer(): Promise<{ url: string; close: () => Promise<void> }> {
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new Error('out/renderer is missing: run `npm run build` first (npm test does it).')
  }
  const server = http.createServer(async (req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    const file = path.join(rendererDir, urlPath === '/' ? 'index.html' : urlPath)
    if (!file.startsWith(rendererDir)) {
      res.writeHead(403).end()
      return
    }
    try {
      const body = await readFile(file)
      res.writeHead(200, { 'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream' }).end(body)
    } catch {
      res.writeHead(404).end('not found')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no server address')
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

// ---- the bridge's binary encoding (test-only) ---------------------------------------------------

type Encoded = unknown
const typedNames = [
  'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array',
  'Float32Array', 'Float64Array'
] as const

export function encodeForPage(value: unknown): Encoded {
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    return { $typed: typedNames.includes(name as (typeof typedNames)[number]) ? name : 'Uint8Array', $b64: bytes.toString('base64') }
  }
  if (value instanceof ArrayBuffer) return { $typed: 'ArrayBuffer', $b64: Buffer.from(value).toString('base64') }
  if (Array.isArray(value)) return value.map(encodeForPage)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeForPage(v)]))
  }
  return value
}

export function decodeFromPage(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeFromPage)
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>
    if (typeof v['$typed'] === 'string' && typeof v['$b64'] === 'string') {
      const buf = Buffer.from(v['$b64'], 'base64')
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
      if (v['$typed'] === 'ArrayBuffer') return ab
      const Ctor = globalThis[v['$typed'] as (typeof typedNames)[number]] ?? Uint8Array
      return new Ctor(ab)
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeFromPage(x)]))
  }
  return value
}

/** Plain JS run in the page before the app: the same `window.lab` shape the preload exposes. */
const bridgeScript = `(() => {
  const typed = ${JSON.stringify(typedNames)};
  const b64 = (bytes) => { let s = ''; for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000)); return btoa(s) };
  const unb64 = (s) => { const bin = atob(s); const out = new Uint8Array(bin.length); for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i); return out };
  const enc = (v) => {
    if (ArrayBuffer.isView(v)) { const name = typed.includes(v.constructor.name) ? v.constructor.name : 'Uint8Array'; return { $typed: name, $b64: b64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) } }
    if (v instanceof ArrayBuffer) return { $typed: 'ArrayBuffer', $b64: b64(new Uint8Array(v)) };
    if (Array.isArray(v)) return v.map(enc);
    if (v && typeof v === 'object') { const o = {}; for (const k of Object.keys(v)) o[k] = enc(v[k]); return o }
    return v;
  };
  const dec = (v) => {
    if (Array.isArray(v)) return v.map(dec);
    if (v && typeof v === 'object') {
      if (typeof v.$typed === 'string' && typeof v.$b64 === 'string') { const bytes = unb64(v.$b64); if (v.$typed === 'ArrayBuffer') return bytes.buffer; const C = globalThis[v.$typed] || Uint8Array; return new C(bytes.buffer) }
      const o = {}; for (const k of Object.keys(v)) o[k] = dec(v[k]); return o;
    }
    return v;
  };
  const listeners = new Map();
  const lab = {
    invoke: (channel, args) => window.__labInvoke(channel, enc(args)).then(dec),
    on: (event, listener) => { const set = listeners.get(event) || new Set(); listeners.set(event, set); set.add(listener); return () => set.delete(listener) }
  };
  Object.defineProperty(window, 'lab', { value: Object.freeze(lab), enumerable: true });
  Object.defineProperty(window, '__labEmit', { value: (event, payload) => { for (const l of listeners.get(event) || []) l(dec(payload)) } });
})();`

export interface LabCall {
  channel: unknown
  args: unknown
}

export interface E2EApp {
  browser: Browser
  context: BrowserContext
  page: Page
  /** The app context main's handlers run with (its dataDir is a fresh temporary folder). */
  ctx: AppContext
  url: string
  /** Every call the page made to main, in order. */
  calls: LabCall[]
  screenshot(name: string): Promise<string>
  close(): Promise<void>
}

export interface StartOptions {
  viewport?: { width: number; height: number }
  /** Milliseconds main waits before answering these channels: a slow disk or a busy machine, on purpose. */
  delays?: Partial<Record<string, number>>
}

export async function startApp(options: StartOptions = {}): Promise<E2EApp> {
  const server = await serveRenderer()
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-e2e-'))
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumFlags })
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1440, height: 900 } })
  let page: Page | null = null
  const ctx = createAppContext({
    dataDir,
    resourcesDir: sourceResourcesDir,
    emit: <E extends LabEvent>(event: E, payload: LabEvents[E]) => {
      page?.evaluate(([e, p]) => (window as unknown as { __labEmit(e: unknown, p: unknown): void }).__labEmit(e, p), [event, encodeForPage(payload)] as const).catch(() => {})
    }
  })
  const dispatch = createDispatcher(createHandlers(ctx))
  const calls: LabCall[] = []
  await context.exposeBinding('__labInvoke', async (_source, channel: unknown, args: unknown) => {
    const decoded = decodeFromPage(args)
    calls.push({ channel, args: decoded })
    const delay = typeof channel === 'string' ? options.delays?.[channel] : undefined
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay))
    return encodeForPage(await dispatch(channel, decoded))
  })
  await context.addInitScript({ content: bridgeScript })
  page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))
  await page.goto(server.url)
  return {
    browser,
    context,
    page,
    ctx,
    url: server.url,
    calls,
    async screenshot(name) {
      const file = path.join(repoRoot, 'docs', 'screenshots', `${name}.png`)
      await page!.screenshot({ path: file })
      return file
    },
    async close() {
      await browser.close()
      await server.close()
      await rm(dataDir, { recursive: true, force: true })
      if (pageErrors.length) throw new Error(`Uncaught errors in the page: ${pageErrors.join(' | ')}`)
    }
  }
}

/** Creates the first reviewer profile through the start screen and selects it. */
export async function signInAsNewReviewer(page: Page, name = 'Dana Whitfield', initials = 'DW', role = 'technologist'): Promise<void> {
  await page.getByRole('heading', { name: 'Who is working?' }).waitFor()
  await page.locator('input[name="name"]').fill(name)
  await page.locator('input[name="initials"]').fill(initials)
  await page.locator('select[name="role"]').selectOption(role)
  await page.getByRole('button', { name: 'Create profile' }).click()
  await page.getByTestId('current-reviewer').waitFor()
}
