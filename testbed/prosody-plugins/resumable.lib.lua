-- What the testbed's two auth modules share (`module:require "resumable"`): the user name a
-- resumed session had, the provider's stubs for a host without accounts, and an ANONYMOUS
-- mechanism that keeps the name the profile chose (the stock one overwrites it).

local sasl = require "util.sasl";
local full_sessions = prosody.full_sessions;

local function resumed_username(previd)
	if not previd then return nil; end
	for _, candidate in pairs(full_sessions) do
		if candidate.resumption_token == previd then
			return candidate.username;
		end
	end
	return nil;
end

local function provider(get_sasl_handler)
	return {
		test_password = function () return nil, "Password based auth not supported"; end;
		get_password = function () return nil; end;
		set_password = function () return nil, "Set password not supported"; end;
		user_exists = function () return nil; end;
		create_user = function () return nil; end;
		delete_user = function () return nil; end;
		users = function () return function () return nil; end; end;
		get_sasl_handler = get_sasl_handler;
	};
end

local function register_anonymous()
	sasl.registerMechanism("ANONYMOUS", { "anonymous" }, function (self)
		local ok, err, msg = self.profile.anonymous(self, nil, self.realm);
		if ok then
			return "success";
		end
		return "failure", err, msg;
	end);
end

return {
	resumed_username = resumed_username;
	provider = provider;
	register_anonymous = register_anonymous;
};
