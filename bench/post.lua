-- post.lua — wrk script for the attest benchmark: every request is
-- POST <url> with the bearer token in $DIPR_TOKEN and a fresh evidence body
--   {"digests":{"sm3":"<64 lowercase hex>"},"size":N}
-- The digest is <thread id: 8 hex><counter: 8 hex><48 random hex>, so no two
-- requests of a run repeat one, and runs differ by their random part.
dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "report.lua")

local token = os.getenv("DIPR_TOKEN")
if not token or token == "" then error("post.lua: set DIPR_TOKEN") end

local nthreads = 0
function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end

local counter = 0
local headers

function init(args)
  local f = io.open("/dev/urandom", "rb")
  local b = f:read(4)
  f:close()
  local seed = 0
  for i = 1, #b do seed = seed * 256 + b:byte(i) end
  math.randomseed(seed + (tid or 0))
  headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }
end

local fmt, rnd = string.format, math.random

function request()
  counter = counter + 1
  local d = fmt("%08x%08x%04x%04x%04x%04x%04x%04x%04x%04x%04x%04x%04x%04x",
    tid or 0, counter, rnd(0, 65535), rnd(0, 65535), rnd(0, 65535), rnd(0, 65535),
    rnd(0, 65535), rnd(0, 65535), rnd(0, 65535), rnd(0, 65535), rnd(0, 65535),
    rnd(0, 65535), rnd(0, 65535), rnd(0, 65535))
  local body = '{"digests":{"sm3":"' .. d .. '"},"size":' .. rnd(1, 1000000000) .. '}'
  return wrk.format("POST", nil, headers, body)
end
