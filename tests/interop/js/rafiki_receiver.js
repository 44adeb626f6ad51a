'use strict'
// A STREAM receiver built as Rafiki builds its own: @interledger/stream-receiver's stateless
// StreamServer (the version Rafiki's backend pins), a running total per connection (Rafiki keeps
// it in Redis, we in memory), and an SPSP endpoint that mints credentials per query (with the
// asset details, and the RFC 0039 receipt setup when the query carries Receipt-Nonce and
// Receipt-Secret). Reached over ILP-over-HTTP through ilp-plugin-http.
//
// Like Rafiki, it answers a Prepare it cannot fulfil (a rate probe: a random condition) with
// **F05** instead of the library's F99: the STREAM reply data (authentic, encrypted) is kept, only
// the code changes. `probeRejectCode` sets another code (e.g. "F99", the library's own).
//
// Config (JSON, argv[2] or `@file` or env ILP_JS_CONFIG):
//   {
//     "port": 0,                        // our ILP-over-HTTP server (0 = any free port)
//     "incomingToken": "...",           // the Bearer token the parent sends us
//     "outgoingUrl": "http://127.0.0.1:N/", "outgoingToken": "...",  // the parent's endpoint
//     "ildcp": {"clientAddress": "...", "assetCode": "USD", "assetScale": 9},
//                                       // optional: a fixed address instead of IL-DCP
//     "spspPort": 0,                    // our SPSP server (0 = any free port)
//     "serverSecret": "<base64, 32 bytes>",  // optional (random otherwise)
//     "probeRejectCode": "F05"          // optional: the code for unfulfillable Prepares
//   }
//
// Prints `READY {"port", "url", "spspPort", "spspUrl", "serverAddress", "assetCode",
// "assetScale"}` once it has its address, `RECEIVED {"amount", "totalReceived", "packets",
// "connections"}` after every packet that brought money (totals over all connections),
// and `REJECTED {"code", "amount", "rejects": {code: count}}` for every Prepare it rejects.
// GET <spspUrl><any path> answers `application/spsp4+json` {destination_account,
// shared_secret (base64), receipts_enabled}. Stops on SIGTERM/SIGINT.
const crypto = require('crypto')
const IlpPacket = require('ilp-packet')
const ILDCP = require('ilp-protocol-ildcp')
const { StreamServer } = require('@interledger/stream-receiver')
const {
  loadConfig, emit, fatal, httpPlugin, listeningPort, withFixedIldcp, onSignals, spspServer
} = require('./lib')

const FULFILLMENT_GENERATION_STRING = Buffer.from('ilp_stream_fulfillment')

function hmac (key, message) {
  return crypto.createHmac('sha256', key).update(message).digest()
}

// Whether `prepare` can be fulfilled with the connection's shared secret (RFC 0029 §5.5).
function fulfillable (prepare, sharedSecret) {
  const fulfillment = hmac(hmac(sharedSecret, FULFILLMENT_GENERATION_STRING), prepare.data)
  return crypto.createHash('sha256').update(fulfillment).digest().equals(prepare.executionCondition)
}

async function main () {
  const config = loadConfig()
  const probeRejectCode = config.probeRejectCode || 'F05'
  let plugin = httpPlugin({
    port: config.port,
    incomingToken: config.incomingToken,
    outgoingUrl: config.outgoingUrl,
    outgoingToken: config.outgoingToken,
    name: 'rafiki-receiver'
  })
  if (config.ildcp) plugin = withFixedIldcp(plugin, config.ildcp)
  await plugin.connect()
  const { clientAddress, assetCode, assetScale } = await ILDCP.fetch(plugin.sendData.bind(plugin))
  const server = new StreamServer({
    serverSecret: config.serverSecret ? Buffer.from(config.serverSecret, 'base64') : crypto.randomBytes(32),
    serverAddress: clientAddress
  })
  const secrets = new Map() // destination address -> shared secret, for the F05 decision
  const totals = new Map() // connection id -> total received (Rafiki: a Redis counter)
  let totalReceived = 0n
  let packets = 0
  const rejects = {}

  function reject (prepare, reply) {
    let code = reply.code
    if (code === 'F99' && prepare.amount !== '0') {
      const sharedSecret = secrets.get(prepare.destination)
      if (sharedSecret && !fulfillable(prepare, sharedSecret)) code = probeRejectCode
    }
    rejects[code] = (rejects[code] || 0) + 1
    emit('REJECTED', { code, amount: prepare.amount, rejects })
    return IlpPacket.serializeIlpReject({ ...reply, code })
  }

  plugin.registerDataHandler(async (data) => {
    const prepare = IlpPacket.deserializeIlpPrepare(data)
    const reply = server.createReply(prepare)
    if (IlpPacket.isFulfill(reply)) return IlpPacket.serializeIlpFulfill(reply)
    if (IlpPacket.isReject(reply)) return reject(prepare, reply)
    const total = (totals.get(reply.connectionId) || 0n) + BigInt(prepare.amount)
    totals.set(reply.connectionId, total)
    reply.setTotalReceived(total.toString())
    totalReceived += BigInt(prepare.amount)
    packets += 1
    emit('RECEIVED', {
      amount: prepare.amount,
      totalReceived: totalReceived.toString(),
      packets,
      connections: totals.size
    })
    return IlpPacket.serializeIlpFulfill(reply.accept())
  })

  const spsp = await spspServer(config.spspPort || 0, (receiptSetup) => {
    const credentials = server.generateCredentials({
      receiptSetup,
      asset: { code: assetCode, scale: assetScale }
    })
    secrets.set(credentials.ilpAddress, credentials.sharedSecret)
    return {
      destinationAccount: credentials.ilpAddress,
      sharedSecret: credentials.sharedSecret,
      receiptsEnabled: receiptSetup !== undefined
    }
  })
  const port = await listeningPort(plugin)
  const spspPort = spsp.address().port
  onSignals(() => new Promise((resolve) => spsp.close(() => plugin.disconnect().then(resolve, resolve))))
  emit('READY', {
    port,
    url: `http://127.0.0.1:${port}/`,
    spspPort,
    spspUrl: `http://127.0.0.1:${spspPort}/`,
    serverAddress: clientAddress,
    assetCode,
    assetScale
  })
}

main().catch(fatal)
