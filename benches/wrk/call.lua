-- wrk: POST one tools/call of the reference server's argument-free test tool, as `bench --mix
-- tools/call` does.  wrk -t1 -c8 -d3s -s benches/wrk/call.lua http://127.0.0.1:8000/mcp
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
