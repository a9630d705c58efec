// Test-material helper for make.py (never used by the application): DSTU 4145 key pairs on
// the standard 257-bit curve and signatures with them, made with jkurwa (BSD).
//   node make.js keygen            -> {"key": HEX, "cert": B64 self-signed DER (for its SPKI)}
//   node make.js sign HEX B64DATA FMT -> {"signature": B64} (GOST 34.311 hash, DSTU 4145)
"use strict";
const path = require("path");

const modules = path.join(__dirname, "..", "..", "..", "models", "kep", "node", "node_modules");
const jk = require(path.join(modules, "jkurwa"));
const gost89 = require(path.join(modules, "gost89"));
const dstu = require(path.join(modules, "gost89", "lib", "dstu.js"));

const algos = gost89.compat.algos();
const curve = jk.std_curve("DSTU_PB_257");
const [command, ...args] = process.argv.slice(2);

if (command === "keygen") {
  const priv = curve.keygen();
  priv.sbox = dstu.packSbox(dstu.defaultSbox);
  const name = { commonName: "key" };
  const cert = jk.Certificate.signCert({
    privkey: priv,
    hash: algos.hash,
    certData: {
      serial: 1,
      issuer: name,
      subject: name,
      valid: { from: 1500000000000, to: 1700000000000 },
      usage: "\x03\x02\x06\xC0",
    },
  });
  const key = Buffer.from(priv.d.buf8()).toString("hex");
  process.stdout.write(JSON.stringify({ key, cert: cert.as_asn1().toString("base64") }));
} else if (command === "sign") {
  const [hex, data, fmt] = args;
  const priv = curve.pkey(hex, "hex");
  const hash = algos.hash(Buffer.from(data, "base64"));
  const signature = priv.sign(Buffer.from(hash), fmt);
  process.stdout.write(JSON.stringify({ signature: Buffer.from(signature).toString("base64") }));
} else {
  process.stderr.write("usage: node make.js keygen | sign HEX B64DATA le|short\n");
  process.exit(2);
}
