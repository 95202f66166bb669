-- wrk script for the Digest rows of benches/load.rs: every request carries a freshly
-- computed RFC 7616 response (qop=auth), nc counting up on one nonce per connection.
--
-- wrk's LuaJIT has no MD5 or SHA-256, so both are written below in plain Lua over LuaJIT's
-- `bit` library. The harness runs wrk with as many threads as connections, so each thread
-- (one Lua state) owns one connection, one nonce and one nc sequence: requests on a
-- connection reach the server in order, as nc must increase.
--
-- Environment (set by the harness):
--   DIGEST_ALG     SHA-256 or MD5
--   DIGEST_NONCES  one nonce per thread, comma-separated (from the route's challenges)
--   DIGEST_OPAQUE  the challenge's opaque value (may be empty)
--   DIGEST_USER, DIGEST_PASSWORD, DIGEST_REALM, DIGEST_URI
--   DIGEST_CNONCES one client nonce per thread, comma-separated
--   DIGEST_LIST_DIR (optional) a directory holding <thread>.txt: this connection's responses
--                  for nc = 1, 2, ... one per line, computed by the harness beforehand, so
--                  that the client, which shares one core with all of wrk, keeps up with the
--                  server. The server verifies every one of them as usual; the script checks
--                  the first against its own computation and computes every response past
--                  the end of the list itself.

local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local lshift, rshift, ror, rol = bit.lshift, bit.rshift, bit.ror, bit.rol
local tobit, tohex, bswap = bit.tobit, bit.tohex, bit.bswap
local byte, char, rep, format = string.byte, string.char, string.rep, string.format

local K256 = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

local W = {}

-- Message padding shared by both hashes: 0x80, zeros, then the bit length in 8 bytes
-- (big-endian for SHA-256, little-endian for MD5). Messages here are a few hundred bytes.
local function pad(msg, big_endian)
  local len = #msg
  local zeros = (55 - len) % 64
  local bits = len * 8
  local b0, b1, b2, b3 = band(bits, 255), band(rshift(bits, 8), 255), band(rshift(bits, 16), 255), band(rshift(bits, 24), 255)
  if big_endian then
    return msg .. "\128" .. rep("\0", zeros) .. "\0\0\0\0" .. char(b3, b2, b1, b0)
  end
  return msg .. "\128" .. rep("\0", zeros) .. char(b0, b1, b2, b3) .. "\0\0\0\0"
end

local function sha256_hex(msg)
  msg = pad(msg, true)
  local h0, h1, h2, h3 = 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a
  local h4, h5, h6, h7 = 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  for i = 1, #msg, 64 do
    for j = 0, 15 do
      local a, b, c, d = byte(msg, i + j * 4, i + j * 4 + 3)
      W[j] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
    end
    for j = 16, 63 do
      local x, y = W[j - 15], W[j - 2]
      local s0 = bxor(ror(x, 7), ror(x, 18), rshift(x, 3))
      local s1 = bxor(ror(y, 17), ror(y, 19), rshift(y, 10))
      W[j] = tobit(W[j - 16] + s0 + W[j - 7] + s1)
    end
    local a, b, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
    for j = 0, 63 do
      local s1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
      local ch = bxor(band(e, f), band(bnot(e), g))
      local t1 = h + s1 + ch + K256[j + 1] + W[j]
      local s0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
      local maj = bxor(band(a, b), band(a, c), band(b, c))
      h, g, f, e = g, f, e, tobit(d + t1)
      d, c, b, a = c, b, a, tobit(t1 + s0 + maj)
    end
    h0, h1, h2, h3 = tobit(h0 + a), tobit(h1 + b), tobit(h2 + c), tobit(h3 + d)
    h4, h5, h6, h7 = tobit(h4 + e), tobit(h5 + f), tobit(h6 + g), tobit(h7 + h)
  end
  return tohex(h0) .. tohex(h1) .. tohex(h2) .. tohex(h3) .. tohex(h4) .. tohex(h5) .. tohex(h6) .. tohex(h7)
end

local S5 = {
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
}
local T5, G5 = {}, {}
for i = 0, 63 do
  -- RFC 1321: T[i] = floor(2^32 * |sin(i + 1)|), exact in double precision.
  T5[i + 1] = math.floor(math.abs(math.sin(i + 1)) * 4294967296)
  if i < 16 then G5[i + 1] = i
  elseif i < 32 then G5[i + 1] = (5 * i + 1) % 16
  elseif i < 48 then G5[i + 1] = (3 * i + 5) % 16
  else G5[i + 1] = (7 * i) % 16 end
end

local function md5_hex(msg)
  msg = pad(msg, false)
  local h0, h1, h2, h3 = 0x67452301, tobit(0xefcdab89), tobit(0x98badcfe), 0x10325476
  for i = 1, #msg, 64 do
    for j = 0, 15 do
      local a, b, c, d = byte(msg, i + j * 4, i + j * 4 + 3)
      W[j] = bor(a, lshift(b, 8), lshift(c, 16), lshift(d, 24))
    end
    local a, b, c, d = h0, h1, h2, h3
    for j = 1, 64 do
      local f
      if j <= 16 then f = bor(band(b, c), band(bnot(b), d))
      elseif j <= 32 then f = bor(band(d, b), band(bnot(d), c))
      elseif j <= 48 then f = bxor(b, c, d)
      else f = bxor(c, bor(b, bnot(d))) end
      local t = rol(tobit(a + f + T5[j] + W[G5[j]]), S5[j])
      a, d, c, b = d, c, b, tobit(b + t)
    end
    h0, h1, h2, h3 = tobit(h0 + a), tobit(h1 + b), tobit(h2 + c), tobit(h3 + d)
  end
  return tohex(bswap(h0)) .. tohex(bswap(h1)) .. tohex(bswap(h2)) .. tohex(bswap(h3))
end

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local alg, hash, user, realm, uri, opaque, nonce, cnonce, ha1, ha2, prefix
local nc = 0
local responses = {}

function init(args)
  alg = os.getenv("DIGEST_ALG") or "SHA-256"
  hash = (alg == "MD5") and md5_hex or sha256_hex
  user = os.getenv("DIGEST_USER")
  realm = os.getenv("DIGEST_REALM")
  uri = os.getenv("DIGEST_URI")
  opaque = os.getenv("DIGEST_OPAQUE") or ""
  local function pick(name)
    local list = {}
    for n in string.gmatch(os.getenv(name) or "", "[^,]+") do list[#list + 1] = n end
    return list[((id or 1) - 1) % #list + 1]
  end
  nonce = pick("DIGEST_NONCES")
  cnonce = pick("DIGEST_CNONCES") or format("%08x%08x", (id or 1) * 2654435761 % 4294967296, os.time() % 4294967296)
  ha1 = hash(user .. ":" .. realm .. ":" .. os.getenv("DIGEST_PASSWORD"))
  ha2 = hash("GET:" .. uri)
  prefix = ha1 .. ":" .. nonce .. ":"
  -- Self-test against the RFC 1321 / FIPS 180-2 vectors, once per thread.
  assert(md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72", "md5 self-test")
  assert(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 self-test")
  local dir = os.getenv("DIGEST_LIST_DIR")
  if dir and dir ~= "" then
    local f = assert(io.open(dir .. "/" .. (id or 1) .. ".txt", "r"))
    for line in f:lines() do responses[#responses + 1] = line end
    f:close()
    assert(responses[1] == compute(1), "the precomputed responses disagree with this script's")
  end
end

function compute(n)
  return hash(prefix .. format("%08x", n) .. ":" .. cnonce .. ":auth:" .. ha2)
end

function request()
  nc = nc + 1
  local ncs = format("%08x", nc)
  local response = responses[nc] or compute(nc)
  local header = 'Digest username="' .. user .. '", realm="' .. realm .. '", nonce="' .. nonce ..
    '", uri="' .. uri .. '", algorithm=' .. alg .. ', response="' .. response ..
    '", qop=auth, nc=' .. ncs .. ', cnonce="' .. cnonce .. '"'
  if opaque ~= "" then header = header .. ', opaque="' .. opaque .. '"' end
  return wrk.format("GET", uri, { ["Authorization"] = header })
end
