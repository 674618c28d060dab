// Staff accounts: the directory everyone sees (names and roles, for assigning work), and what
// admins change: new users, roles, queues, and deactivation, which ends the user's sessions and
// tokens at once. Users change their own password here too, which ends their other sessions.
#include <boost/json/array.hpp>

#include "base/text.hpp"
#include "core/inbox/patient.hpp"
#include "http/handlers/context.hpp"
#include "http/json_input.hpp"
#include "jobs/kpi_rollup.hpp"
#include "security/password.hpp"

namespace caredesk::http {

namespace json = boost::json;

namespace {

json::array Strings(const std::vector<std::string>& items) {
  json::array out;
  for (const std::string& s : items) out.emplace_back(s);
  return out;
}

json::object UserView(const store::User& u, bool second_factor) {
  return {{"id", u.id.value},
          {"email", u.email},
          {"display_name", u.display_name},
          {"role", core::Name(u.role)},
          {"languages", Strings(u.languages)},
          {"queues", Strings(u.queues)},
          {"phone_agents", Strings(u.phone_agents)},
          {"active", u.active},
          {"second_factor", second_factor},
          {"identity_provider_linked", !u.oidc_subject.empty()},
          {"created_at", FormatRfc3339(u.created_at)}};
}

// Queue names and language tags: short, lowercase, a-z 0-9 and "-".
Result<std::vector<std::string>> Names(const json::object& body, std::string_view key) {
  CD_TRY_ASSIGN(auto list, OptionalStringArray(body, key));
  std::vector<std::string> out;
  if (!list) return out;
  if (list->size() > 50) return Invalid("at most 50 entries", std::string(key));
  for (const std::string& s : *list) {
    bool ok = !s.empty() && s.size() <= 40 && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!ok) return Invalid("entries are 1 to 40 of a-z 0-9 -", std::string(key));
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

// The phone system's names for a person: at most 8, each 1 to 128 characters without control
// characters, commas or "|" (queue_log's separator), trimmed.
Result<std::vector<std::string>> PhoneAgentNames(const json::object& body) {
  CD_TRY_ASSIGN(auto list, OptionalStringArray(body, "phone_agents"));
  std::vector<std::string> out;
  if (!list) return out;
  if (list->size() > 8) return Invalid("at most 8 phone agent names", "phone_agents");
  for (const std::string& item : *list) {
    std::string name(Trim(item));
    bool ok =
        !name.empty() && name.size() <= 128 && std::none_of(name.begin(), name.end(), [](char c) {
          return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ',' || c == '|';
        });
    if (!ok) {
      return Invalid(
          "phone agent names are 1 to 128 characters without control characters, "
          "commas or |",
          "phone_agents");
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

// A phone agent name belongs to one person: 409 when another user of the practice has it.
Result<void> CheckPhoneAgentsFree(store::TenantTx& tx, const store::User& u) {
  if (u.phone_agents.empty()) return {};
  CD_TRY_ASSIGN(auto users, tx.ListUsers());
  for (const store::User& other : users) {
    if (other.id == u.id) continue;
    for (const std::string& name : u.phone_agents) {
      if (std::find(other.phone_agents.begin(), other.phone_agents.end(), name) !=
          other.phone_agents.end()) {
        return Conflict("another staff member already has this phone agent name", "phone_agents");
      }
    }
  }
  return {};
}

}  // namespace

Result<Response> ListUsers(Context& ctx) {
  json::array items;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto users, tx.ListUsers());
    for (const store::User& u : users) {
      CD_TRY_ASSIGN(store::SecondFactor f, tx.GetSecondFactor(u.id));
      items.emplace_back(UserView(u, f.enabled));
    }
    return {};
  }));
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

// POST /users {"email", "display_name"?, "role", "queues"?, "languages"?, "phone_agents"?,
// "password"}
Result<Response> CreateUser(Context& ctx) {
  CD_TRY_ASSIGN(json::object body,
                ParseObject(ctx.request.body, {"email", "display_name", "role", "queues",
                                               "languages", "phone_agents", "password"}));
  store::User u;
  CD_TRY_ASSIGN(std::string email, RequireString(body, "email"));
  CD_TRY_ASSIGN(u.email, core::NormalizeEmail(email, "email"));
  CD_TRY_ASSIGN(auto display_name, OptionalString(body, "display_name"));
  u.display_name = std::string(Trim(display_name.value_or(u.email.substr(0, u.email.find('@')))));
  if (u.display_name.empty() || u.display_name.size() > 120) {
    return Invalid("display_name must be 1 to 120 characters", "display_name");
  }
  CD_TRY_ASSIGN(std::string role, RequireString(body, "role"));
  auto parsed = core::ParseRole(role);
  if (!parsed)
    return Invalid("role must be agent, supervisor, counselor, admin or auditor", "role");
  u.role = *parsed;
  CD_TRY_ASSIGN(u.queues, Names(body, "queues"));
  CD_TRY_ASSIGN(u.languages, Names(body, "languages"));
  CD_TRY_ASSIGN(u.phone_agents, PhoneAgentNames(body));
  CD_TRY_ASSIGN(std::string password, RequireString(body, "password"));
  CD_TRY(security::CheckPasswordPolicy(password, u.email));
  CD_TRY_ASSIGN(std::string hash, security::HashPassword(password));  // ~100 ms, handler thread
  u.created_at = ctx.now;
  CD_TRY_ASSIGN(store::User made,
                store::WriteValue<store::User>(
                    ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) -> Result<store::User> {
                      CD_TRY(CheckPhoneAgentsFree(tx, u));
                      CD_TRY_ASSIGN(store::User m, tx.InsertUser(u, hash));
                      if (!m.phone_agents.empty()) CD_TRY(jobs::RecountCalls(tx));
                      CD_TRY(tx.AppendAudit(
                          AuditOf(ctx, "create", "user", m.id.value, PatientId{}, "role=" + role)));
                      return m;
                    }));
  return JsonResponse(201, UserView(made, false));
}

// PATCH /users/{id} {"display_name", "role", "queues", "languages", "phone_agents", "active"}:
// deactivating ends the user's sessions and tokens in the same commit. Admins cannot demote or
// deactivate themselves (someone must remain who can undo it). New phone agent names make the
// KPI rollup count every call again, so past calls move to (or from) this person.
Result<Response> PatchUser(Context& ctx) {
  CD_TRY_ASSIGN(
      json::object body,
      ParseObject(ctx.request.body, {"display_name", "role", "queues", "languages", "phone_agents",
                                     "active", "identity_provider_linked"}));
  if (body.empty()) return Invalid("give at least one field to change");
  UserId id{ctx.ids.at(0)};
  store::User updated;
  bool second_factor = false;
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(store::User u, tx.GetUser(id));
    std::string changed;
    if (body.contains("display_name")) {
      CD_TRY_ASSIGN(std::string name, RequireString(body, "display_name"));
      u.display_name = std::string(Trim(name));
      if (u.display_name.empty() || u.display_name.size() > 120) {
        return Invalid("display_name must be 1 to 120 characters", "display_name");
      }
      changed += "display_name,";
    }
    if (body.contains("role")) {
      CD_TRY_ASSIGN(std::string role, RequireString(body, "role"));
      auto parsed = core::ParseRole(role);
      if (!parsed)
        return Invalid("role must be agent, supervisor, counselor, admin or auditor", "role");
      if (id == ctx.who.user && *parsed != core::Role::kAdmin) {
        return Conflict("admins cannot demote themselves", "role");
      }
      u.role = *parsed;
      changed += "role=" + role + ",";
    }
    if (body.contains("queues")) {
      CD_TRY_ASSIGN(u.queues, Names(body, "queues"));
      changed += "queues,";
    }
    if (body.contains("languages")) {
      CD_TRY_ASSIGN(u.languages, Names(body, "languages"));
      changed += "languages,";
    }
    if (body.contains("phone_agents")) {
      CD_TRY_ASSIGN(auto names, PhoneAgentNames(body));
      if (names != u.phone_agents) {
        u.phone_agents = std::move(names);
        CD_TRY(CheckPhoneAgentsFree(tx, u));
        CD_TRY(jobs::RecountCalls(tx));
      }
      changed += "phone_agents,";
    }
    CD_TRY_ASSIGN(auto active, OptionalBool(body, "active"));
    if (active) {
      if (id == ctx.who.user && !*active)
        return Conflict("admins cannot deactivate themselves", "active");
      u.active = *active;
      changed += std::string("active=") + (*active ? "true" : "false") + ",";
      if (!*active) {
        CD_TRY(tx.RevokeSessionsOf(id, ctx.now));
        CD_TRY(tx.RevokeTokensOf(id, ctx.now));
      }
    }
    // An admin unlinks a user from the provider's identity (linked to the wrong person, or a
    // new account at the provider); the next provider sign-in links by verified email again.
    CD_TRY_ASSIGN(auto linked, OptionalBool(body, "identity_provider_linked"));
    if (linked) {
      if (*linked) {
        return Invalid("a user is linked by signing in through the provider",
                       "identity_provider_linked");
      }
      CD_TRY(tx.SetOidcSubject(id, ""));
      CD_TRY(tx.RevokeSessionsOf(id, ctx.now));
      u.oidc_subject.clear();
      changed += "identity_provider_linked=false,";
    }
    CD_TRY(tx.UpdateUser(u));
    changed.pop_back();
    CD_TRY(tx.AppendAudit(AuditOf(ctx, "update", "user", id.value, PatientId{}, changed)));
    CD_TRY_ASSIGN(store::SecondFactor f, tx.GetSecondFactor(id));
    second_factor = f.enabled;
    updated = std::move(u);
    return {};
  }));
  return JsonResponse(200, UserView(updated, second_factor));
}

// POST /me/password {"current_password", "new_password"}: ends every other session of the user.
Result<Response> ChangePassword(Context& ctx) {
  CD_TRY_ASSIGN(json::object body,
                ParseObject(ctx.request.body, {"current_password", "new_password"}));
  CD_TRY_ASSIGN(std::string current, RequireString(body, "current_password"));
  CD_TRY_ASSIGN(std::string fresh, RequireString(body, "new_password"));
  // The user's email (for the policy's check) and stored hash.
  using Known = std::pair<std::string, std::string>;
  CD_TRY_ASSIGN(
      Known known,
      store::ReadValue<Known>(ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) -> Result<Known> {
        CD_TRY_ASSIGN(store::User u, tx.GetUser(ctx.who.user));
        CD_TRY_ASSIGN(std::string hash, tx.PasswordHashOf(ctx.who.user));
        return Known{u.email, hash};
      }));
  if (!security::VerifyPassword(current, known.second)) {
    return Invalid("the current password is incorrect", "current_password");
  }
  if (fresh == current) return Invalid("choose a password you have not used here", "new_password");
  auto policy = security::CheckPasswordPolicy(fresh, known.first);
  if (!policy) return Invalid(policy.error().message, "new_password");
  CD_TRY_ASSIGN(std::string hash, security::HashPassword(fresh));
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.SetPasswordHash(ctx.who.user, hash));
    CD_TRY(tx.RevokeOtherSessions(ctx.who.user, ctx.who.session_id_hash, ctx.now));
    return tx.AppendAudit(AuditOf(ctx, "update", "password", ctx.who.user.value, PatientId{},
                                  "other_sessions_ended"));
  }));
  Response r;
  r.status = 204;
  return r;
}

// POST /users/{id}/second-factor/reset: a lost phone. Turns the user's two-factor sign-in off,
// drops their recovery codes and ends their sessions; at the next sign-in they set it up again
// (the practice still requires it). Audited.
Result<Response> ResetUserSecondFactor(Context& ctx) {
  CD_TRY(ParseObject(ctx.request.body.empty() ? "{}" : ctx.request.body, {}));
  UserId id{ctx.ids.at(0)};
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.GetUser(id));  // 404 for another practice's user
    CD_TRY(tx.ResetSecondFactor(id));
    CD_TRY(tx.RevokeSessionsOf(id, ctx.now));
    return tx.AppendAudit(AuditOf(ctx, "reset", "second_factor", id.value, PatientId{}));
  }));
  Response r;
  r.status = 204;
  return r;
}

}  // namespace caredesk::http
