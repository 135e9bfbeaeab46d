-- The room claim of a verified token, checked when its holder creates or joins a room, as
-- jitsi-meet's mod_token_verification does (without domain verification): a token for another
-- room gets a presence error <not-allowed/> "Room and token mismatched"; '*' allows any room.
-- The focus, a component here as Jicofo is an admin on a deployment, is exempt.

local st = require "util.stanza";
local jid_split = require "util.jid".split;

local function verify(event)
	local origin, stanza = event.origin, event.stanza;
	if origin.type == "component" then
		return;
	end
	local auth_room = origin.jitsi_meet_room;
	local room = jid_split(stanza.attr.to);
	if auth_room and auth_room ~= "*" and room ~= string.lower(auth_room) then
		origin.send(st.error_reply(stanza, "cancel", "not-allowed", "Room and token mismatched"));
		return true;
	end
end

module:hook("muc-room-pre-create", verify, 99);
module:hook("muc-occupant-pre-join", verify, 99);
