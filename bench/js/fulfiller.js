'use strict'
// A fast ILP-over-HTTP (synchronous mode) fulfiller for bench/connector.py: answers every
// Prepare with a Fulfill carrying one fixed fulfillment, when the Prepare's condition is
// sha256(fulfillment); otherwise with an F05 Reject. Node's http module only, no npm packages.
//
// Config (JSON, argv[2] or env ILP_JS_CONFIG):
//   {"port": 0, "host": "127.0.0.1", "token": "<Bearer token we expect, optional>",
//    "fulfillment": "<32 bytes hex>", "address": "test.bench.fulfiller"}
// Prints `READY {"port", "url"}` once it listens; on SIGTERM/SIGINT prints
// `STATS {"fulfilled", "rejected", "unauthorized"}` and exits.
//
// Answers 401 without the right `Authorization: Bearer <token>` and 400 for a body that is not a
// Prepare. Accepts any content type (ilp-plugin-http sends application/ilp+octet-stream).
const crypto = require('crypto')
const http = require('http')

const TYPE_PREPARE = 12

function varOctets (buffer) {
  if (buffer.length < 128) return Buffer.concat([Buffer.from([buffer.length]), buffer])
  const length = Buffer.alloc(2)
  length.writeUInt16BE(buffer.length)
  return Buffer.concat([Buffer.from([0x82]), length, buffer])
}

function envelope (type, content) {
  return Buffer.concat([Buffer.from([type]), varOctets(content)])
}

function fulfillPacket (fulfillment) {
  return envelope(13, Buffer.concat([fulfillment, varOctets(Buffer.alloc(0))]))
}

function rejectPacket (code, triggeredBy, message) {
  return envelope(14, Buffer.concat([
    Buffer.from(code, 'ascii'),
    varOctets(Buffer.from(triggeredBy, 'ascii')),
    varOctets(Buffer.from(message, 'utf8')),
    varOctets(Buffer.alloc(0))
  ]))
}

// The 32-byte execution condition of an OER Prepare: after the type byte and the envelope's
// length determinant, the 8-byte amount and the 17-byte expiry.
function conditionOf (packet) {
  if (packet.length < 2 || packet[0] !== TYPE_PREPARE) return null
  const first = packet[1]
  const start = 2 + (first < 128 ? 0 : first & 0x7f) + 8 + 17
  if (packet.length < start + 32) return null
  return packet.subarray(start, start + 32)
}

function main () {
  const text = process.argv[2] !== undefined ? process.argv[2] : process.env.ILP_JS_CONFIG
  const config = JSON.parse(text)
  const fulfillment = Buffer.from(config.fulfillment, 'hex')
  if (fulfillment.length !== 32) throw new Error('fulfillment must be 32 bytes of hex')
  const condition = crypto.createHash('sha256').update(fulfillment).digest()
  const fulfill = fulfillPacket(fulfillment)
  const wrongCondition = rejectPacket('F05', config.address || 'test.bench.fulfiller', 'unexpected condition')
  const expected = config.token ? `Bearer ${config.token}` : null
  const stats = { fulfilled: 0, rejected: 0, unauthorized: 0 }

  const server = http.createServer((req, res) => {
    if (expected !== null && req.headers.authorization !== expected) {
      stats.unauthorized += 1
      res.writeHead(401, { 'content-length': 0 })
      res.end()
      req.resume()
      return
    }
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      const packet = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
      const got = conditionOf(packet)
      if (got === null) {
        res.writeHead(400, { 'content-type': 'text/plain', 'content-length': 18 })
        res.end('expected a Prepare')
        return
      }
      const reply = got.equals(condition) ? fulfill : wrongCondition
      if (reply === fulfill) stats.fulfilled += 1
      else stats.rejected += 1
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': reply.length })
      res.end(reply)
    })
  })
  // Longer than any client's idle timeout (Node's agent: 5 s), so a client never writes to a
  // connection we just closed.
  server.keepAliveTimeout = 65000
  server.headersTimeout = 66000
  server.listen(config.port || 0, config.host || '127.0.0.1', () => {
    const { port } = server.address()
    process.stdout.write(`READY ${JSON.stringify({ port, url: `http://127.0.0.1:${port}/` })}\n`)
  })
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      process.stdout.write(`STATS ${JSON.stringify(stats)}\n`)
      process.exit(0)
    })
  }
}

main()
