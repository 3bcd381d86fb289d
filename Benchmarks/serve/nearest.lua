-- wrk: POST /v1/nearest {"word": W, "k": 10}, W cycling through WORDS_FILE's words.
local words = {}
for line in io.lines(os.getenv("WORDS_FILE")) do words[#words + 1] = line end
local i = 0
request = function()
  i = i % #words + 1
  local body = '{"word": "' .. words[i] .. '", "k": 10}'
  return wrk.format("POST", "/v1/nearest", {["Content-Type"] = "application/json"}, body)
end
