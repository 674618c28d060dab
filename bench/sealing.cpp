// The cost of sealing patient information at rest (issue #3): the same work through the real
// API handlers (in process, no sockets, so the difference is not diluted by HTTP) on a store
// with a master key and on one without, alternating, several rounds, in one run.
//
//   ingestion: POST /api/v1/messages from `--writers` threads on a fresh database (group commit)
//   inbox:     GET /api/v1/conversations?limit=20 with the page cache off, `--readers` threads,
//              on a seeded database (the plain and the sealed copy of the same seed)
//   search:    GET /api/v1/conversations?q=refill&limit=20, the same way
//
// sealing --plain DIR --sealed DIR --work DIR [--rounds 3] [--duration 8] [--writers 64]
//         [--readers 4] [--only ingestion|inbox|search] [--variant sealed|plain]
// DIRs are data directories from `seed --sealed no` and `seed --sealed yes` (bench-token and,
// for the sealed one, master.key inside). Prints one JSON object per measurement, then the
// median ratio sealed/plain per kind. Single process; run by bench/sealing.sh.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "http/api.hpp"
#include "security/crypto.hpp"
#include "security/password.hpp"
#include "security/token.hpp"
#include "store/open.hpp"

namespace caredesk {
namespace {

struct Options {
  std::string plain, sealed, work;
  int rounds = 3;
  int duration = 8;
  int writers = 64;
  int readers = 4;
  std::string only;     // "ingestion", "inbox" or "search": just that (profiling)
  std::string variant;  // "sealed" or "plain": just that (profiling)
};

struct Figures {
  double rps = 0;
  double p99_ms = 0;
};

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "sealing: " << problem
            << "\nusage: sealing --plain DIR --sealed DIR --work DIR [--rounds 3] [--duration 8] "
               "[--writers 64] [--readers 4]\n";
  std::exit(2);
}

std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

store::SqlStoreOptions StoreOptions(const std::string& data, bool sealed) {
  store::SqlStoreOptions o;
  if (sealed) {
    auto key = security::ReadKeyFile(data + "/master.key");
    if (!key) Usage("cannot read " + data + "/master.key: " + key.error().message);
    o.master_key = std::move(*key);
  }
  return o;
}

// Runs `threads` loops of `call` for `seconds`; each call returns whether it succeeded.
template <class Call>
Figures Drive(int threads, int seconds, Call call) {
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
  std::atomic<long> failures{0};
  std::vector<std::thread> pool;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (long i = 0; !stop; ++i) {
        auto before = std::chrono::steady_clock::now();
        bool ok = call(t, i);
        auto after = std::chrono::steady_clock::now();
        if (!ok) ++failures;
        latencies[static_cast<std::size_t>(t)].push_back(
            std::chrono::duration<double, std::milli>(after - before).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  if (failures > 0) std::cerr << "sealing: " << failures << " requests failed\n";
  std::sort(all.begin(), all.end());
  Figures f;
  f.rps = static_cast<double>(all.size()) / elapsed;
  if (!all.empty()) f.p99_ms = all[all.size() * 99 / 100];
  return f;
}

http::Request Get(const std::string& target, const std::string& token) {
  http::Request r;
  r.method = http::Method::kGet;
  r.target = target;
  auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = http::ParseQuery(target.substr(q + 1));
  r.headers.Set("authorization", "Bearer " + token);
  r.remote_address = "127.0.0.1";
  r.request_id = "bench";
  return r;
}

Figures Ingest(const Options& o, bool sealed, int round) {
  std::string dir = o.work + "/ingest-" + (sealed ? "sealed-" : "plain-") + std::to_string(round);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  if (sealed) (void)security::WriteKeyFile(dir + "/master.key", security::SecretKey::Random());
  auto st = store::OpenStore("sqlite:" + dir + "/caredesk.db", StoreOptions(dir, sealed));
  if (!st || !(*st)->Migrate()) Usage("cannot open a store in " + dir);
  store::Tenant t;
  t.slug = "ingest";
  t.name = "Ingest";
  t.business_hours = "always";
  auto tenant = (*st)->CreateTenant(t);
  std::string token = security::NewSecret("cdk_");
  auto made = (*st)->Write(tenant->id, [&](store::TenantTx& tx) -> Result<void> {
    store::User u;
    u.email = "bot@ingest.example";
    u.display_name = "Bot";
    CD_TRY_ASSIGN(u, tx.InsertUser(u, "not-for-sign-in"));
    return tx.InsertApiToken(u.id, security::HashSecret(token), "bench", SystemClock().Now(),
                             std::nullopt);
  });
  if (!made) Usage("cannot create the ingestion tenant");
  SystemClock clock;
  Figures f;
  {
    http::Api api(**st, clock, http::ApiOptions{});
    f = Drive(o.writers, o.duration, [&](int thread, long i) {
      http::Request r = Get("/api/v1/messages", token);
      r.method = http::Method::kPost;
      r.headers.Set("content-type", "application/json");
      long seq = i * o.writers + thread;
      r.body =
          R"({"channel":"sms","from":"+1312555)" + std::to_string(1000 + seq % 5000) +
          R"(","text":"Hi, this is message )" + std::to_string(seq) +
          R"(. I need a refill of my lisinopril and an appointment on Friday morning if possible."})";
      int status = api.Handle(r).status;
      return status == 201 || status == 200;
    });
  }
  st->reset();
  std::filesystem::remove_all(dir);
  return f;
}

Figures Read(const Options& o, bool sealed, const std::string& target) {
  const std::string& dir = sealed ? o.sealed : o.plain;
  auto st = store::OpenStore("sqlite:" + dir + "/caredesk.db", StoreOptions(dir, sealed));
  if (!st || !(*st)->Migrate()) Usage("cannot open the store in " + dir);
  std::string token = ReadLine(dir + "/bench-token");
  SystemClock clock;
  http::ApiOptions options;
  options.inbox_cache_bytes = 0;  // every read runs its query and renders its page
  http::Api api(**st, clock, options);
  return Drive(o.readers, o.duration, [&](int, long) {
    http::Request r = Get(target, token);
    return api.Handle(r).status == 200;
  });
}

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view arg = argv[i];
    std::string value = argv[i + 1];
    if (arg == "--plain")
      o.plain = value;
    else if (arg == "--sealed")
      o.sealed = value;
    else if (arg == "--work")
      o.work = value;
    else if (arg == "--rounds")
      o.rounds = std::stoi(value);
    else if (arg == "--duration")
      o.duration = std::stoi(value);
    else if (arg == "--writers")
      o.writers = std::stoi(value);
    else if (arg == "--readers")
      o.readers = std::stoi(value);
    else if (arg == "--only")
      o.only = value;
    else if (arg == "--variant")
      o.variant = value;
    else
      Usage("unknown option " + std::string(arg));
  }
  if (o.plain.empty() || o.sealed.empty() || o.work.empty()) Usage("--plain, --sealed and --work");
  if (!security::Init()) Usage("libsodium did not initialize");
  std::map<std::string, std::vector<double>> ratios;
  for (int round = 1; round <= o.rounds; ++round) {
    // Alternate which variant goes first, since this machine's speed drifts.
    std::vector<bool> order =
        round % 2 ? std::vector<bool>{false, true} : std::vector<bool>{true, false};
    if (!o.variant.empty()) order = {o.variant == "sealed"};
    auto wanted = [&](const char* kind) { return o.only.empty() || o.only == kind; };
    std::map<std::string, std::map<bool, Figures>> got;
    for (bool sealed : order) {
      if (wanted("ingestion")) got["ingestion"][sealed] = Ingest(o, sealed, round);
    }
    for (bool sealed : order) {
      if (wanted("inbox")) got["inbox"][sealed] = Read(o, sealed, "/api/v1/conversations?limit=20");
    }
    for (bool sealed : order) {
      if (wanted("search")) {
        got["search"][sealed] = Read(o, sealed, "/api/v1/conversations?q=refill&limit=20");
      }
    }
    for (const auto& [kind, pair] : got) {
      for (const auto& [sealed, f] : pair) {
        std::printf("{\"round\":%d,\"kind\":\"%s\",\"sealed\":%s,\"rps\":%.1f,\"p99_ms\":%.2f}\n",
                    round, kind.c_str(), sealed ? "true" : "false", f.rps, f.p99_ms);
      }
      if (pair.size() == 2) ratios[kind].push_back(pair.at(true).rps / pair.at(false).rps);
    }
    std::fflush(stdout);
  }
  for (auto& [kind, r] : ratios) {
    std::sort(r.begin(), r.end());
    std::printf("%s: sealed/plain throughput median %.3f (rounds:", kind.c_str(), r[r.size() / 2]);
    for (double v : r) std::printf(" %.3f", v);
    std::printf(")\n");
  }
  return 0;
}

}  // namespace
}  // namespace caredesk

int main(int argc, char** argv) { return caredesk::Main(argc, argv); }
