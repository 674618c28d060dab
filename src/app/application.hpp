// The running server: builds every object in dependency order (store, API, HTTP server, SLA
// timer), runs until SIGINT/SIGTERM, and stops them in reverse. One per process.
#pragma once

#include <memory>

#include "app/config.hpp"
#include "store/store.hpp"

namespace caredesk::app {

// Opens the store named by the config (creating the data dir for SQLite) and migrates it.
Result<std::unique_ptr<store::Store>> OpenMigratedStore(const Config& config);

// Serves until a stop signal. Prints "listening on http://HOST:PORT" to stdout once bound.
// Returns the exit code.
int Serve(const Config& config, std::unique_ptr<store::Store> store);

}  // namespace caredesk::app
