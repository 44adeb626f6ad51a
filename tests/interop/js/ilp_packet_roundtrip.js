'use strict'
// Interop with interledgerjs ilp-packet (the JS reference codec), driven by
// tests/interop/test_ilp_packet_js.py. Input on stdin (JSON):
//   {"decode": [hex, ...], "encode": [{"type": 12|13|14, ...fields as JSON}, ...]}
// Output on stdout (JSON):
//   {"decoded": [{"type", fields as JSON, "reencoded": hex} | {"error": message}, ...],
//    "encoded": [hex, ...]}
// Binary fields are hex, amounts decimal strings, expiresAt an ISO string.
const IlpPacket = require('ilp-packet')

function toJson (packet) {
  const { type, data } = packet
  if (type === IlpPacket.Type.TYPE_ILP_PREPARE) {
    return {
      type,
      amount: data.amount,
      expiresAt: data.expiresAt.toISOString(),
      executionCondition: data.executionCondition.toString('hex'),
      destination: data.destination,
      data: data.data.toString('hex')
    }
  }
  if (type === IlpPacket.Type.TYPE_ILP_FULFILL) {
    return { type, fulfillment: data.fulfillment.toString('hex'), data: data.data.toString('hex') }
  }
  return {
    type,
    code: data.code,
    triggeredBy: data.triggeredBy,
    message: data.message,
    data: data.data.toString('hex')
  }
}

function fromJson (fields) {
  if (fields.type === 12) {
    return IlpPacket.serializeIlpPrepare({
      amount: fields.amount,
      expiresAt: new Date(fields.expiresAt),
      executionCondition: Buffer.from(fields.executionCondition, 'hex'),
      destination: fields.destination,
      data: Buffer.from(fields.data, 'hex')
    })
  }
  if (fields.type === 13) {
    return IlpPacket.serializeIlpFulfill({
      fulfillment: Buffer.from(fields.fulfillment, 'hex'),
      data: Buffer.from(fields.data, 'hex')
    })
  }
  return IlpPacket.serializeIlpReject({
    code: fields.code,
    triggeredBy: fields.triggeredBy,
    message: fields.message,
    data: Buffer.from(fields.data, 'hex')
  })
}

let input = ''
process.stdin.on('data', (chunk) => { input += chunk })
process.stdin.on('end', () => {
  const request = JSON.parse(input)
  const decoded = request.decode.map((hex) => {
    try {
      const packet = IlpPacket.deserializeIlpPacket(Buffer.from(hex, 'hex'))
      const json = toJson(packet)
      json.reencoded = fromJson(json).toString('hex')
      return json
    } catch (error) {
      return { error: String(error.message || error) }
    }
  })
  const encoded = request.encode.map((fields) => fromJson(fields).toString('hex'))
  process.stdout.write(JSON.stringify({ decoded, encoded }))
})
