// GET /metrics for Prometheus: what the API answered (http/metrics.hpp), how the practices'
// queues stand now, summed over practices (no practice, patient or staff member is named in a
// label), and the process's memory and open files.
#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/text.hpp"
#include "core/routing/routing.hpp"
#include "http/handlers/context.hpp"
#include "http/metrics.hpp"
#include "security/token.hpp"

namespace caredesk::http {

namespace {

bool IsLoopback(std::string_view address) {
  return address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
}

struct QueueGauges {
  std::int64_t practices = 0, open = 0, waiting = 0, active = 0, available = 0;
  std::int64_t outbox_due = 0, sla_due = 0;
};

Result<QueueGauges> ReadGauges(store::Store& store, Timestamp now) {
  QueueGauges g;
  CD_TRY_ASSIGN(auto tenants, store.TenantIds());
  g.practices = static_cast<std::int64_t>(tenants.size());
  for (TenantId tenant : tenants) {
    CD_TRY(store.Read(tenant, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(std::int64_t open, tx.CountOpenConversations());
      g.open += open;
      CD_TRY_ASSIGN(auto chats, tx.OpenChats());
      for (const store::Chat& c : chats) {
        if (c.state == "waiting") ++g.waiting;
        if (c.state == "active") ++g.active;
      }
      CD_TRY_ASSIGN(auto agents, tx.AgentLoads(now - core::kPresenceGap));
      for (const core::AgentLoad& a : agents) {
        if (a.status == core::AgentStatus::kAvailable) ++g.available;
      }
      return {};
    }));
  }
  constexpr int kCountAtMost = 100'000;
  CD_TRY_ASSIGN(auto outbox, store.DueOutbound(now, kCountAtMost));
  g.outbox_due = static_cast<std::int64_t>(outbox.size());
  CD_TRY_ASSIGN(auto timers, store.DueSlaTimers(now, kCountAtMost));
  g.sla_due = static_cast<std::int64_t>(timers.size());
  return g;
}

void Gauge(std::ostringstream& out, std::string_view name, std::string_view help,
           std::int64_t value) {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n"
      << name << " " << value << "\n";
}

std::int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t pages = 0, resident = 0;
  if (!(statm >> pages >> resident)) return 0;
  return resident * ::sysconf(_SC_PAGESIZE);
}

std::int64_t OpenFiles() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return 0;
  std::int64_t n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n - 1;  // the directory being read
}

}  // namespace

// GET /metrics: with a metrics_token configured, for "Authorization: Bearer <token>" only;
// without one, for clients on loopback only (a Prometheus beside the server, or a proxy).
Result<Response> GetMetrics(Context& ctx) {
  if (!ctx.options.metrics_token.empty()) {
    auto auth = ctx.request.headers.Get("authorization");
    const bool bearer = auth && auth->size() > 7 && AsciiLower(auth->substr(0, 7)) == "bearer ";
    if (!bearer ||
        !security::ConstantTimeEquals(Trim(auth->substr(7)), ctx.options.metrics_token)) {
      return MakeError(ErrorKind::kUnauthenticated, "the metrics token is required");
    }
  } else if (!IsLoopback(ctx.request.remote_address)) {
    return MakeError(ErrorKind::kForbidden,
                     "metrics are answered on loopback only unless a metrics_token is set");
  }
  CD_TRY_ASSIGN(QueueGauges g, ReadGauges(ctx.store, ctx.now));
  std::ostringstream out;
  out.imbue(std::locale::classic());
  Gauge(out, "caredesk_practices", "Practices served.", g.practices);
  Gauge(out, "caredesk_conversations_open",
        "Conversations open or pending now (the backlog), over all practices.", g.open);
  Gauge(out, "caredesk_chats_waiting", "Live chats waiting for an agent now.", g.waiting);
  Gauge(out, "caredesk_chats_active", "Live chats an agent is in now.", g.active);
  Gauge(out, "caredesk_agents_available",
        "Staff whose console says available and checked in within two minutes.", g.available);
  Gauge(out, "caredesk_outbox_due", "Outgoing messages due for a sending attempt now.",
        g.outbox_due);
  Gauge(out, "caredesk_sla_timers_due", "Conversations whose SLA timer is due now.", g.sla_due);
  Gauge(out, "process_resident_memory_bytes", "Resident memory of the server.", ResidentBytes());
  Gauge(out, "process_open_fds", "Open file descriptors of the server.", OpenFiles());
  if (ctx.metrics) out << ctx.metrics->Render();
  Response r;
  r.status = 200;
  r.headers.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  r.headers.Set("Cache-Control", "no-store");
  r.body = out.str();
  return r;
}

}  // namespace caredesk::http
