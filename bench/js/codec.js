'use strict'
// Reference-codec side of bench/codec.py: times interledgerjs ilp-packet (pinned 3.1.3 in
// package.json) on the packets bench/codec.py generates, and prints ops/s as JSON on stdout.
// Input (stdin, JSON): {"seconds": <per case>, "repeats": 3,
//                       "cases": [{"name": ..., "kind": "prepare"|"fulfill"|"reject", "hex": ...}]}
const IlpPacket = require('ilp-packet')

const DECODERS = {
  prepare: IlpPacket.deserializeIlpPrepare,
  fulfill: IlpPacket.deserializeIlpReply,
  reject: IlpPacket.deserializeIlpReply
}
const ENCODERS = {
  prepare: IlpPacket.serializeIlpPrepare,
  fulfill: IlpPacket.serializeIlpFulfill,
  reject: IlpPacket.serializeIlpReject
}

let keep = null // the last result of every batch escapes here, so the JIT must build it

// A fresh batch loop per (case, op): `new Function` gives each its own type feedback, so the
// call site stays monomorphic and V8 can inline the codec as it would in a real hot loop.
// Every result is a live value (returned), so allocations cannot be optimised away.
function makeBatch () {
  // eslint-disable-next-line no-new-func
  return new Function('fn', 'arg', 'n', 'let r; for (let i = 0; i < n; i++) r = fn(arg); return r')
}

// Best ops/s over `repeats` time-based runs of `seconds / repeats` each, after a warm-up.
function measure (fn, arg, seconds, repeats) {
  const batch = makeBatch()
  const budget = BigInt(Math.round((seconds / repeats) * 1e9))
  const warmupEnd = process.hrtime.bigint() + budget / 2n
  while (process.hrtime.bigint() < warmupEnd) keep = batch(fn, arg, 1000)
  let best = 0
  for (let r = 0; r < repeats; r++) {
    let n = 0
    const t0 = process.hrtime.bigint()
    let elapsed = 0n
    do {
      keep = batch(fn, arg, 1000)
      n += 1000
      elapsed = process.hrtime.bigint() - t0
    } while (elapsed < budget)
    best = Math.max(best, n / (Number(elapsed) / 1e9))
  }
  return best
}

function main () {
  const input = JSON.parse(require('fs').readFileSync(0, 'utf8'))
  const repeats = input.repeats || 3
  const results = {}
  for (const c of input.cases) {
    const bytes = Buffer.from(c.hex, 'hex')
    const decode = DECODERS[c.kind]
    const encode = ENCODERS[c.kind]
    const packet = decode(bytes)
    if (!encode(packet).equals(bytes)) throw new Error(`${c.name}: ilp-packet does not re-encode the same bytes`)
    results[c.name] = {
      decode: measure(decode, bytes, input.seconds, repeats),
      encode: measure(encode, packet, input.seconds, repeats)
    }
  }
  const ilpPacket = require('ilp-packet/package.json').version
  process.stdout.write(JSON.stringify({ node: process.version, ilpPacket, results, kept: keep !== null }) + '\n')
}

main()
