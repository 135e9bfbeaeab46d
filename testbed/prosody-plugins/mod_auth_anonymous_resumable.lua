-- Anonymous login whose user name survives XEP-0198 resumption, which is what Jitsi deployments
-- run (their "jitsi-anonymous" auth plus the WebSocket "previd" query parameter). With Prosody's
-- stock anonymous auth every login is a new user, so the <resume/> of a client that lost its
-- socket would be refused as belonging to someone else.

local new_uuid = require "util.uuid".generate;
local sasl = require "util.sasl";
local formdecode = require "util.http".formdecode;
local full_sessions = prosody.full_sessions;

module:hook_global("websocket-session", function (event)
	local query = event.request.url.query;
	event.session.previd = query and formdecode(query).previd or nil;
end);

local function resumed_username(previd)
	if not previd then return nil; end
	for _, candidate in pairs(full_sessions) do
		if candidate.resumption_token == previd then
			return candidate.username;
		end
	end
	return nil;
end

local provider = {};

function provider.test_password() return nil, "anonymous host"; end
function provider.get_password() return nil; end
function provider.set_password() return nil, "anonymous host"; end
function provider.user_exists() return nil; end
function provider.create_user() return nil; end
function provider.delete_user() return nil; end
function provider.users() return function() return nil; end; end

function provider.get_sasl_handler(session)
	return sasl.new(module.host, {
		anonymous = function (self)
			self.username = resumed_username(session.previd) or new_uuid();
			return true;
		end;
	});
end

module:provides("auth", provider);

-- The stock mechanism overwrites the name the profile chose, so it is replaced.
sasl.registerMechanism("ANONYMOUS", { "anonymous" }, function (self)
	local ok, err, msg = self.profile.anonymous(self, nil, self.realm);
	if ok then
		return "success";
	end
	return "failure", err, msg;
end);
