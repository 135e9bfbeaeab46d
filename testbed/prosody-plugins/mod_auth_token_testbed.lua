-- JWT token authentication as a client of a Jitsi deployment sees it (jitsi-meet's
-- mod_auth_token with token/util.lib.lua, HS256 with app_id/app_secret): the token comes in the
-- WebSocket URL's `token` query parameter, the client authenticates with SASL ANONYMOUS, and a
-- missing, forged, expired or incomplete token fails SASL with <not-allowed/> and a reason.
-- The room claim is checked at MUC join (mod_token_verification_testbed). Like the deployment's
-- module, it keeps the user name of a session resumed with `previd` (XEP-0198).
-- Never log the token: jitsi's util strips the signature before logging it; here it is not
-- logged at all.

local jwt = require "util.jwt";
local new_uuid = require "util.uuid".generate;
local sasl = require "util.sasl";
local formdecode = require "util.http".formdecode;
local resumable = module:require "resumable";

local app_id = module:get_option_string("app_id");
local app_secret = module:get_option_string("app_secret");

module:hook_global("websocket-session", function (event)
	local query = event.request.url.query;
	local params = query and formdecode(query) or {};
	event.session.auth_token = params.token;
	event.session.previd = params.previd;
end);

-- token/util.lib.lua's verify_token with the deployment's defaults: issuers {app_id},
-- audiences {'*'} (any, but present), room claim required; luajwtjitsi checks exp and nbf.
local function verify(token)
	if token == nil then
		return nil, "token required";
	end
	local ok, claims = jwt.verify(app_secret, token);
	if not ok or type(claims) ~= "table" then
		return nil, "invalid token";
	end
	local now = os.time();
	if type(claims.exp) ~= "number" or claims.exp <= now then
		return nil, "token expired";
	end
	if claims.nbf ~= nil and (type(claims.nbf) ~= "number" or claims.nbf > now) then
		return nil, "token not yet valid";
	end
	if claims.iss ~= app_id then
		return nil, "Invalid issuer ('iss' claim)";
	end
	if claims.room == nil then
		return nil, "'room' claim is missing";
	end
	if claims.aud == nil then
		return nil, "'aud' claim is missing";
	end
	return claims;
end

module:provides("auth", resumable.provider(function (session)
	return sasl.new(module.host, {
		anonymous = function (self)
			local claims, reason = verify(session.auth_token);
			if not claims then
				module:log("warn", "token refused: %s", reason);
				session.auth_token = nil;
				return false, "not-allowed", reason;
			end
			session.jitsi_meet_room = claims.room;
			session.jitsi_meet_domain = claims.sub;
			self.username = resumable.resumed_username(session.previd) or new_uuid();
			return true;
		end;
	});
end));

resumable.register_anonymous();
