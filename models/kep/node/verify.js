#!/usr/bin/env node
// DSTU 4145 signature checks and GOST 34.311 hashes for infoaudit (models/kep/node.py).
//
// Reads one JSON object from standard input: {"requests": [...]}, each request one of
//   {"op": "digest", "hash": "gost34311", "data": B64}
//   {"op": "verify", "hash": "gost34311", "cert": B64 DER, "data": B64, "signature": B64,
//    "format": "le" | "short"}
// and writes {"versions": {...}, "results": [...]} with one result per request:
//   {"ok": true, "digest": B64} / {"ok": true, "valid": BOOL} / {"ok": false, "error": TEXT}.
// "verify" hashes `data` and checks `signature` with the public key of `cert` (a signer's
// certificate for a CMS signature, an issuer's for a certificate's own signature). It never
// touches a private key, the network or the file system.
"use strict";

const jk = require("jkurwa");
const gost89 = require("gost89");

const algos = gost89.compat.algos();
const HASHES = { gost34311: (data) => algos.hash(data) };

function versionOf(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch (_err) {
    return "unknown";
  }
}

function run(request) {
  const hash = HASHES[request.hash];
  if (!hash) {
    return { ok: false, error: `unsupported hash ${request.hash}` };
  }
  const data = Buffer.from(request.data || "", "base64");
  if (request.op === "digest") {
    return { ok: true, digest: Buffer.from(hash(data)).toString("base64") };
  }
  if (request.op === "verify") {
    const cert = jk.Certificate.from_asn1(Buffer.from(request.cert, "base64"));
    if (!cert.curve) {
      return { ok: false, error: `not a DSTU 4145 key: ${cert.pubkeyAlgorithm}` };
    }
    const pub = cert.pubkey_unpack();
    if (!pub.validate()) {
      return { ok: false, error: "the public key is not a point of the curve's group" };
    }
    const signature = Buffer.from(request.signature, "base64");
    const digest = Buffer.from(hash(data));
    const check = (format) => {
      try {
        return Boolean(pub.verify(digest, signature, format));
      } catch (err) {
        // jkurwa throws for a malformed signature (zero or out-of-range components).
        return false;
      }
    };
    let valid = check(request.format || "le");
    // Some software wraps a CMS signature value in an OCTET STRING of its own (04 len r s).
    const wrapped = signature.length > 2 && signature[0] === 4 && signature[1] === signature.length - 2;
    if (!valid && request.format === "le" && wrapped) {
      valid = check("short");
    }
    return { ok: true, valid: Boolean(valid) };
  }
  return { ok: false, error: `unknown op ${request.op}` };
}

function main(input) {
  const message = JSON.parse(input);
  const results = (message.requests || []).map((request) => {
    try {
      return run(request);
    } catch (err) {
      return { ok: false, error: String((err && err.message) || err) };
    }
  });
  const versions = { node: process.versions.node, jkurwa: versionOf("jkurwa"), gost89: versionOf("gost89") };
  process.stdout.write(JSON.stringify({ versions, results }));
}

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  try {
    main(Buffer.concat(chunks).toString("utf8"));
  } catch (err) {
    process.stderr.write(String((err && err.message) || err));
    process.exit(2);
  }
});
