// The demo practice: tenant "demo" with two locations, staff in every role, 300 patients and
// a realistic week of conversations across channels with their SLA outcomes. Created once;
// its sign-in details are kept in DATA/demo-credentials.txt (mode 0600).
#pragma once

#include <string>

#include "app/config.hpp"
#include "store/store.hpp"

namespace caredesk::app {

struct DemoCredentials {
  std::string admin_email = "admin@demo.example";
  std::string password;   // shared by every demo staff account
  std::string api_token;  // the admin's bearer token
  bool created = false;   // false when the demo already existed
};

// Creates the demo practice if tenant "demo" does not exist; reads the saved credentials
// otherwise. Deterministic data (seeded) placed in the week before `now`.
Result<DemoCredentials> EnsureDemo(store::Store& store, const Config& config, Timestamp now);
void PrintSignIn(const DemoCredentials& c, const Config& config);

}  // namespace caredesk::app
