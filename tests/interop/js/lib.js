'use strict'
// Helpers shared by connector.js, stream_receiver.js, rafiki_receiver.js, stream_sender.js and
// pay_sender.js.
//
// Every program takes one JSON config: argv[2] (a JSON text, or `@<file>` to read it from a file),
// else the env var ILP_JS_CONFIG. It prints `READY <json>` on stdout once it listens, and its
// errors on stderr; a fatal error exits 1 with `FATAL <message>` on stderr.
const fs = require('fs')
const IlpPacket = require('ilp-packet')
const ILDCP = require('ilp-protocol-ildcp')
const PluginHttp = require('ilp-plugin-http')

function loadConfig () {
  const text = process.argv[2] !== undefined ? process.argv[2] : process.env.ILP_JS_CONFIG
  if (text === undefined || text === '') throw new Error('no config: pass JSON as argv[2] or ILP_JS_CONFIG')
  return JSON.parse(text.startsWith('@') ? fs.readFileSync(text.slice(1), 'utf8') : text)
}

function emit (tag, value) {
  process.stdout.write(`${tag} ${JSON.stringify(value)}\n`)
}

function fatal (error) {
  process.stderr.write(`FATAL ${error && error.stack ? error.stack : error}\n`)
  process.exit(1)
}

// An ilp-plugin-http plugin (ILP-over-HTTP, synchronous mode) bound to loopback.
//   {port: incoming port (0 = any free one), host: "127.0.0.1", incomingToken, outgoingUrl,
//    outgoingToken, name: ILP-Peer-Name header value}
// ilp-plugin-http has no host option: its Koa app calls server.listen(incoming.port), so passing
// Node's listen options object {port, host} as `port` binds it to one interface.
function httpPlugin ({ port = 0, host = '127.0.0.1', incomingToken, outgoingUrl, outgoingToken, name }) {
  if (!incomingToken || !outgoingUrl || !outgoingToken) {
    throw new Error('an http plugin needs incomingToken, outgoingUrl and outgoingToken')
  }
  return new PluginHttp({
    incoming: { port: { port, host }, staticToken: incomingToken },
    outgoing: { url: outgoingUrl, staticToken: outgoingToken, name: name || 'ilpnode-interop' }
  })
}

// The port a connected ilp-plugin-http plugin listens on (its server binds asynchronously).
function listeningPort (plugin) {
  const server = plugin._httpServer
  if (!server) return Promise.reject(new Error('plugin is not connected'))
  if (server.listening) return Promise.resolve(server.address().port)
  return new Promise((resolve, reject) => {
    server.once('listening', () => resolve(server.address().port))
    server.once('error', reject)
  })
}

// Make `plugin` answer IL-DCP (peer.config) requests locally with `ildcp` = {clientAddress,
// assetCode, assetScale} instead of asking the parent: for a parent that cannot do IL-DCP.
function withFixedIldcp (plugin, ildcp) {
  const sendData = plugin.sendData.bind(plugin)
  plugin.sendData = async (data) => {
    if (data[0] === IlpPacket.Type.TYPE_ILP_PREPARE &&
        IlpPacket.deserializeIlpPrepare(data).destination === 'peer.config') {
      return ILDCP.serializeIldcpResponse(ildcp)
    }
    return sendData(data)
  }
  return plugin
}

// ilp-protocol-stream 2.7.1 assigns `this.closed` in its Duplex subclass, and node >= 18 defines
// a getter-only `closed` on Readable: "Cannot set property closed of #<Readable> which has only a
// getter" on the first stream (interledgerjs/interledgerjs#284, fixed only in 2.7.2 prereleases).
// An own accessor on the subclass gives the library its plain field back.
function patchStreamForNode18 () {
  const { DataAndMoneyStream } = require('ilp-protocol-stream')
  const own = Object.getOwnPropertyDescriptor(DataAndMoneyStream.prototype, 'closed')
  if (own) return
  Object.defineProperty(DataAndMoneyStream.prototype, 'closed', {
    configurable: true,
    get () { return this._ilpnodeClosed === true },
    set (value) { this._ilpnodeClosed = value }
  })
}

// `url` with the first matching prefix of `urlMap` ({"https://wallets.test": "http://127.0.0.1:N"})
// replaced: wallet address URLs name the public host, tests serve them on a loopback port.
function mapUrl (url, urlMap) {
  for (const [from, to] of Object.entries(urlMap || {})) {
    if (url.startsWith(from)) return to + url.slice(from.length)
  }
  return url
}

// SPSP (RFC 0009) with the receipts extension (RFC 0039): GET the wallet address with
// `Accept: application/spsp4+json`, as a payer does, plus Receipt-Nonce and Receipt-Secret headers
// (fresh random ones) when `receipts`, as a receipt verifier in the path does.
// Returns {destinationAccount, sharedSecret (Buffer), receiptsEnabled, receiptNonce?,
// receiptSecret? (Buffers), body (the JSON as received)}.
async function spspQuery (url, { urlMap, receipts } = {}) {
  const crypto = require('crypto')
  const headers = { Accept: 'application/spsp4+json, application/spsp+json' }
  const result = {}
  if (receipts) {
    result.receiptNonce = crypto.randomBytes(16)
    result.receiptSecret = crypto.randomBytes(32)
    headers['Receipt-Nonce'] = result.receiptNonce.toString('base64')
    headers['Receipt-Secret'] = result.receiptSecret.toString('base64')
  }
  const target = mapUrl(url, urlMap)
  if (target !== url) headers.Host = new URL(url).host
  const response = await fetch(target, { headers })
  const text = await response.text()
  if (response.status !== 200) throw new Error(`SPSP query ${url}: HTTP ${response.status}: ${text}`)
  const body = JSON.parse(text)
  return {
    ...result,
    destinationAccount: body.destination_account,
    sharedSecret: Buffer.from(body.shared_secret, 'base64'),
    receiptsEnabled: body.receipts_enabled === true,
    contentType: response.headers.get('content-type'),
    body
  }
}

// Route @interledger/pay's HTTP queries (it fetches with node-fetch) through `urlMap`, and add
// `extraHeaders` to them. Pay refuses wallet address URLs with a port (`AccountUrl.fromUrl`), so
// tests give it the public URL and this maps it to the loopback port, keeping the public Host.
// Must run before '@interledger/pay' is first required: it captures node-fetch when it loads.
function routePayQueries (urlMap, extraHeaders = {}) {
  const path = require.resolve('node-fetch', { paths: [require.resolve('@interledger/pay')] })
  const original = require(path)
  const routed = (url, options = {}) => {
    const source = String(url)
    const target = mapUrl(source, urlMap)
    const headers = { ...(options.headers || {}), ...extraHeaders }
    if (target !== source) headers.Host = new URL(source).host
    return original(target, { ...options, headers })
  }
  Object.assign(routed, original)
  routed.default = routed
  Object.defineProperty(routed, '__esModule', { value: true })
  require.cache[path].exports = routed
}

// An SPSP (RFC 0009) server on loopback: `GET <any path>` with `Accept: application/spsp4+json`
// answers `{destination_account, shared_secret (base64), receipts_enabled}` from
// `issue(receiptSetup)`, which returns {destinationAccount, sharedSecret (Buffer),
// receiptsEnabled}; receiptSetup is {nonce, secret} (Buffers) when the query carried valid
// RFC 0039 Receipt-Nonce and Receipt-Secret headers, else undefined. Other requests get 406.
// Resolves to the listening http.Server.
function spspServer (port, issue) {
  const http = require('http')
  const header = (request, name, bytes) => {
    const value = request.headers[name]
    if (typeof value !== 'string') return undefined
    const decoded = Buffer.from(value, 'base64')
    return decoded.length === bytes ? decoded : undefined
  }
  const server = http.createServer((request, response) => {
    const accept = request.headers.accept || ''
    if (request.method !== 'GET' || !accept.includes('application/spsp4+json')) {
      response.writeHead(406, { 'content-type': 'text/plain' })
      response.end('SPSP needs GET with Accept: application/spsp4+json')
      return
    }
    const nonce = header(request, 'receipt-nonce', 16)
    const secret = header(request, 'receipt-secret', 32)
    const credentials = issue(nonce && secret ? { nonce, secret } : undefined)
    response.writeHead(200, { 'content-type': 'application/spsp4+json' })
    response.end(JSON.stringify({
      destination_account: credentials.destinationAccount,
      shared_secret: credentials.sharedSecret.toString('base64'),
      receipts_enabled: credentials.receiptsEnabled
    }))
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port: port || 0, host: '127.0.0.1' }, () => resolve(server))
  })
}

function onSignals (stop) {
  let stopping = false
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      if (stopping) process.exit(1)
      stopping = true
      Promise.resolve().then(stop).then(() => process.exit(0), fatal)
    })
  }
}

module.exports = {
  loadConfig,
  emit,
  fatal,
  httpPlugin,
  listeningPort,
  withFixedIldcp,
  patchStreamForNode18,
  onSignals,
  mapUrl,
  spspQuery,
  spspServer,
  routePayQueries
}
