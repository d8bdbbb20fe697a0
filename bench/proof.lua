-- proof.lua — wrk script: GET /api/v1/proof/inclusion for a random index
-- below $DIPR_SIZE, so every request walks a different path of the tree.
dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "report.lua")
local size = tonumber(os.getenv("DIPR_SIZE") or "1")
function init(args) math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0)) end
function request()
  return wrk.format("GET", "/api/v1/proof/inclusion?index=" .. math.random(0, size - 1))
end
