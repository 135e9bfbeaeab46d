-- Counts the stanzas Prosody delivers to client sessions of this host, so the scale benchmark can
-- report stanzas per second at the server. Prosody 0.12's own metrics count connections and
-- rooms, not stanzas. Read with GET /stanza_counter (plain decimal).

local delivered = 0;

local function count()
	delivered = delivered + 1;
	-- Returning nothing lets delivery continue as if this hook were not there.
end

for _, kind in ipairs({ "presence", "message", "iq" }) do
	module:hook(kind .. "/full", count, 1000);
end

module:depends("http");
module:provides("http", {
	route = {
		["GET"] = function() return tostring(delivered); end;
	};
});
