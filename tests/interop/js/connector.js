'use strict'
// A real interledgerjs ilp-connector (23.0.2, programmatic API) whose accounts are ilp-plugin-http
// links (ILP-over-HTTP, synchronous mode), for interop tests and bench/connector.py.
//
// Config (JSON, argv[2] or `@file` or env ILP_JS_CONFIG):
//   {
//     "ilpAddress": "test.js",                 // the connector's own address (required)
//     "assetCode": "USD", "assetScale": 9,     // defaults for every account
//     "spread": 0, "backend": "one-to-one",    // defaults shown: exact 1:1 amounts
//     "accounts": {
//       "<id>": {
//         "relation": "child" | "peer" | "parent",   // child: gets <ilpAddress>.<id> by IL-DCP
//         "port": 0,                  // our ILP-over-HTTP server for this account (0 = any)
//         "incomingToken": "...",     // the Bearer token this account's peer sends us
//         "outgoingUrl": "http://127.0.0.1:N/",  // where we POST its packets
//         "outgoingToken": "...",     // the Bearer token we send there
//         "maxPacketAmount": "1000",  // optional: F08 (with data) above it
//         "ilpAddressSegment": "...", // optional, child only
//         "balance": {"minimum": "-Infinity", "maximum": "Infinity"},  // optional
//         "rateLimit": {...}          // optional; default: no practical limit (1e9/s), because
//                                     // ilp-connector's default is 10 000 packets/min per account
//       }
//     },
//     "routes": [{"targetPrefix": "test.peer", "peerId": "<id>"}],   // static routes
//     "defaultRoute": "auto",   // optional: an account id, or "auto" = the first parent, if any
//     "disableMiddleware": [], "minMessageWindow": 1000, "maxHoldTime": 30000  // optional
//   }
// CCP is off on every account (sendRoutes/receiveRoutes false): HTTP peers such as ilpnode or
// Rafiki do not speak it; routing is only the static routes plus the child accounts' addresses.
//
// Prints `READY {"ilpAddress": ..., "accounts": {"<id>": {"port", "url", "address"?}}}` once every
// account's server listens. Stops on SIGTERM/SIGINT.
const { loadConfig, emit, fatal, httpPlugin, listeningPort, onSignals } = require('./lib')
const connectorLog = require('ilp-connector/dist/common/log')
const { createApp } = require('ilp-connector')

const NO_RATE_LIMIT = { refillPeriod: 1000, refillCount: 1e9, capacity: 1e9 }
const ACCOUNT_KEYS = ['maxPacketAmount', 'ilpAddressSegment', 'balance', 'rateLimit', 'throughput']

function accountOptions (id, account, config) {
  const options = {
    relation: account.relation,
    plugin: httpPlugin({
      port: account.port,
      incomingToken: account.incomingToken,
      outgoingUrl: account.outgoingUrl,
      outgoingToken: account.outgoingToken,
      name: config.ilpAddress
    }),
    assetCode: account.assetCode || config.assetCode || 'USD',
    assetScale: account.assetScale !== undefined ? account.assetScale : (config.assetScale !== undefined ? config.assetScale : 9),
    sendRoutes: false,
    receiveRoutes: false,
    rateLimit: NO_RATE_LIMIT
  }
  for (const key of ACCOUNT_KEYS) {
    if (account[key] !== undefined) options[key] = account[key]
  }
  return options
}

async function main () {
  const config = loadConfig()
  if (!config.ilpAddress) throw new Error('config.ilpAddress is required')
  connectorLog.setOutputStream(process.stderr) // stdout carries only the READY line
  const accounts = {}
  for (const [id, account] of Object.entries(config.accounts || {})) {
    accounts[id] = accountOptions(id, account, config)
  }
  const app = createApp({
    ilpAddress: config.ilpAddress,
    env: config.env || (config.ilpAddress.startsWith('g.') ? 'production' : 'test'),
    accounts,
    routes: config.routes || [],
    backend: config.backend || 'one-to-one',
    spread: config.spread !== undefined ? config.spread : 0,
    store: 'memory',
    adminApi: false,
    defaultRoute: config.defaultRoute !== undefined ? config.defaultRoute : 'auto', // first parent
    disableMiddleware: config.disableMiddleware || [],
    minMessageWindow: config.minMessageWindow !== undefined ? config.minMessageWindow : 1000,
    maxHoldTime: config.maxHoldTime !== undefined ? config.maxHoldTime : 30000,
    initialConnectTimeout: 10000
  })
  await app.listen() // never rejects: ilp-connector logs its errors and carries on
  const ready = { ilpAddress: config.ilpAddress, accounts: {} }
  for (const [id, options] of Object.entries(accounts)) {
    const port = await listeningPort(options.plugin)
    ready.accounts[id] = { port, url: `http://127.0.0.1:${port}/` }
    if (options.relation === 'child') {
      ready.accounts[id].address = `${config.ilpAddress}.${options.ilpAddressSegment || id}`
    }
  }
  onSignals(() => app.shutdown())
  emit('READY', ready)
}

main().catch(fatal)
