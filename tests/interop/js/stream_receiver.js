'use strict'
// An ilp-protocol-stream (2.7.1) Server reachable over ILP-over-HTTP through ilp-plugin-http.
//
// Config (JSON, argv[2] or `@file` or env ILP_JS_CONFIG):
//   {
//     "port": 0,                        // our ILP-over-HTTP server (0 = any free port)
//     "incomingToken": "...",           // the Bearer token the parent sends us
//     "outgoingUrl": "http://127.0.0.1:N/", "outgoingToken": "...",  // the parent's endpoint
//     "ildcp": {"clientAddress": "test.x.receiver", "assetCode": "USD", "assetScale": 9},
//                                       // optional: a fixed address instead of IL-DCP
//     "serverSecret": "<base64, 32 bytes>",  // optional (random otherwise)
//     "connectionTag": "...",           // optional, for the generated address
//     "receiveMax": "1000",             // optional per-stream limit (default: unlimited)
//     "spspPort": 0                     // optional: also serve SPSP here (0 = any free port)
//   }
// Without "ildcp" the server asks its parent for its address by IL-DCP (peer.config): an
// ilp-connector parent answers for a `child` account, Rafiki answers with the peer's static
// address.
//
// Prints `READY {"port", "url", "destinationAccount", "sharedSecret" (base64), "assetCode",
// "assetScale"}` (plus "spspPort" and "spspUrl" with "spspPort") once it has its address, then
// `RECEIVED {"amount", "totalReceived", "packets", "connections"}` after every packet that
// brought money (totals over all connections; packets = money events), and `CLOSED {"connectionId", ...totals}` when a
// connection ends. With "spspPort", `GET <spspUrl><any path>` (Accept: application/spsp4+json)
// answers fresh credentials from generateAddressAndSecret (receipts when the query carries
// Receipt-Nonce and Receipt-Secret, RFC 0039). Stops on SIGTERM/SIGINT.
const {
  loadConfig, emit, fatal, httpPlugin, listeningPort, withFixedIldcp, patchStreamForNode18, onSignals, spspServer
} = require('./lib')

patchStreamForNode18()
const { Server } = require('ilp-protocol-stream')

async function main () {
  const config = loadConfig()
  let plugin = httpPlugin({
    port: config.port,
    incomingToken: config.incomingToken,
    outgoingUrl: config.outgoingUrl,
    outgoingToken: config.outgoingToken,
    name: 'stream-receiver'
  })
  if (config.ildcp) plugin = withFixedIldcp(plugin, config.ildcp)
  const server = new Server({
    plugin,
    serverSecret: config.serverSecret ? Buffer.from(config.serverSecret, 'base64') : undefined
  })
  let totalReceived = 0n
  let packets = 0
  // ilp-protocol-stream's pool builds a new Connection object for a late packet of a connection
  // that already closed, so connections are counted by id.
  const connectionIds = new Set()
  const totals = () => ({ totalReceived: totalReceived.toString(), packets, connections: connectionIds.size })
  server.on('connection', (connection) => {
    connectionIds.add(connection.connectionId)
    connection.on('stream', (stream) => {
      stream.setReceiveMax(config.receiveMax !== undefined ? config.receiveMax : Infinity)
      stream.on('money', (amount) => {
        totalReceived += BigInt(amount)
        packets += 1
        emit('RECEIVED', { amount: String(amount), streamId: stream.id, ...totals() })
      })
    })
    connection.on('close', () => emit('CLOSED', { connectionId: connection.connectionId, ...totals() }))
    connection.on('error', (error) => process.stderr.write(`connection error: ${error.stack || error}\n`))
  })
  await server.listen() // connects the plugin, then IL-DCP
  const port = await listeningPort(plugin)
  const { destinationAccount, sharedSecret } = server.generateAddressAndSecret(config.connectionTag)
  const ready = {
    port,
    url: `http://127.0.0.1:${port}/`,
    destinationAccount,
    sharedSecret: sharedSecret.toString('base64'),
    assetCode: server.assetCode,
    assetScale: server.assetScale
  }
  let spsp
  if (config.spspPort !== undefined) {
    spsp = await spspServer(config.spspPort, (receiptSetup) => server.generateAddressAndSecret(
      receiptSetup ? { receiptNonce: receiptSetup.nonce, receiptSecret: receiptSetup.secret } : {}
    ))
    ready.spspPort = spsp.address().port
    ready.spspUrl = `http://127.0.0.1:${ready.spspPort}/`
  }
  onSignals(() => {
    if (spsp) spsp.close()
    return server.close()
  })
  emit('READY', ready)
}

main().catch(fatal)
