// The KPI dashboard over a large event log (issue #6): writes `--events` events of realistic
// conversations for one practice straight into the events table, lets the rollup job build the
// KPI cells (timed: its catch-up rate), then asks GET /api/v1/reports/kpis through the real API
// handler (in process) for random periods and cuts, and computes the same first-response and
// resolution figures with a plain SQL GROUP BY over the raw events for the same periods. Checks
// that both give the same numbers, and prints the latency of each. Dashboard queries (no cut, one
// cut, the heat map's hour and weekday, a cut and an hour) are timed apart from ad hoc ones with
// two cuts.
//
// kpi --work DIR [--events 10000000] [--queries 300] [--group-by 20] [--seed 1] [--reuse]
// Prints one line per phase and a JSON summary last. Run by bench/kpi.sh. --reuse asks the
// queries of a database an earlier run left in DIR, skipping the writing and the rollup (for
// profiling a query; its figures are not the benchmark's).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/staffing/plan.hpp"
#include "http/api.hpp"
#include "jobs/kpi_rollup.hpp"
#include "security/password.hpp"
#include "security/token.hpp"
#include "store/open.hpp"
#include "store/sqlite/sqlite_engine.hpp"

namespace caredesk {
namespace {

namespace json = boost::json;

struct Options {
  std::string work;
  long events = 10'000'000;
  int queries = 300;
  int group_by = 20;  // periods also computed by GROUP BY
  unsigned seed = 1;
  bool reuse = false;  // query the database an earlier run left in `work`
};

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "kpi: " << problem
            << "\nusage: kpi --work DIR [--events 10000000] [--queries 300] [--group-by 20] "
               "[--seed 1] [--reuse]\n";
  std::exit(2);
}

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::max<std::size_t>(rank, 1) - 1];
}

// One conversation's events as the inbox would have written them.
struct Generator {
  std::mt19937 rng;
  std::vector<std::tuple<std::string, std::int64_t, std::int64_t, std::string>>
      events;  // type, at, actor, data

  explicit Generator(unsigned seed) : rng(seed) {}
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
  std::int64_t Wait(double median_s) {  // log-normal waits, in ms
    std::lognormal_distribution<double> d(std::log(median_s), 1.0);
    return static_cast<std::int64_t>(std::min(d(rng), 14 * 86400.0) * 1000);
  }

  void Conversation(std::int64_t start) {
    static const char* kChannels[] = {"sms", "email", "chat", "web"};
    static const char* kQueues[] = {"front-desk", "billing", "nurses"};
    static const char* kCategories[] = {"appointment", "billing", "prescription",
                                        "referral",    "records", "clinical_question",
                                        "other"};
    events.clear();
    std::string channel = kChannels[Pick(4)];
    std::string queue = kQueues[Pick(3)];
    std::int64_t t = start;
    events.emplace_back("conversation_created", t, 0,
                        R"({"channel":")" + channel + R"(","queue":")" + queue +
                            R"(","priority":"normal","sla_policy_id":"0"})");
    events.emplace_back("message_received", t, 0, R"({"channel":")" + channel + R"("})");
    if (Pick(10) == 0) events.emplace_back("reply_sent", t + 2000, 0, "{}");  // a bot
    std::int64_t agent = 1 + Pick(12);
    std::int64_t first = Wait(600);
    if (first > 1800 * 1000) {
      events.emplace_back("sla_breached", t + 1800 * 1000, 0,
                          R"({"clock":"first_response","policy_id":"0"})");
    }
    t += first;
    events.emplace_back("reply_sent", t, agent,
                        R"({"first_response_ms":")" + std::to_string(first) + R"("})");
    if (Pick(10) < 6) {
      t += Wait(300);
      events.emplace_back("message_received", t, 0, R"({"channel":")" + channel + R"("})");
      t += Wait(900);
      events.emplace_back("reply_sent", t, agent, "{}");
    }
    t += Wait(60);
    events.emplace_back("routed", t, agent,
                        R"({"to_category":")" + std::string(kCategories[Pick(7)]) + R"("})");
    if (Pick(10) < 8) {
      t += Wait(3600);
      events.emplace_back("status_changed", t, agent, R"({"from":"open","to":"resolved"})");
      if (Pick(10) == 0) {
        t += Wait(86400);
        events.emplace_back("conversation_reopened", t, 0, R"({"reopen_count":"1"})");
        events.emplace_back("message_received", t, 0, R"({"channel":")" + channel + R"("})");
        t += Wait(1200);
        events.emplace_back("reply_sent", t, agent, "{}");
        events.emplace_back("status_changed", t + 1000, agent,
                            R"({"from":"open","to":"resolved"})");
      }
    }
  }
};

int Run(const Options& o) {
  const std::string db = o.work + "/caredesk.db";
  if (!o.reuse) {
    std::filesystem::remove_all(o.work);
    std::filesystem::create_directories(o.work);
  } else if (!std::filesystem::exists(db)) {
    Usage("--reuse: no database in " + o.work);
  }
  auto opened = store::OpenStore("sqlite:" + db, store::SqlStoreOptions{});
  if (!opened || !(*opened)->Migrate()) Usage("cannot open a store in " + o.work);
  store::Store& st = **opened;
  std::optional<store::Tenant> tenant;
  if (o.reuse) {
    auto found = st.FindTenantBySlug("big");
    if (!found || !*found) Usage("--reuse: the database has no benchmark practice");
    tenant = **found;
  } else {
    store::Tenant t;
    t.slug = "big";
    t.name = "Big Practice";
    t.time_zone = "America/Chicago";
    auto made = st.CreateTenant(t);
    if (!made) Usage("cannot create the tenant");
    tenant = *made;
  }
  std::string token = security::NewSecret("cdk_");
  auto made = st.Write(tenant->id, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto existing, tx.FindUserByEmail("manager@big.example"));
    store::User u;
    if (existing) {
      u = *existing;
    } else {
      u.email = "manager@big.example";
      u.display_name = "Manager";
      u.role = core::Role::kSupervisor;
      CD_TRY_ASSIGN(u, tx.InsertUser(u, "not-for-sign-in"));
    }
    return tx.InsertApiToken(u.id, security::HashSecret(token), "bench", SystemClock().Now(),
                             std::nullopt);
  });
  if (!made) Usage("cannot create the user");

  const Timestamp first_day = *ParseRfc3339("2025-12-01T06:00:00Z");
  auto engine = store::sqlite::OpenSqlite(db);
  if (!engine) Usage("cannot open the database file");
  long written = 0, conversations = 0;
  double write_s = 0, rollup_s = 0;
  if (!o.reuse) {
    // ---- The event log: a year of conversations, written straight into the table.
    const std::int64_t span_ms = 365LL * 86400 * 1000;
    auto conn = (*engine)->Connect();
    if (!conn) Usage("cannot connect");
    Generator gen(o.seed);
    const long per_conversation_guess = 9;
    const long planned = std::max<long>(1, o.events / per_conversation_guess);
    auto t0 = std::chrono::steady_clock::now();
    (void)(*conn)->Begin();
    while (written < o.events) {
      ++conversations;
      std::int64_t start = ToEpochMillis(first_day) +
                           span_ms * (conversations % planned) / planned + gen.Pick(30'000);
      gen.Conversation(start);
      for (const auto& [type, at, actor, data] : gen.events) {
        auto r = (*conn)->Execute(
            "INSERT INTO events (tenant_id, conversation_id, patient_id, type, at, actor_id, "
            "data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            {tenant->id.value, static_cast<std::int64_t>(conversations),
             static_cast<std::int64_t>(1 + conversations % (planned / 3 + 1)), type, at, actor,
             data});
        if (!r) Usage("insert failed: " + r.error().message);
        ++written;
      }
      if (conversations % 20000 == 0) {
        (void)(*conn)->Commit();
        (void)(*conn)->Begin();
      }
    }
    (void)(*conn)->Commit();
    conn->reset();
    write_s = Ms(std::chrono::steady_clock::now() - t0) / 1000;
    std::printf("events: %ld in %ld conversations, written in %.1f s\n", written, conversations,
                write_s);
    std::fflush(stdout);

    // ---- The rollup catching up with all of it.
    jobs::KpiRollupOptions rollup;
    rollup.batch = 20000;
    t0 = std::chrono::steady_clock::now();
    auto folded = jobs::RollUpAll(st, tenant->id, rollup);
    if (!folded) Usage("rollup failed: " + folded.error().message);
    rollup_s = Ms(std::chrono::steady_clock::now() - t0) / 1000;
    std::printf("rollup: %d conversations folded in %.1f s (%.0f events/s)\n", *folded, rollup_s,
                static_cast<double>(written) / rollup_s);
    std::fflush(stdout);
  }

  // ---- Dashboard queries through the API handler, and the same figures by GROUP BY.
  SystemClock clock;
  http::Api api(st, clock, http::ApiOptions{});
  auto calendar = store::ReadValue<core::BusinessCalendar>(
      st, tenant->id, [](store::TenantTx& tx) { return tx.Calendar(); });
  const std::int32_t day0 = calendar->Local(first_day).day;
  std::mt19937 rng(o.seed + 7);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  const int spans[] = {1, 7, 30, 90, 365};
  const char* channels[] = {"sms", "email", "chat", "web"};
  const char* queues[] = {"front-desk", "billing", "nurses"};
  auto date_of = [](std::int32_t day) {
    return core::FormatDate(date::year_month_day{date::sys_days{date::days{day}}});
  };
  // GET `target` through the API handler as the practice's token; its answer and milliseconds.
  auto get = [&](const std::string& target) {
    http::Request r;
    r.method = http::Method::kGet;
    r.target = target;
    auto qm = target.find('?');
    r.path = target.substr(0, qm);
    r.query = http::ParseQuery(target.substr(qm + 1));
    r.headers.Set("authorization", "Bearer " + token);
    r.remote_address = "127.0.0.1";
    r.request_id = "bench";
    auto before = std::chrono::steady_clock::now();
    http::Response resp = api.Handle(r);
    double ms = Ms(std::chrono::steady_clock::now() - before);
    if (resp.status != 200) Usage(target + " answered " + std::to_string(resp.status));
    return std::pair{std::move(resp), ms};
  };
  std::vector<double> endpoint_ms, endpoint_uncut_ms, ad_hoc_ms, sql_ms;
  std::vector<double> cut_hour_ms, cut_hour_fine_ms;  // a cut and an hour; the same by fine cells
  auto sql_conn = (*engine)->Connect();
  if (!sql_conn) Usage("cannot connect");
  int mismatches = 0, compared = 0;
  for (int q = 0; q < o.queries; ++q) {
    int span = spans[pick(5)];
    std::int32_t from = day0 + pick(365 - span + 1);
    std::int32_t to = from + span - 1;
    std::string target = "/api/v1/reports/kpis?from=" + date_of(from) + "&to=" + date_of(to);
    // What the dashboard asks (a period, with no cut or one, the heat map's hour and weekday,
    // the console's cut menu with its hour menu), and, apart, ad hoc questions with two cuts,
    // which read the fine cells.
    int shape = pick(11);
    bool uncut = shape < 3;
    bool ad_hoc = shape == 9;
    if (shape == 3) target += std::string("&channel=") + channels[pick(4)];
    if (shape == 4) target += "&agent=" + std::to_string(1 + pick(12));
    if (shape == 5) target += std::string("&queue=") + queues[pick(3)];
    if (shape == 6) target += "&category=billing";
    if (shape == 7) {
      target += "&hour=" + std::to_string(8 + pick(9)) + "&weekday=" + std::to_string(1 + pick(5));
    }
    if (shape == 8) target += "&weekday=" + std::to_string(pick(7));
    // The console's cut with an hour, kept to ask the fine cells the same below.
    store::KpiCellQuery fine;
    fine.grain = core::Grain::kFine;
    fine.from_day = from;
    fine.to_day = to;
    if (shape == 10) {
      if (pick(2)) {
        fine.channel = channels[pick(4)];
        target += "&channel=" + *fine.channel;
      } else {
        fine.agent = std::to_string(1 + pick(12));
        target += "&agent=" + *fine.agent;
      }
      fine.hour = 8 + pick(9);
      target += "&hour=" + std::to_string(*fine.hour);
    }
    if (shape == 9) {
      target +=
          std::string("&channel=") + channels[pick(4)] + "&agent=" + std::to_string(1 + pick(12));
    }
    auto [resp, ms] = get(target);
    (ad_hoc ? ad_hoc_ms : endpoint_ms).push_back(ms);
    if (shape == 10) {
      // What this query cost before it had a grain of its own: the same sum over the fine
      // cells (read and summed as the handler does, without the JSON), which must agree.
      cut_hour_ms.push_back(ms);
      auto before = std::chrono::steady_clock::now();
      core::TallySum cells;
      auto read = st.Read(tenant->id, [&](store::TenantTx& tx) -> Result<void> {
        CD_TRY_ASSIGN(auto rows, tx.KpiCells(fine));
        for (const store::KpiCellRow& row : rows) CD_TRY(cells.Add(row.tally));
        return {};
      });
      if (!read) Usage("reading the fine cells failed: " + read.error().message);
      auto figures = core::Summarize(cells, 0, core::KpiSettings{});
      cut_hour_fine_ms.push_back(Ms(std::chrono::steady_clock::now() - before));
      const json::value answer = json::parse(resp.body);
      const json::object& m = answer.at("metrics").as_object();
      for (const char* name : {"conversations", "first_response_time_p50_s", "calls_answered"}) {
        const json::value& v = m.at(name).at("value");
        const std::optional<double> want = figures.at(name).value;
        if (v.is_null() != !want || (want && std::fabs(v.to_number<double>() - *want) > 1e-9)) {
          ++mismatches;
          std::fprintf(stderr, "mismatch on %s: %s by its grain and the fine cells\n",
                       target.c_str(), name);
        }
      }
      ++compared;
    }
    if (!uncut) continue;
    endpoint_uncut_ms.push_back(ms);
    // The GROUP BY reads every event of the period: a few of them make the comparison.
    if (static_cast<int>(sql_ms.size()) >= o.group_by) continue;
    // The same period by GROUP BY over the raw events: each conversation begun in it, its first
    // human reply and its first resolution.
    std::int64_t lo = ToEpochMillis(calendar->StartOfLocalDay(from));
    std::int64_t hi = ToEpochMillis(calendar->StartOfLocalDay(to + 1));
    auto before = std::chrono::steady_clock::now();
    auto rows = (*sql_conn)->Query(
        "SELECT COUNT(fr), SUM(fr), COUNT(res), SUM(res) FROM (SELECT (MIN(CASE WHEN e.type = "
        "'reply_sent' AND e.actor_id <> 0 THEN e.at END) - c.at) / 1000 AS fr, (MIN(CASE WHEN "
        "e.type = 'status_changed' AND e.data LIKE '%\"to\":\"resolved\"%' THEN e.at END) - "
        "c.at) / 1000 AS res FROM events c JOIN events e ON e.tenant_id = c.tenant_id AND "
        "e.conversation_id = c.conversation_id WHERE c.tenant_id = ? AND c.type = "
        "'conversation_created' AND c.at >= ? AND c.at < ? GROUP BY c.conversation_id)",
        {tenant->id.value, lo, hi});
    sql_ms.push_back(Ms(std::chrono::steady_clock::now() - before));
    if (!rows) Usage("the GROUP BY failed: " + rows.error().message);
    json::object m = json::parse(resp.body).at("metrics").as_object();
    std::int64_t fr_n = (*rows)[0].Int(0), res_n = (*rows)[0].Int(2);
    double fr_mean = fr_n ? static_cast<double>((*rows)[0].Int(1)) / static_cast<double>(fr_n) : 0;
    double res_mean =
        res_n ? static_cast<double>((*rows)[0].Int(3)) / static_cast<double>(res_n) : 0;
    auto number = [&](const char* name) {
      const json::value& v = m.at(name).at("value");
      return v.is_null() ? 0.0 : v.to_number<double>();
    };
    ++compared;
    if (m.at("first_response_time_mean_s").at("count").as_int64() != fr_n ||
        m.at("resolution_time_mean_s").at("count").as_int64() != res_n ||
        std::fabs(number("first_response_time_mean_s") - fr_mean) > 1e-6 ||
        std::fabs(number("resolution_time_mean_s") - res_mean) > 1e-6) {
      ++mismatches;
      std::fprintf(
          stderr, "mismatch on %s: endpoint %lld/%.3f %lld/%.3f, sql %lld/%.3f %lld/%.3f\n",
          target.c_str(),
          static_cast<long long>(m.at("first_response_time_mean_s").at("count").as_int64()),
          number("first_response_time_mean_s"),
          static_cast<long long>(m.at("resolution_time_mean_s").at("count").as_int64()),
          number("resolution_time_mean_s"), static_cast<long long>(fr_n), fr_mean,
          static_cast<long long>(res_n), res_mean);
    }
  }
  // ---- The day-by-day series (a quarter and a year) and the staffing advisor's weekly plan
  // (four weeks measured), through the same handler.
  auto timed = [&](const std::string& target) { return get(target).second; };
  std::vector<double> daily_ms, plan_ms;
  for (int q = 0; q < 20; ++q) {
    int span = q % 2 ? 365 : 90;
    std::int32_t from = day0 + pick(365 - span + 1);
    daily_ms.push_back(timed("/api/v1/reports/kpis/daily?from=" + date_of(from) +
                             "&to=" + date_of(from + span - 1)));
  }
  for (int q = 0; q < 10; ++q) {
    // A week in the second half of the year, so four whole weeks of data come before it.
    plan_ms.push_back(
        timed("/api/v1/staffing?weeks=4&week=" + core::IsoWeekOf(day0 + 190 + 7 * pick(20))));
  }
  std::printf("a cut and an hour: p95 %.1f ms by its grain, %.1f ms by the fine cells\n",
              Percentile(cut_hour_ms, 0.95), Percentile(cut_hour_fine_ms, 0.95));
  std::printf("daily: p50 %.1f ms p95 %.1f ms; staffing plan: p50 %.1f ms p95 %.1f ms\n",
              Percentile(daily_ms, 0.5), Percentile(daily_ms, 0.95), Percentile(plan_ms, 0.5),
              Percentile(plan_ms, 0.95));

  json::object summary{
      {"events", written},
      {"conversations", conversations},
      {"write_s", write_s},
      {"rollup_s", rollup_s},
      {"rollup_events_per_s", rollup_s > 0 ? static_cast<double>(written) / rollup_s : 0.0},
      {"endpoint_queries", endpoint_ms.size()},
      {"endpoint_p50_ms", Percentile(endpoint_ms, 0.5)},
      {"endpoint_p95_ms", Percentile(endpoint_ms, 0.95)},
      {"endpoint_max_ms", Percentile(endpoint_ms, 1.0)},
      {"ad_hoc_queries", ad_hoc_ms.size()},
      {"ad_hoc_p50_ms", Percentile(ad_hoc_ms, 0.5)},
      {"ad_hoc_p95_ms", Percentile(ad_hoc_ms, 0.95)},
      {"endpoint_uncut_p50_ms", Percentile(endpoint_uncut_ms, 0.5)},
      {"endpoint_uncut_p95_ms", Percentile(endpoint_uncut_ms, 0.95)},
      {"group_by_queries", sql_ms.size()},
      {"group_by_p50_ms", Percentile(sql_ms, 0.5)},
      {"group_by_p95_ms", Percentile(sql_ms, 0.95)},
      {"group_by_over_endpoint_p50", Percentile(sql_ms, 0.5) / Percentile(endpoint_uncut_ms, 0.5)},
      {"cut_hour_queries", cut_hour_ms.size()},
      {"cut_hour_p50_ms", Percentile(cut_hour_ms, 0.5)},
      {"cut_hour_p95_ms", Percentile(cut_hour_ms, 0.95)},
      {"cut_hour_by_fine_cells_p50_ms", Percentile(cut_hour_fine_ms, 0.5)},
      {"cut_hour_by_fine_cells_p95_ms", Percentile(cut_hour_fine_ms, 0.95)},
      {"daily_queries", daily_ms.size()},
      {"daily_p50_ms", Percentile(daily_ms, 0.5)},
      {"daily_p95_ms", Percentile(daily_ms, 0.95)},
      {"staffing_plan_queries", plan_ms.size()},
      {"staffing_plan_p50_ms", Percentile(plan_ms, 0.5)},
      {"staffing_plan_p95_ms", Percentile(plan_ms, 0.95)},
      {"figures_compared", compared},
      {"figures_mismatched", mismatches},
  };
  std::printf("%s\n", json::serialize(summary).c_str());
  return mismatches == 0 ? 0 : 1;
}

}  // namespace
}  // namespace caredesk

int main(int argc, char** argv) {
  caredesk::Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) caredesk::Usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--work") {
      o.work = next();
    } else if (a == "--events") {
      o.events = std::stol(next());
    } else if (a == "--queries") {
      o.queries = std::stoi(next());
    } else if (a == "--group-by") {
      o.group_by = std::stoi(next());
    } else if (a == "--reuse") {
      o.reuse = true;
    } else if (a == "--seed") {
      o.seed = static_cast<unsigned>(std::stoul(next()));
    } else {
      caredesk::Usage("unknown option " + a);
    }
  }
  if (o.work.empty()) caredesk::Usage("--work is required");
  if (!caredesk::security::Init()) caredesk::Usage("libsodium did not start");
  return caredesk::Run(o);
}
