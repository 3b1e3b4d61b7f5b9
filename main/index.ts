/**
 * Electron main process: lifecycle, the one window and IPC binding. The only module that imports
 * Electron; everything it calls is a plain Node module.
 */
import path from 'node:path'
import { app, BrowserWindow, ipcMain, session, shell, type WebContents } from 'electron'
import { ipcEventChannel, ipcInvokeChannel, type LabEvent, type LabEvents } from '../preload/api'
import { createAppContext } from './app/create-context'
import { createDispatcher } from './ipc/dispatch'
import { createHandlers } from './ipc/handlers'
import { runtimeFor } from './ml/runtime'

const rendererUrl = process.env['ELECTRON_RENDERER_URL'] // set by electron-vite in dev
const rendererFile = path.join(__dirname, '../renderer/index.html')

let mainWindow: BrowserWindow | null = null

function isOwnPage(url: string): boolean {
  if (rendererUrl) return url.startsWith(rendererUrl)
  try {
    return new URL(url).protocol === 'file:' && path.normalize(decodeURIComponent(new URL(url).pathname)) === rendererFile
  } catch {
    return false
  }
}

function emit<E extends LabEvent>(event: E, payload: LabEvents[E]): void {
  mainWindow?.webContents.send(ipcEventChannel, event, payload)
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1280,
    minHeight: 720,
    title: 'Lightbox',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false
    }
  })
  mainWindow.once('ready-to-show', () => mainWindow?.show())
  mainWindow.on('closed', () => (mainWindow = null))
  if (rendererUrl) void mainWindow.loadURL(rendererUrl)
  else void mainWindow.loadFile(rendererFile)
}

function hardenWebContents(contents: WebContents): void {
  // No new windows: links to the outside open in the system browser, everything else is refused.
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  contents.on('will-navigate', (event, url) => {
    if (!isOwnPage(url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

void app.whenReady().then(() => {
  const ctx = createAppContext({
    dataDir: app.getPath('userData'),
    resourcesDir: app.isPackaged ? path.join(process.resourcesPath, 'resources') : path.join(app.getAppPath(), 'resources'),
    electronVersions: { electron: process.versions.electron, chrome: process.versions.chrome },
    emit
  })
  const dispatch = createDispatcher(createHandlers(ctx))

  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  ipcMain.handle(ipcInvokeChannel, (event, channel: unknown, args: unknown) => {
    // Only our own page may call main.
    if (!event.senderFrame || !isOwnPage(event.senderFrame.url)) {
      return { ok: false, error: { code: 'invalid_argument', message: 'Call refused: it did not come from Lightbox.' } }
    }
    return dispatch(channel, args)
  })

  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents))
  createWindow()
  // Choose the inference device soon after start-up (not before the window shows): the status bar
  // learns the result through an `app.status` event.
  setTimeout(() => void runtimeFor(ctx).ready().catch(() => {}), 1500)
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
