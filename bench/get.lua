-- get.lua — wrk script for the read benchmarks: plain GETs of the URL given
-- to wrk; only adds the report line (report.lua).
dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "report.lua")
