-- Anonymous login whose user name survives XEP-0198 resumption, which is what Jitsi deployments
-- run (their "jitsi-anonymous" auth plus the WebSocket "previd" query parameter). With Prosody's
-- stock anonymous auth every login is a new user, so the <resume/> of a client that lost its
-- socket would be refused as belonging to someone else.

local new_uuid = require "util.uuid".generate;
local sasl = require "util.sasl";
local formdecode = require "util.http".formdecode;
local resumable = module:require "resumable";

module:hook_global("websocket-session", function (event)
	local query = event.request.url.query;
	event.session.previd = query and formdecode(query).previd or nil;
end);

module:provides("auth", resumable.provider(function (session)
	return sasl.new(module.host, {
		anonymous = function (self)
			self.username = resumable.resumed_username(session.previd) or new_uuid();
			return true;
		end;
	});
end));

resumable.register_anonymous();
