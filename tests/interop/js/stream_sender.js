'use strict'
// Sends one STREAM payment with ilp-protocol-stream (2.7.1) createConnection through an
// ilp-plugin-http plugin, then exits.
//
// Config (JSON, argv[2] or `@file` or env ILP_JS_CONFIG):
//   {
//     "port": 0,                        // our ILP-over-HTTP server: the receiver's replies
//                                       // (ConnectionClose etc.) come back to us through it
//     "incomingToken": "...",
//     "outgoingUrl": "http://127.0.0.1:N/", "outgoingToken": "...",  // the parent's endpoint
//     "ildcp": {"clientAddress": "test.x.sender", "assetCode": "USD", "assetScale": 9},
//                                       // optional: a fixed address instead of IL-DCP
//     "destinationAccount": "test.x.receiver.<token>",
//     "sharedSecret": "<base64>",
//     "spsp": {"url": "https://wallets.test/alice", "urlMap": {...}, "receipts": true},
//                                       // instead of the two above: resolve a wallet address by
//                                       // SPSP (lib.spspQuery; receipts: with receipt headers)
//     "amount": "1000",                 // sent on one stream (split by the discovered
//                                       // maximum packet amount)
//     "timeoutMs": 30000,               // optional, for the whole payment
//     "slippage": 0.01                  // optional
//   }
//
// Prints `READY {"port", "url", "sourceAccount"}` once connected, then one line
// `RESULT {"amount", "totalSent", "totalDelivered", "packets", "prepares", "rejects",
// "lastRejects"}` (with "spsp" {"destinationAccount", "receiptsEnabled", "receiptNonce",
// "receiptSecret" (base64), "contentType"} and "receipt" (base64, the stream's last) after a
// SPSP query) and "sendMs" (how long sending the amount took, after connecting) and
// exits 0 when the whole amount was sent; exits 1 (RESULT carries "error") otherwise.
// packets = fulfilled Prepares with a non-zero amount; prepares = every Prepare we sent;
// rejects = count per ILP error code (F08 and F99 are expected while STREAM probes);
// lastRejects = {code: {triggeredBy, message}} of the last Reject per code, for diagnosis.
const IlpPacket = require('ilp-packet')
const {
  loadConfig, emit, fatal, httpPlugin, listeningPort, withFixedIldcp, patchStreamForNode18, spspQuery
} = require('./lib')

patchStreamForNode18()
const { createConnection } = require('ilp-protocol-stream')

function counting (plugin, counts) {
  const sendData = plugin.sendData.bind(plugin)
  plugin.sendData = async (data) => {
    const prepare = IlpPacket.deserializeIlpPrepare(data)
    counts.prepares += 1
    const reply = await sendData(data)
    if (reply[0] === IlpPacket.Type.TYPE_ILP_FULFILL) {
      if (prepare.amount !== '0') counts.packets += 1
    } else if (reply[0] === IlpPacket.Type.TYPE_ILP_REJECT) {
      const { code, triggeredBy, message } = IlpPacket.deserializeIlpReject(reply)
      counts.rejects[code] = (counts.rejects[code] || 0) + 1
      counts.lastRejects[code] = { triggeredBy, message }
    }
    return reply
  }
  return plugin
}

function withTimeout (promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
    })
  ]).finally(() => clearTimeout(timer))
}

async function main () {
  const config = loadConfig()
  const timeoutMs = config.timeoutMs || 30000
  const counts = { packets: 0, prepares: 0, rejects: {}, lastRejects: {} }
  let plugin = httpPlugin({
    port: config.port,
    incomingToken: config.incomingToken,
    outgoingUrl: config.outgoingUrl,
    outgoingToken: config.outgoingToken,
    name: 'stream-sender'
  })
  if (config.ildcp) plugin = withFixedIldcp(plugin, config.ildcp)
  counting(plugin, counts)
  const result = { amount: String(config.amount) }
  let connection
  let stream
  try {
    let destinationAccount = config.destinationAccount
    let sharedSecret = config.sharedSecret && Buffer.from(config.sharedSecret, 'base64')
    if (config.spsp) {
      const spsp = await spspQuery(config.spsp.url, config.spsp)
      destinationAccount = spsp.destinationAccount
      sharedSecret = spsp.sharedSecret
      result.spsp = {
        destinationAccount,
        receiptsEnabled: spsp.receiptsEnabled,
        receiptNonce: spsp.receiptNonce && spsp.receiptNonce.toString('base64'),
        receiptSecret: spsp.receiptSecret && spsp.receiptSecret.toString('base64'),
        contentType: spsp.contentType
      }
    }
    connection = await withTimeout(createConnection({
      plugin,
      destinationAccount,
      sharedSecret,
      slippage: config.slippage
    }), timeoutMs, 'connecting')
    const port = await listeningPort(plugin)
    emit('READY', { port, url: `http://127.0.0.1:${port}/`, sourceAccount: connection.sourceAccount })
    stream = connection.createStream()
    const started = process.hrtime.bigint()
    await withTimeout(stream.sendTotal(config.amount), timeoutMs, 'sending')
    result.sendMs = Number(process.hrtime.bigint() - started) / 1e6
    await withTimeout(connection.end(), timeoutMs, 'closing')
  } catch (error) {
    result.error = String(error && error.message ? error.message : error)
  }
  Object.assign(result, {
    totalSent: connection ? connection.totalSent : '0',
    totalDelivered: connection ? connection.totalDelivered : '0',
    receipt: stream && stream.receipt ? stream.receipt.toString('base64') : undefined,
    ...counts
  })
  emit('RESULT', result)
  await plugin.disconnect()
  process.exit(result.error ? 1 : 0)
}

main().catch(fatal)
