'use strict'
// Pays a wallet address with @interledger/pay (the payer Rafiki uses; 0.4.0-alpha.9) through an
// ilp-plugin-http plugin, as Rafiki's outgoing payments do: setupPayment (SPSP query of the
// wallet address, then the asset probe), startQuote (the rate probe), pay; then exits.
//
// Config (JSON, argv[2] or `@file` or env ILP_JS_CONFIG):
//   {
//     "incomingToken": "...",           // our ILP-over-HTTP server (pay receives nothing, but
//     "port": 0,                        // ilp-plugin-http always listens)
//     "outgoingUrl": "http://127.0.0.1:N/", "outgoingToken": "...",  // the parent's endpoint
//     "walletAddress": "https://wallets.test/alice",   // resolved by SPSP
//     "urlMap": {"https://wallets.test": "http://127.0.0.1:N"},  // optional (lib.routePayQueries)
//     "receipts": true,                 // optional: the SPSP query carries Receipt-Nonce and
//                                       // Receipt-Secret headers, as a receipt verifier adds
//     "amountToSend": "1000",           // or "amountToDeliver" (in the wallet address's units)
//     "slippage": 0.01,                 // optional (pay's default 0.01)
//     "prices": {"USD": 1, "EUR": 1.1}, // optional: needed between different assets
//     "timeoutMs": 60000                // optional, for the whole payment
//   }
// The source asset comes from the parent by IL-DCP.
//
// Prints one line `RESULT {"amountSent", "amountDelivered", "sourceAsset", "destinationAsset",
// "destinationAddress", "quote": {"maxSourceAmount", "minDeliveryAmount", "maxPacketAmount",
// "lowEstimatedExchangeRate", "highEstimatedExchangeRate", "minExchangeRate"},
// "receipt" (base64, the last one), "receiptNonce", "receiptSecret" (base64), "packets",
// "prepares", "rejects", "lastRejects", "payMs" (how long pay() took, after the quote),
// "error"?}` and exits 0 when pay reported no error,
// 1 otherwise. packets = fulfilled Prepares with a non-zero amount.
const crypto = require('crypto')
const IlpPacket = require('ilp-packet')
const ILDCP = require('ilp-protocol-ildcp')
const { loadConfig, emit, fatal, httpPlugin, routePayQueries } = require('./lib')

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

function ratio (value) {
  return value ? value.toJSON().join('/') : undefined
}

async function main () {
  const config = loadConfig()
  const receiptHeaders = {}
  const result = {}
  if (config.receipts) {
    const nonce = crypto.randomBytes(16)
    const secret = crypto.randomBytes(32)
    receiptHeaders['Receipt-Nonce'] = result.receiptNonce = nonce.toString('base64')
    receiptHeaders['Receipt-Secret'] = result.receiptSecret = secret.toString('base64')
  }
  routePayQueries(config.urlMap, receiptHeaders)
  const { setupPayment, startQuote, pay, closeConnection } = require('@interledger/pay')

  const counts = { packets: 0, prepares: 0, rejects: {}, lastRejects: {} }
  const plugin = counting(httpPlugin({
    port: config.port || 0,
    incomingToken: config.incomingToken,
    outgoingUrl: config.outgoingUrl,
    outgoingToken: config.outgoingToken,
    name: 'pay-sender'
  }), counts)
  await plugin.connect()
  const timer = setTimeout(() => fatal(new Error(`payment timed out after ${config.timeoutMs || 60000} ms`)),
    config.timeoutMs || 60000)
  let destination
  try {
    const ildcp = await ILDCP.fetch(plugin.sendData.bind(plugin))
    const sourceAsset = { code: ildcp.assetCode, scale: ildcp.assetScale }
    result.sourceAsset = sourceAsset
    destination = await setupPayment({ plugin, destinationAccount: config.walletAddress })
    result.destinationAsset = destination.destinationAsset
    result.destinationAddress = destination.destinationAddress
    const quote = await startQuote({
      plugin,
      destination,
      sourceAsset,
      amountToSend: config.amountToSend,
      amountToDeliver: config.amountToDeliver,
      slippage: config.slippage,
      prices: config.prices
    })
    result.quote = {
      maxSourceAmount: String(quote.maxSourceAmount),
      minDeliveryAmount: String(quote.minDeliveryAmount),
      maxPacketAmount: String(quote.maxPacketAmount),
      lowEstimatedExchangeRate: ratio(quote.lowEstimatedExchangeRate),
      highEstimatedExchangeRate: ratio(quote.highEstimatedExchangeRate),
      minExchangeRate: ratio(quote.minExchangeRate)
    }
    const started = process.hrtime.bigint()
    const progress = await pay({
      plugin,
      destination,
      quote,
      progressHandler: (p) => { if (p.streamReceipt) result.receipt = Buffer.from(p.streamReceipt).toString('base64') }
    })
    result.payMs = Number(process.hrtime.bigint() - started) / 1e6
    result.amountSent = String(progress.amountSent)
    result.amountDelivered = String(progress.amountDelivered)
    if (progress.streamReceipt) result.receipt = Buffer.from(progress.streamReceipt).toString('base64')
    if (progress.error) result.error = String(progress.error)
  } catch (error) {
    result.error = String(error && error.message ? error.message : error)
  }
  if (destination) await closeConnection(plugin, destination).catch(() => {})
  clearTimeout(timer)
  Object.assign(result, counts)
  emit('RESULT', result)
  await plugin.disconnect()
  process.exit(result.error ? 1 : 0)
}

main().catch(fatal)
