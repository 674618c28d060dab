// The API's phone calls, figures and staffing advice over real HTTP (see api_fixture.hpp).
#include <cctype>
#include <sstream>

#include "api_fixture.hpp"

namespace caredesk {
namespace {

namespace json = boost::json;
using testing::ApiTest;
using testing::HttpResult;

TEST_F(ApiTest, PostedCallsAreKeptOncePerCallIdAndAMissedCallerGetsOneCallbackTask) {
  // 2026-11-23T15:00Z is the clock: an answered call, then a caller who pressed 1 to be called
  // back, from the number of a patient who texted before.
  std::int64_t texted = Inbound("+13125550177", "Is the clinic open Saturday?");
  json::object conversation = Json(Call("GET", "/api/v1/conversations/" + std::to_string(texted)));
  std::int64_t patient = conversation.at("patient_id").as_int64();
  const std::string answered =
      R"({"call_id":"pbx-1","queue":"front-desk","from":"(312) 555-0177","agent":"PJSIP/201",)"
      R"("outcome":"answered","entered_at":"2026-11-23T14:50:00Z","answered_at":"2026-11-23T14:50:25Z",)"
      R"("ended_at":"2026-11-23T14:55:25Z","hold_seconds":30,"wrap_seconds":60})";
  HttpResult first = Call("POST", "/api/v1/calls", answered);
  ASSERT_EQ(first.status, 201) << first.body;
  json::object call = Json(first);
  EXPECT_EQ(call.at("wait_seconds").as_int64(), 25);
  EXPECT_EQ(call.at("talk_seconds").as_int64(), 300);
  EXPECT_EQ(call.at("hold_seconds").as_int64(), 30);
  EXPECT_EQ(call.at("patient_id").as_int64(), patient) << "found by the number";
  EXPECT_TRUE(call.at("callback_conversation_id").is_null());
  HttpResult repeat = Call("POST", "/api/v1/calls", answered);
  EXPECT_EQ(repeat.status, 200);
  EXPECT_EQ(Json(repeat).at("id"), call.at("id")) << "the same call, not another";

  const std::string missed =
      R"({"call_id":"pbx-2","queue":"front-desk","from":"+13125550177","outcome":"left_by_key",)"
      R"("exit_key":"1","entered_at":"2026-11-23T14:58:00Z","ended_at":"2026-11-23T14:58:40Z"})";
  HttpResult callback = Call("POST", "/api/v1/calls", missed);
  ASSERT_EQ(callback.status, 201) << callback.body;
  ASSERT_TRUE(Json(callback).at("callback_conversation_id").is_int64());
  std::int64_t task = Json(callback).at("callback_conversation_id").as_int64();
  EXPECT_NE(task, texted) << "its own task, with its own SLA";
  json::object opened = Json(Call("GET", "/api/v1/conversations/" + std::to_string(task)));
  EXPECT_EQ(opened.at("channel"), "phone");
  EXPECT_EQ(opened.at("status"), "open");
  EXPECT_EQ(opened.at("patient_id").as_int64(), patient);
  EXPECT_EQ(opened.at("tags").as_array(), json::array{"callback"});
  EXPECT_EQ(Json(Call("POST", "/api/v1/calls", missed)).at("callback_conversation_id").as_int64(),
            task)
      << "posting it again opens no second task";
  // The agent calls back and logs it as the reply: it answers the task, and nothing is sent.
  HttpResult logged = Call("POST", "/api/v1/conversations/" + std::to_string(task) + "/replies",
                           R"({"text":"Called back; booked for Tuesday."})");
  ASSERT_EQ(logged.status, 201) << logged.body;
  json::object answered_task = Json(Call("GET", "/api/v1/conversations/" + std::to_string(task)));
  EXPECT_TRUE(answered_task.at("first_response_at").is_string());
  EXPECT_EQ(answered_task.at("awaiting_agent"), false);
  auto queued = store::ReadValue<std::vector<store::OutboxItem>>(
      *store_, tenant_, [](store::TenantTx& tx) { return tx.PendingOutbound(100); });
  ASSERT_TRUE(queued);
  for (const store::OutboxItem& item : *queued) EXPECT_NE(item.conversation.value, task);

  HttpResult history = Call("GET", "/api/v1/calls?patient_id=" + std::to_string(patient));
  ASSERT_EQ(history.status, 200) << history.body;
  auto items = Json(history).at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("call_id"), "pbx-2") << "newest first";
  EXPECT_EQ(items[1].at("call_id"), "pbx-1");
  EXPECT_EQ(Call("GET", "/api/v1/calls", {}, &other_token_).body,
            R"({"items":[],"next_before":null})")
      << "another practice sees none of them";
  EXPECT_EQ(
      Call("GET", "/api/v1/calls?patient_id=" + std::to_string(patient), {}, &other_token_).status,
      404);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"call_id":"b","outcome":"hung_up","entered_at":"2026-11-23T14:00:00Z","ended_at":"2026-11-23T14:01:00Z"})",
       "outcome"},
      {R"({"call_id":"b","outcome":"answered","entered_at":"2026-11-23T14:00:00Z","ended_at":"2026-11-23T14:01:00Z"})",
       "answered_at"},
      {R"({"call_id":"b","outcome":"abandoned","entered_at":"yesterday","ended_at":"2026-11-23T14:01:00Z"})",
       "entered_at"},
      {R"({"call_id":"b","outcome":"abandoned","entered_at":"2026-11-23T14:02:00Z","ended_at":"2026-11-23T14:01:00Z"})",
       "ended_at"},
      {R"({"call_id":"b","outcome":"answered","entered_at":"2026-11-23T14:00:00Z","answered_at":"2026-11-23T14:00:10Z","ended_at":"2026-11-23T14:01:00Z","hold_seconds":90})",
       "hold_seconds"},
      {R"({"call_id":"b","outcome":"abandoned","entered_at":"2026-11-23T14:00:00Z","ended_at":"2026-11-23T14:01:00Z","from":"not a number"})",
       "from"},
      {R"({"call_id":"","outcome":"abandoned","entered_at":"2026-11-23T14:00:00Z","ended_at":"2026-11-23T14:01:00Z"})",
       "call_id"},
      {R"({"call_id":7,"outcome":"abandoned","entered_at":"2026-11-23T14:00:00Z","ended_at":"2026-11-23T14:01:00Z"})",
       "call_id"},
      {R"({"call_id":"b","outcome":"abandoned","entered_at":"2026-11-23T14:00:00Z","ended_at":"2026-11-23T14:01:00Z","caller_name":"x"})",
       "caller_name"},
      {R"({"call_id":"b","outcome":"abandoned","queue":"a\u0000b","entered_at":"2026-11-23T14:00:00Z","ended_at":"2026-11-23T14:01:00Z"})",
       "queue"},
  };
  for (const auto& [body, field] : bad) {
    HttpResult r = Call("POST", "/api/v1/calls", body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_EQ(ErrorField(r), field) << body;
  }
  EXPECT_EQ(Json(Call("GET", "/api/v1/calls")).at("items").as_array().size(), 2u)
      << "nothing refused was kept";
  EXPECT_EQ(Call("GET", "/api/v1/calls?limit=0").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/calls?sort=x").status, 400);
}

TEST_F(ApiTest, TheErlangCalculatorGivesThePublishedExample) {
  HttpResult r = Call("GET",
                      "/api/v1/staffing/erlang?contacts=100&interval_s=1800&aht_s=180&target_s=20&"
                      "service_level=0.8&shrinkage=0.3");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object need = Json(r);
  EXPECT_EQ(need.at("agents_on_queue"), 14);
  EXPECT_EQ(need.at("agents_scheduled"), 20);
  EXPECT_EQ(need.at("offered_load_erlangs").as_double(), 10);
  EXPECT_GE(need.at("service_level").as_double(), 0.8);
  EXPECT_NEAR(need.at("occupancy").as_double(), 10.0 / 14, 1e-9);
  EXPECT_EQ(need.at("method"), "erlang_c");
  // Callers who give up after two minutes on average: Erlang A needs no more agents.
  json::object patient =
      Json(Call("GET",
                "/api/v1/staffing/erlang?contacts=100&interval_s=1800&aht_s="
                "180&target_s=20&service_level=0.8&shrinkage=0.3&patience_s=120"));
  EXPECT_EQ(patient.at("method"), "erlang_a");
  EXPECT_LE(patient.at("agents_on_queue").as_int64(), 14);
  EXPECT_GE(patient.at("service_level").as_double(), 0.8);
  // Chats two at a time halve the load.
  json::object chats = Json(Call("GET",
                                 "/api/v1/staffing/erlang?contacts=100&interval_s=1800&aht_s=180&"
                                 "concurrency=2"));
  EXPECT_EQ(chats.at("offered_load_erlangs").as_double(), 5);
  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"interval_s=1800&aht_s=180", "contacts"},
           {"contacts=-1&interval_s=1800&aht_s=180", "contacts"},
           {"contacts=10&interval_s=1800&aht_s=0", "aht_s"},
           {"contacts=10&interval_s=1800&aht_s=nan", "aht_s"},
           {"contacts=10&interval_s=1800&aht_s=60&shrinkage=1", "shrinkage"},
           {"contacts=10&interval_s=1800&aht_s=60&x=1", "x"},
           {"contacts=1000000&interval_s=60&aht_s=86400", "contacts"}}) {
    HttpResult bad = Call("GET", "/api/v1/staffing/erlang?" + query);
    EXPECT_EQ(bad.status, 400) << query;
    EXPECT_EQ(ErrorField(bad), field) << query;
  }
}

TEST_F(ApiTest, KpisOfAHandBuiltDayAreTheKnownFigures) {
  // Monday 2026-11-23, 09:00 in Chicago (the practice's zone). Times are seconds after 15:00Z.
  auto at = [](int s) {
    return FormatRfc3339(*ParseRfc3339("2026-11-23T15:00:00Z") + std::chrono::seconds(s));
  };
  auto reply = [&](std::int64_t c, const std::string& then = "") {
    std::string body = R"({"text":"Thanks, done.")" +
                       (then.empty() ? std::string() : R"(,"status":")" + then + R"(")") + "}";
    ASSERT_EQ(Call("POST", "/api/v1/conversations/" + std::to_string(c) + "/replies", body).status,
              201);
  };
  std::int64_t a = Inbound("+13125550101", "Can I book a flu shot?");  // 0 s
  clock_.Advance(std::chrono::seconds(300));
  reply(a);  // first response 300 s
  clock_.Advance(std::chrono::seconds(60));
  ASSERT_EQ(Call("POST", "/api/v1/conversations/" + std::to_string(a) + "/status",
                 R"({"status":"resolved"})")
                .status,
            200);  // resolved after 360 s
  clock_.Advance(std::chrono::seconds(40));
  std::int64_t b = Inbound("b.patient@example.org", "Where do I send my records?", "email");
  clock_.Advance(std::chrono::seconds(600));
  reply(b);  // first response 600 s
  clock_.Advance(std::chrono::seconds(100));
  Inbound("+13125550103", "Is my referral ready?");  // unanswered: in the backlog
  clock_.Advance(std::chrono::seconds(400));         // 1500 s
  auto post_call = [&](const std::string& body) {
    HttpResult r = Call("POST", "/api/v1/calls", body);
    ASSERT_EQ(r.status, 201) << r.body;
  };
  post_call(R"({"call_id":"k1","queue":"front-desk","agent":"PJSIP/201","outcome":"answered",)"
            R"("entered_at":")" +
            at(1150) + R"(","answered_at":")" + at(1165) + R"(","ended_at":")" + at(1465) +
            R"(","hold_seconds":20,"wrap_seconds":40})");
  // The first patient calls again and gives up after 30 s: a recontact, and a callback task.
  post_call(R"({"call_id":"k2","from":"+13125550101","outcome":"abandoned","entered_at":")" +
            at(1240) + R"(","ended_at":")" + at(1270) + R"("})");
  post_call(R"({"call_id":"k3","outcome":"abandoned","entered_at":")" + at(1280) +
            R"(","ended_at":")" + at(1283) + R"("})");  // a 3 s short abandon
  jobs::KpiRollupOptions rollup;
  rollup.clock = &clock_;  // the backlog is recorded on the practice's today
  ASSERT_TRUE(jobs::RollUpAll(*store_, tenant_, rollup));

  std::string lead = MakeUser(tenant_, "manager@clinic.example", core::Role::kSupervisor);
  HttpResult r = Call("GET", "/api/v1/reports/kpis?from=2026-11-23&to=2026-11-23", {}, &lead);
  ASSERT_EQ(r.status, 200) << r.body;
  json::object kpis = Json(r);
  json::object m = kpis.at("metrics").as_object();
  auto value = [&](const char* name) { return m.at(name).at("value"); };
  auto count = [&](const char* name) { return m.at(name).at("count").as_int64(); };
  EXPECT_EQ(value("conversations"), 4) << "three written, one callback task";
  EXPECT_EQ(value("first_response_time_mean_s"), 450);
  EXPECT_EQ(count("first_response_time_mean_s"), 2);
  EXPECT_EQ(value("first_response_time_p50_s"), 300);
  EXPECT_EQ(value("first_response_time_p90_s"), 609) << "600 s, reported as its bucket's top";
  EXPECT_EQ(value("sla_first_response_attainment"), 1);
  EXPECT_EQ(value("resolution_time_p50_s"), 360);
  EXPECT_EQ(value("reopen_rate"), 0);
  EXPECT_EQ(value("first_contact_resolution_rate"), 0) << "the patient called back within 7 days";
  EXPECT_EQ(value("backlog_open"), 3);
  EXPECT_TRUE(value("chat_answer_rate").is_null());
  EXPECT_EQ(value("calls_offered"), 2);
  EXPECT_EQ(value("calls_answered"), 1);
  EXPECT_EQ(value("calls_abandoned"), 1);
  EXPECT_EQ(value("calls_short_abandoned"), 1);
  EXPECT_EQ(value("calls_timed_out"), 0);
  EXPECT_EQ(value("abandonment_rate"), 0.5);
  EXPECT_EQ(value("average_speed_of_answer_s"), 15);
  EXPECT_EQ(value("service_level"), 0.5);
  EXPECT_EQ(value("average_handle_time_s"), 360) << "300 talk + 20 hold + 40 wrap";
  EXPECT_TRUE(value("csat").is_null());
  EXPECT_TRUE(value("nps").is_null());
  EXPECT_NE(m.at("abandonment_rate").at("definition").as_string().find("hort abandons"),
            json::string::npos);
  EXPECT_EQ(kpis.at("backlog").at("state"), "healthy");
  EXPECT_EQ(kpis.at("time_zone"), "America/Chicago");

  // How the waits spread: under a minute, 5 and 15 minutes, an hour, 4 hours, a day, beyond.
  auto counts = [&](const char* name) {
    std::vector<std::int64_t> out;
    for (const auto& bin : kpis.at("distributions").at(name).as_array()) {
      out.push_back(bin.at("count").as_int64());
    }
    return out;
  };
  EXPECT_EQ(counts("first_response_s"), (std::vector<std::int64_t>{0, 0, 2, 0, 0, 0, 0}));
  EXPECT_EQ(counts("resolution_s"), (std::vector<std::int64_t>{0, 0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(counts("answer_wait_s"), (std::vector<std::int64_t>{1, 0, 0, 0, 0, 0, 0}));

  // Day by day: the same figures on the day, nothing on the days around it, and the backlog.
  HttpResult daily =
      Call("GET", "/api/v1/reports/kpis/daily?from=2026-11-22&to=2026-11-24", {}, &lead);
  ASSERT_EQ(daily.status, 200) << daily.body;
  json::object series = Json(daily);
  const json::array& days = series.at("days").as_array();
  ASSERT_EQ(days.size(), 3u);
  EXPECT_EQ(days[0].at("day"), "2026-11-22");
  EXPECT_EQ(days[0].at("metrics").at("conversations"), 0);
  EXPECT_TRUE(days[0].at("metrics").at("first_response_time_p50_s").is_null());
  for (const char* name : {"conversations", "first_response_time_p50_s", "service_level",
                           "abandonment_rate", "average_handle_time_s"}) {
    EXPECT_EQ(days[1].at("metrics").at(name), value(name)) << name;
  }
  EXPECT_EQ(days[2].at("metrics").at("calls_offered"), 0);
  ASSERT_EQ(series.at("backlog").as_array().size(), 1u);
  EXPECT_EQ(series.at("backlog").at(0).at("day"), "2026-11-23");
  EXPECT_EQ(series.at("backlog").at(0).at("open"), 3);
  EXPECT_EQ(series.at("backlog").at(0).at("peak"), 3);
  EXPECT_EQ(
      Call("GET", "/api/v1/reports/kpis/daily?from=2025-01-01&to=2026-11-24", {}, &lead).status,
      400);

  json::object sms =
      Json(Call("GET", "/api/v1/reports/kpis?from=2026-11-23&to=2026-11-23&channel=sms", {}, &lead))
          .at("metrics")
          .as_object();
  EXPECT_EQ(sms.at("conversations").at("value"), 2);
  EXPECT_EQ(sms.at("first_response_time_mean_s").at("value"), 300);
  EXPECT_EQ(sms.at("calls_offered").at("value"), 0);
  json::object nine = Json(Call("GET",
                                "/api/v1/reports/kpis?from=2026-11-23&to=2026-11-23&hour=9&"
                                "weekday=1&queue=front-desk",
                                {}, &lead))
                          .at("metrics")
                          .as_object();
  EXPECT_EQ(nine.at("conversations").at("value"), 4);
  EXPECT_EQ(nine.at("calls_answered").at("value"), 1);
  // A cut and the hour (a grain of their own): the hours add up to the cut alone, and the same
  // with a third cut (the fine cells) agrees.
  std::int64_t sms_by_hour = 0;
  for (int hour = 0; hour < 24; ++hour) {
    sms_by_hour += Json(Call("GET",
                             "/api/v1/reports/kpis?from=2026-11-23&to=2026-11-23&channel=sms&"
                             "hour=" +
                                 std::to_string(hour),
                             {}, &lead))
                       .at("metrics")
                       .at("conversations")
                       .at("value")
                       .as_int64();
  }
  EXPECT_EQ(sms_by_hour, 2);
  json::object sms_nine_daily = Json(Call("GET",
                                          "/api/v1/reports/kpis/daily?from=2026-11-23&to=2026-11-"
                                          "23&channel=sms&hour=9",
                                          {}, &lead));
  json::object sms_nine_front_desk = Json(Call("GET",
                                               "/api/v1/reports/kpis?from=2026-11-23&to=2026-11-"
                                               "23&channel=sms&hour=9&queue=front-desk",
                                               {}, &lead))
                                         .at("metrics")
                                         .as_object();
  EXPECT_EQ(sms_nine_daily.at("days").at(0).at("metrics").at("first_response_time_mean_s"), 300);
  EXPECT_EQ(sms_nine_front_desk.at("first_response_time_mean_s").at("value"), 300);
  json::object sunday =
      Json(Call("GET", "/api/v1/reports/kpis?from=2026-11-22&to=2026-11-28&weekday=0", {}, &lead))
          .at("metrics")
          .as_object();
  EXPECT_EQ(sunday.at("conversations").at("value"), 0);
  json::object before =
      Json(Call("GET", "/api/v1/reports/kpis?from=2026-11-01&to=2026-11-22", {}, &lead))
          .at("metrics")
          .as_object();
  EXPECT_EQ(before.at("conversations").at("value"), 0) << "nothing before the day";
  std::string other_admin = MakeUser(other_tenant_, "boss2@other.example", core::Role::kAdmin);
  EXPECT_EQ(
      Json(Call("GET", "/api/v1/reports/kpis?from=2026-11-23&to=2026-11-23", {}, &other_admin))
          .at("metrics")
          .at("conversations")
          .at("value"),
      0)
      << "another practice's figures are its own";

  // The drill-down: the conversations and calls behind a figure, as JSON and as CSV.
  HttpResult answered = Call("GET",
                             "/api/v1/reports/kpis/first_response_time_mean_s/conversations?from="
                             "2026-11-23&to=2026-11-23",
                             {}, &lead);
  ASSERT_EQ(answered.status, 200) << answered.body;
  auto rows = Json(answered).at("items").as_array();
  ASSERT_EQ(rows.size(), 2u) << "the two answered conversations";
  EXPECT_EQ(rows[0].at("id"), a);
  EXPECT_EQ(rows[0].at("first_response_s"), 300);
  EXPECT_EQ(rows[1].at("id"), b);
  EXPECT_EQ(rows[1].at("first_response_s"), 600);
  EXPECT_EQ(Json(answered).at("truncated"), false);
  HttpResult dropped = Call("GET",
                            "/api/v1/reports/kpis/calls_abandoned/conversations?from=2026-11-23&"
                            "to=2026-11-23",
                            {}, &lead, {{"Accept", "text/csv"}});
  ASSERT_EQ(dropped.status, 200) << dropped.body;
  EXPECT_EQ(dropped.body.substr(0, dropped.body.find("\r\n")),
            "kind,id,day,hour,channel,queue,agent,category,location,policy,first_response_s,"
            "next_responses,resolution_s,reopened,recontacted,call_outcome,wait_s,handle_s");
  EXPECT_EQ(std::count(dropped.body.begin(), dropped.body.end(), '\n'), 2) << dropped.body;
  EXPECT_NE(dropped.body.find(",abandoned,"), std::string::npos) << dropped.body;
  EXPECT_EQ(dropped.body.find("3125550101"), std::string::npos) << "no patient information";
  auto fcr = Json(Call("GET",
                       "/api/v1/reports/kpis/first_contact_resolution_rate/conversations?from="
                       "2026-11-23&to=2026-11-23",
                       {}, &lead))
                 .at("items")
                 .as_array();
  ASSERT_EQ(fcr.size(), 1u);
  EXPECT_EQ(fcr[0].at("recontacted"), true);
  EXPECT_EQ(
      Call("GET", "/api/v1/reports/kpis/backlog_open/conversations?from=2026-11-23&to=2026-11-23",
           {}, &lead)
          .status,
      404);
  EXPECT_EQ(
      Call("GET", "/api/v1/reports/kpis/no_such_metric/conversations?from=2026-11-23&to=2026-11-23",
           {}, &lead)
          .status,
      404);
  EXPECT_EQ(
      Call("GET", "/api/v1/reports/kpis/Calls-Offered/conversations?from=2026-11-23&to=2026-11-23",
           {}, &lead)
          .status,
      404);
  HttpResult capped = Call("GET",
                           "/api/v1/reports/kpis/conversations/conversations?from=2026-11-23&to="
                           "2026-11-23&limit=1",
                           {}, &lead);
  ASSERT_EQ(capped.status, 200);
  EXPECT_EQ(Json(capped).at("items").as_array().size(), 1u);
  EXPECT_EQ(Json(capped).at("truncated"), true);
  EXPECT_EQ(ErrorField(Call("GET",
                            "/api/v1/reports/kpis/conversations/conversations?from=2026-11-23&to="
                            "2026-11-23&limit=0",
                            {}, &lead)),
            "limit");

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"to=2026-11-23", "from"},
      {"from=2026-11-23", "to"},
      {"from=2026-11-24&to=2026-11-23", "to"},
      {"from=23/11/2026&to=2026-11-23", "from"},
      {"from=2026-02-30&to=2026-11-23", "from"},
      {"from=2020-01-01&to=2026-11-23", "to"},
      {"from=2026-11-23&to=2026-11-23&hour=24", "hour"},
      {"from=2026-11-23&to=2026-11-23&weekday=7", "weekday"},
      {"from=2026-11-23&to=2026-11-23&channel=fax", "channel"},
      {"from=2026-11-23&to=2026-11-23&category=gossip", "category"},
      {"from=2026-11-23&to=2026-11-23&sort=x", "sort"},
  };
  for (const auto& [query, field] : bad) {
    HttpResult refused = Call("GET", "/api/v1/reports/kpis?" + query, {}, &lead);
    EXPECT_EQ(refused.status, 400) << query;
    EXPECT_EQ(ErrorField(refused), field) << query;
  }
}

TEST_F(ApiTest, TheStaffingPlanComesFromTheWeeksBeforeAndSaysWhereTheTeamWasShort) {
  // The Monday before (2026-11-16), 10:00-10:30 in Chicago (16:00Z): 100 calls of 3 minutes
  // each (5 s waiting, 170 s talking, 10 s after-call work), while 12 agents were available.
  const Timestamp ten = *ParseRfc3339("2026-11-16T16:00:00Z");
  for (int i = 0; i < 100; ++i) {
    const Timestamp in = ten + std::chrono::seconds(17 * i);
    json::object call{{"call_id", "plan-" + std::to_string(i)},
                      {"outcome", "answered"},
                      {"entered_at", FormatRfc3339(in)},
                      {"answered_at", FormatRfc3339(in + std::chrono::seconds(5))},
                      {"ended_at", FormatRfc3339(in + std::chrono::seconds(175))},
                      {"wrap_seconds", 10}};
    ASSERT_EQ(Call("POST", "/api/v1/calls", json::serialize(call)).status, 201);
  }
  std::vector<std::string> agents;
  for (int i = 0; i < 12; ++i) {
    agents.push_back(
        MakeUser(tenant_, "agent" + std::to_string(i) + "@clinic.example", core::Role::kAgent));
  }
  const Timestamp now = clock_.Now();
  for (int s = 0; s <= 1800; s += 60) {  // the consoles' heartbeats, then signing off
    clock_.Set(ten + std::chrono::seconds(s));
    for (const std::string& agent : agents) {
      std::string status = s < 1800 ? R"({"status":"available"})" : R"({"status":"offline"})";
      ASSERT_EQ(Call("PUT", "/api/v1/me/presence", status, &agent).status, 200);
    }
  }
  clock_.Set(now);  // Monday 2026-11-23, 09:00 in Chicago

  std::string lead = MakeUser(tenant_, "manager@clinic.example", core::Role::kSupervisor);
  HttpResult r = Call("GET", "/api/v1/staffing?week=2026-W48&weeks=1", {}, &lead);
  ASSERT_EQ(r.status, 200) << r.body;
  json::object plan = Json(r);
  EXPECT_EQ(plan.at("week"), "2026-W48");
  EXPECT_EQ(plan.at("from"), "2026-11-23");
  EXPECT_EQ(plan.at("measured").at("from"), "2026-11-16");
  EXPECT_EQ(plan.at("measured").at("to"), "2026-11-22");
  EXPECT_EQ(plan.at("aht_s").at("phone"), 180);  // talk + wrap; waiting is not handling
  const json::array& slots = plan.at("slots").as_array();
  ASSERT_EQ(slots.size(), 336u);
  const json::object& monday10 = slots[20].as_object();
  EXPECT_EQ(monday10.at("date"), "2026-11-23");
  EXPECT_EQ(monday10.at("time"), "10:00");
  EXPECT_EQ(monday10.at("phone").at("contacts"), 100);
  EXPECT_EQ(monday10.at("phone").at("method"), "erlang_c");
  EXPECT_EQ(monday10.at("phone").at("agents"), 14);
  EXPECT_EQ(monday10.at("agents_on_queue"), 14);
  EXPECT_EQ(monday10.at("agents_scheduled"), 20);
  EXPECT_EQ(monday10.at("staffed"), 12);
  EXPECT_EQ(slots[21].at("agents_on_queue"), 0);
  EXPECT_EQ(slots[21].at("staffed"), 0);
  std::vector<std::string> messages;
  for (const auto& a : plan.at("alerts").as_array()) {
    messages.emplace_back(a.at("message").as_string());
    if (a.at("kind") == "add_staff") {
      EXPECT_EQ(a.at("agents"), 2);
      EXPECT_EQ(a.at("from"), "10:00");
      EXPECT_EQ(a.at("to"), "10:30");
      EXPECT_EQ(a.at("date"), "2026-11-23");
    }
  }
  EXPECT_EQ(messages, std::vector<std::string>{"Add 2 team members at 10:00 on Mondays"});

  // A week to come is planned from the weeks before this one.
  json::object next = Json(Call("GET", "/api/v1/staffing?week=2026-W49&weeks=1", {}, &lead));
  EXPECT_EQ(next.at("measured").at("from"), "2026-11-16");
  EXPECT_EQ(next.at("slots").at(20).at("date"), "2026-11-30");
  EXPECT_EQ(next.at("slots").at(20).at("agents_on_queue"), 14);
  // The default week is this one; the default history four weeks, which averages the one busy
  // Monday over them.
  json::object four = Json(Call("GET", "/api/v1/staffing", {}, &lead));
  EXPECT_EQ(four.at("week"), "2026-W48");
  EXPECT_EQ(four.at("slots").at(20).at("phone").at("contacts"), 25);
  EXPECT_EQ(four.at("slots").at(20).at("staffed"), 3);
  // Another practice's plan has none of it, and no presence to compare with.
  std::string other_admin = MakeUser(other_tenant_, "boss2@other.example", core::Role::kAdmin);
  json::object other =
      Json(Call("GET", "/api/v1/staffing?week=2026-W48&weeks=1", {}, &other_admin));
  EXPECT_EQ(other.at("slots").at(20).at("agents_on_queue"), 0);
  ASSERT_EQ(other.at("alerts").as_array().size(), 1u);
  EXPECT_EQ(other.at("alerts").at(0).at("kind"), "no_presence_data");

  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"week=2026-W54", "week"},
           {"week=2021-W53", "week"},
           {"week=2026-11-23", "week"},
           {"weeks=0", "weeks"},
           {"weeks=14", "weeks"},
           {"shrinkage=1", "shrinkage"},
           {"chat_concurrency=0.5", "chat_concurrency"},
           {"phone_service_level=1", "phone_service_level"},
           {"staff=1", "staff"}}) {
    HttpResult bad = Call("GET", "/api/v1/staffing?" + query, {}, &lead);
    EXPECT_EQ(bad.status, 400) << query;
    EXPECT_EQ(ErrorField(bad), field) << query;
  }
}

TEST_F(ApiTest, MetricsCountRequestsByRoutePatternAndNameNoPatient) {
  const std::int64_t conversation = Inbound("+13125550188", "My knee hurts, Dr Ames");
  ASSERT_GT(conversation, 0);
  ASSERT_EQ(Call("GET", "/api/v1/conversations/" + std::to_string(conversation)).status, 200);
  ASSERT_EQ(Call("GET", "/api/v1/conversations/999999").status, 404);
  testing::HttpCall scrape;
  scrape.target = "/metrics";
  HttpResult r = Checked(scrape);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.at("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(r.body, ::testing::HasSubstr("\ncaredesk_conversations_open 1\n"));
  EXPECT_THAT(r.body, ::testing::HasSubstr("\ncaredesk_practices 2\n"));
  EXPECT_THAT(r.body,
              ::testing::HasSubstr("caredesk_http_requests_total{method=\"GET\",route=\"/api/v1/"
                                   "conversations/{id}\",status=\"200\"} 1\n"));
  EXPECT_THAT(r.body,
              ::testing::HasSubstr("caredesk_http_requests_total{method=\"GET\",route=\"/api/v1/"
                                   "conversations/{id}\",status=\"404\"} 1\n"));
  EXPECT_THAT(r.body,
              ::testing::HasSubstr("caredesk_http_request_duration_seconds_count{route=\"/api/v1/"
                                   "conversations/{id}\"} 2\n"));
  EXPECT_THAT(r.body, ::testing::HasSubstr("caredesk_http_requests_total{method=\"POST\","
                                           "route=\"/api/v1/messages\",status=\"201\"} 1"));
  for (const char* phi : {"3125550188", "knee", "Ames", "999999", "clinic"}) {
    EXPECT_EQ(r.body.find(phi), std::string::npos) << phi;
  }
  // Every sample line is a name, optional labels and a number.
  auto sample = [](std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() &&
           (std::islower(static_cast<unsigned char>(line[i])) || line[i] == '_')) {
      ++i;
    }
    if (i == 0) return false;
    if (i < line.size() && line[i] == '{') {
      const std::size_t close = line.find("} ", i);
      if (close == std::string_view::npos) return false;
      // name="value" pairs, comma separated; values here never hold a quote.
      std::string_view labels = line.substr(i + 1, close - i - 1);
      while (!labels.empty()) {
        const std::size_t eq = labels.find("=\"");
        const std::size_t end = eq == std::string_view::npos ? eq : labels.find('"', eq + 2);
        if (eq == 0 || end == std::string_view::npos) return false;
        labels.remove_prefix(end + 1);
        if (!labels.empty() && labels[0] != ',') return false;
        if (!labels.empty()) labels.remove_prefix(1);
      }
      i = close + 1;
    }
    if (i >= line.size() || line[i] != ' ' || i + 1 == line.size()) return false;
    return line.substr(i + 1).find_first_not_of("0123456789.e+-") == std::string_view::npos;
  };
  std::istringstream lines(r.body);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    ++samples;
    EXPECT_TRUE(sample(line)) << line;
  }
  EXPECT_FALSE(sample("caredesk_x{route=\"a\" 1")) << "the check can fail";
  EXPECT_FALSE(sample("caredesk_x one"));
  EXPECT_GT(samples, 20);

  // Behind a proxy, from elsewhere: only with the metrics token, which then is always needed.
  http::ApiOptions behind_proxy;
  behind_proxy.trusted_proxies = {"127.0.0.1"};
  api_ = std::make_unique<http::Api>(*store_, clock_, behind_proxy);
  scrape.headers = {{"X-Forwarded-For", "203.0.113.9"}};
  EXPECT_EQ(Checked(scrape).status, 403);
  behind_proxy.metrics_token = "metrics-secret-1";
  api_ = std::make_unique<http::Api>(*store_, clock_, behind_proxy);
  EXPECT_EQ(Checked(scrape).status, 401);
  scrape.headers.emplace_back("Authorization", "Bearer metrics-secret-2");
  EXPECT_EQ(Checked(scrape).status, 401);
  scrape.headers.back().second = "Bearer metrics-secret-1";
  EXPECT_EQ(Checked(scrape).status, 200);
  scrape.headers = {{"Authorization", "Bearer metrics-secret-1"}};
  EXPECT_EQ(Checked(scrape).status, 200);
  scrape.headers.clear();
  EXPECT_EQ(Checked(scrape).status, 401) << "loopback too, once a token is set";
}

TEST_F(ApiTest, WellbeingShowsWhoNeedsABreakAndNudgesThemOnTheirOwn) {
  std::string agent = MakeUser(tenant_, "nina@clinic.example", core::Role::kAgent);
  std::string lead = MakeUser(tenant_, "manager@clinic.example", core::Role::kSupervisor);
  const std::int64_t agent_id =
      Json(Call("GET", "/api/v1/me", {}, &agent)).at("user_id").as_int64();
  // Available from 09:00 (15:00Z), the console checking in every minute, for 2 h 10 min.
  const Timestamp start = clock_.Now();
  for (int m = 0; m <= 130; ++m) {
    clock_.Set(start + std::chrono::minutes(m));
    ASSERT_EQ(Call("PUT", "/api/v1/me/presence", R"({"status":"available"})", &agent).status, 200);
    if (m == 5) {
      // A patient the agent answers, and then escalates to a supervisor.
      std::int64_t c = Inbound("+13125550177", "I feel awful and nobody calls back");
      ASSERT_EQ(Call("POST", "/api/v1/conversations/" + std::to_string(c) + "/replies",
                     R"({"text":"I am sorry; let me get help."})", &agent)
                    .status,
                201);
      ASSERT_EQ(Call("POST", "/api/v1/conversations/" + std::to_string(c) + "/tags",
                     R"({"tags":["escalated"]})", &agent)
                    .status,
                200);
    }
  }
  ASSERT_TRUE(jobs::RollUpAll(*store_, tenant_, {}));
  HttpResult team = Call("GET", "/api/v1/wellbeing", {}, &lead);
  ASSERT_EQ(team.status, 200) << team.body;
  const json::object team_json = Json(team);
  const json::array& items = team_json.at("items").as_array();
  ASSERT_GE(items.size(), 3u);
  const json::object& first = items[0].as_object();  // who needs a break comes first
  EXPECT_EQ(first.at("user_id"), agent_id);
  EXPECT_EQ(first.at("status"), "available");
  EXPECT_EQ(first.at("working_since").as_string(), FormatRfc3339(start));
  EXPECT_EQ(first.at("minutes_without_break"), 130);
  EXPECT_EQ(first.at("worked_minutes_today"), 130);
  EXPECT_EQ(first.at("handled_today"), 1);
  EXPECT_EQ(first.at("distressing_today"), 1);
  EXPECT_EQ(first.at("distressing_share"), 1);
  EXPECT_EQ(first.at("break_suggested"), true);
  EXPECT_EQ(first.at("concerns").as_array(), json::array{"2 h 10 min without a break"});
  for (std::size_t k = 1; k < items.size(); ++k) {
    EXPECT_EQ(items[k].at("break_suggested"), false);
    EXPECT_EQ(items[k].at("status"), "offline");
  }
  EXPECT_EQ(team.body.find("3125550177"), std::string::npos);
  EXPECT_EQ(team.body.find("awful"), std::string::npos);
  // The agent sees their own, for the console's nudge; another practice sees none of it.
  json::object mine = Json(Call("GET", "/api/v1/me/wellbeing", {}, &agent));
  EXPECT_EQ(mine.at("break_suggested"), true);
  EXPECT_EQ(mine.at("settings").at("break_after_minutes"), 120);
  std::string other_admin = MakeUser(other_tenant_, "boss2@other.example", core::Role::kAdmin);
  const json::object theirs = Json(Call("GET", "/api/v1/wellbeing", {}, &other_admin));
  for (const auto& item : theirs.at("items").as_array()) {
    EXPECT_NE(item.at("user_id"), agent_id);
  }
  // A practice that allows three hours: no nudge yet.
  ASSERT_EQ(Call("PUT", "/api/v1/settings/reports", R"({"break_after_minutes":180})", &lead).status,
            200);
  EXPECT_EQ(Json(Call("GET", "/api/v1/me/wellbeing", {}, &agent)).at("break_suggested"), false);
  // A break of a quarter of an hour starts the run again.
  clock_.Advance(std::chrono::minutes(1));
  ASSERT_EQ(Call("PUT", "/api/v1/me/presence", R"({"status":"on_break"})", &agent).status, 200);
  clock_.Advance(std::chrono::minutes(15));
  ASSERT_EQ(Call("PUT", "/api/v1/me/presence", R"({"status":"available"})", &agent).status, 200);
  json::object after = Json(Call("GET", "/api/v1/me/wellbeing", {}, &agent));
  EXPECT_EQ(after.at("minutes_without_break"), 0);
  EXPECT_EQ(after.at("working_since").as_string(), FormatRfc3339(clock_.Now()));
}

TEST_F(ApiTest, ReportSettingsChangeTheFiguresAndTheAdvice) {
  std::string lead = MakeUser(tenant_, "manager@clinic.example", core::Role::kSupervisor);
  json::object defaults = Json(Call("GET", "/api/v1/settings/reports", {}, &lead));
  EXPECT_EQ(defaults.at("backlog_healthy"), 50);
  EXPECT_EQ(defaults.at("backlog_add_staff"), 100);
  EXPECT_EQ(defaults.at("short_abandon_seconds"), 10);
  EXPECT_EQ(defaults.at("shrinkage").as_double(), 0.3);
  EXPECT_EQ(defaults.at("break_after_minutes"), 120);
  for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"break_after_minutes":5})", "break_after_minutes"},
           {R"({"nope":1})", "nope"},
           {R"({"shrinkage":"x"})", "shrinkage"},
           {R"({"shrinkage":0.95})", "shrinkage"},
           {R"({"chat_target_seconds":1.5})", "chat_target_seconds"},
           {R"({"backlog_healthy":60,"backlog_add_staff":50})", "backlog_add_staff"},
           {R"([])", "settings"},
           {R"({"short_abandon_seconds":)", "settings"}}) {
    HttpResult r = Call("PUT", "/api/v1/settings/reports", body, &lead);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(ErrorField(r), field) << body;
  }
  EXPECT_EQ(Json(Call("GET", "/api/v1/settings/reports", {}, &lead)), defaults)
      << "nothing refused was kept";

  // A caller who hung up after 12 s is an abandon under the default 10 s rule...
  ASSERT_EQ(
      Call(
          "POST", "/api/v1/calls",
          R"({"call_id":"s-1","outcome":"abandoned","entered_at":"2026-11-23T14:00:00Z","ended_at":"2026-11-23T14:00:12Z"})")
          .status,
      201);
  ASSERT_TRUE(jobs::RollUpAll(*store_, tenant_, {}));
  auto kpis = [&] {
    return Json(Call("GET", "/api/v1/reports/kpis?from=2026-11-23&to=2026-11-23", {}, &lead));
  };
  EXPECT_EQ(kpis().at("metrics").at("calls_offered").at("value"), 1);
  EXPECT_EQ(kpis().at("metrics").at("calls_short_abandoned").at("value"), 0);
  // ...and a short one once the practice counts 15 s: every call is counted again.
  HttpResult put = Call("PUT", "/api/v1/settings/reports",
                        R"({"short_abandon_seconds":15,"backlog_healthy":0,"backlog_add_staff":1,)"
                        R"("shrinkage":0.25})",
                        &lead);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Json(put).at("break_after_minutes"), 120) << "fields left out take their defaults";
  ASSERT_TRUE(jobs::RollUpAll(*store_, tenant_, {}));
  json::object after = kpis();
  EXPECT_EQ(after.at("metrics").at("calls_offered").at("value"), 0);
  EXPECT_EQ(after.at("metrics").at("calls_short_abandoned").at("value"), 1);
  EXPECT_EQ(after.at("short_abandon_seconds"), 15);
  EXPECT_EQ(after.at("backlog").at("healthy_at_most"), 0);
  EXPECT_EQ(after.at("backlog").at("add_staff_above"), 1);
  json::object plan = Json(Call("GET", "/api/v1/staffing", {}, &lead));
  EXPECT_EQ(plan.at("settings").at("shrinkage").as_double(), 0.25);
  EXPECT_EQ(Json(Call("GET", "/api/v1/staffing?shrinkage=0.4", {}, &lead))
                .at("settings")
                .at("shrinkage")
                .as_double(),
            0.4)
      << "a query parameter tries another value without saving it";
  // Another practice keeps its defaults.
  std::string other_admin = MakeUser(other_tenant_, "boss2@other.example", core::Role::kAdmin);
  EXPECT_EQ(Json(Call("GET", "/api/v1/settings/reports", {}, &other_admin)), defaults);
}

TEST_F(ApiTest, APhoneAgentNameMakesThosePhoneCallsTheStaffMembers) {
  std::string admin = MakeUser(tenant_, "boss@clinic.example", core::Role::kAdmin);
  std::string lead = MakeUser(tenant_, "manager@clinic.example", core::Role::kSupervisor);
  std::string pat = MakeUser(tenant_, "pat@clinic.example", core::Role::kAgent);
  std::string sam = MakeUser(tenant_, "sam@clinic.example", core::Role::kAgent);
  const auto id_of = [&](const std::string& token) {
    return Json(Call("GET", "/api/v1/me", {}, &token)).at("user_id").as_int64();
  };
  const std::string pat_id = std::to_string(id_of(pat)), sam_id = std::to_string(id_of(sam));
  // A call Pat took on the phone at 09:00 local (15:00Z), before anyone knew the name was hers.
  ASSERT_EQ(Call("POST", "/api/v1/calls",
                 R"({"call_id":"p-1","outcome":"answered","agent":"PJSIP/201",)"
                 R"("entered_at":"2026-11-23T14:50:00Z","answered_at":"2026-11-23T14:50:30Z",)"
                 R"("ended_at":"2026-11-23T14:56:00Z","wrap_seconds":60})")
                .status,
            201);
  ASSERT_TRUE(jobs::RollUpAll(*store_, tenant_, {}));
  const auto answered_by = [&](const std::string& agent) {
    return Json(Call("GET", "/api/v1/reports/kpis?from=2026-11-23&to=2026-11-23&agent=" + agent, {},
                     &lead))
        .at("metrics")
        .at("calls_answered")
        .at("value");
  };
  EXPECT_EQ(answered_by("PJSIP/201"), 1);
  EXPECT_EQ(answered_by(pat_id), 0);

  // An admin gives Pat her names (trimmed, duplicates once): the call becomes hers.
  HttpResult patched =
      Call("PATCH", "/api/v1/users/" + pat_id,
           R"({"phone_agents":[" PJSIP/201 ","Local/201@from-queue","PJSIP/201"]})", &admin);
  ASSERT_EQ(patched.status, 200) << patched.body;
  const json::array names{"PJSIP/201", "Local/201@from-queue"};
  EXPECT_EQ(Json(patched).at("phone_agents").as_array(), names);
  ASSERT_TRUE(jobs::RollUpAll(*store_, tenant_, {}));
  EXPECT_EQ(answered_by(pat_id), 1);
  EXPECT_EQ(answered_by("PJSIP/201"), 0);
  HttpResult drill = Call("GET",
                          "/api/v1/reports/kpis/calls_answered/conversations?from=2026-11-23&to="
                          "2026-11-23&agent=" +
                              pat_id,
                          {}, &lead);
  ASSERT_EQ(drill.status, 200) << drill.body;
  EXPECT_EQ(Json(drill).at("items").as_array().size(), 1u);
  // Her wellbeing counts the call: 6 minutes on it, with a minute's after-call work.
  clock_.Set(*ParseRfc3339("2026-11-23T15:00:00Z"));
  const json::object team = Json(Call("GET", "/api/v1/wellbeing", {}, &lead));
  bool seen = false;
  for (const auto& item : team.at("items").as_array()) {
    if (std::to_string(item.at("user_id").as_int64()) != pat_id) continue;
    seen = true;
    EXPECT_EQ(item.at("calls_today"), 1);
    EXPECT_EQ(item.at("handled_today"), 0) << "conversations are counted apart";
  }
  EXPECT_TRUE(seen);

  // A name is one person's: Sam cannot have it, on a new account either; bad names are refused.
  const auto users_before = Call("GET", "/api/v1/users", {}, &admin).body;
  HttpResult taken =
      Call("PATCH", "/api/v1/users/" + sam_id, R"({"phone_agents":["PJSIP/201"]})", &admin);
  EXPECT_EQ(taken.status, 409) << taken.body;
  EXPECT_EQ(ErrorField(taken), "phone_agents");
  HttpResult new_taken = Call(
      "POST", "/api/v1/users",
      R"({"email":"kim@clinic.example","role":"agent","password":"a long enough passphrase 9",)"
      R"("phone_agents":["Local/201@from-queue"]})",
      &admin);
  EXPECT_EQ(new_taken.status, 409) << new_taken.body;
  for (const std::string& body :
       std::vector<std::string>{R"({"phone_agents":["a,b"]})", R"({"phone_agents":["x|y"]})",
                                R"({"phone_agents":["  "]})", R"({"phone_agents":["tab\there"]})",
                                R"({"phone_agents":[1]})", R"({"phone_agents":"PJSIP/202"})",
                                R"({"phone_agents":["1","2","3","4","5","6","7","8","9"]})",
                                R"({"phone_agents":[")" + std::string(129, 'x') + R"("]})"}) {
    HttpResult r = Call("PATCH", "/api/v1/users/" + sam_id, body, &admin);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(ErrorField(r), "phone_agents") << body;
  }
  EXPECT_EQ(Call("GET", "/api/v1/users", {}, &admin).body, users_before)
      << "nothing refused was kept";
  // Another practice's admin cannot name this practice's staff.
  std::string other_admin = MakeUser(other_tenant_, "boss2@other.example", core::Role::kAdmin);
  EXPECT_EQ(
      Call("PATCH", "/api/v1/users/" + pat_id, R"({"phone_agents":["PJSIP/9"]})", &other_admin)
          .status,
      404);
  // Taken off her, the call is the phone system's name's again.
  ASSERT_EQ(Call("PATCH", "/api/v1/users/" + pat_id, R"({"phone_agents":[]})", &admin).status, 200);
  ASSERT_TRUE(jobs::RollUpAll(*store_, tenant_, {}));
  EXPECT_EQ(answered_by("PJSIP/201"), 1);
  EXPECT_EQ(answered_by(pat_id), 0);
}

TEST_F(ApiTest, FiguresCutByLocationAndFirstResponseAttainmentPerSlaPolicy) {
  std::string admin = MakeUser(tenant_, "boss@clinic.example", core::Role::kAdmin);
  std::string lead = MakeUser(tenant_, "manager@clinic.example", core::Role::kSupervisor);
  HttpResult policy = Call("POST", "/api/v1/sla-policies",
                           R"({"name":"Email within the hour","channel":"email",)"
                           R"("first_response_minutes":60})",
                           &lead);
  ASSERT_EQ(policy.status, 201) << policy.body;
  const std::int64_t email_policy = Json(policy).at("id").as_int64();
  const std::string location = MakeLocation(admin, "Northside");
  std::string other_admin = MakeUser(other_tenant_, "boss2@other.example", core::Role::kAdmin);
  const std::string theirs = MakeLocation(other_admin, "Theirs");

  // Two emails under the hour's policy: one answered in 10 minutes, one in 90; a text under
  // the default policy, for Northside.
  auto reply = [&](std::int64_t c) {
    ASSERT_EQ(Call("POST", "/api/v1/conversations/" + std::to_string(c) + "/replies",
                   R"({"text":"Thank you, done."})")
                  .status,
              201);
  };
  std::int64_t quick = Inbound("a.patient@example.org", "Records, please", "email");
  clock_.Advance(std::chrono::minutes(10));
  reply(quick);
  std::int64_t slow = Inbound("b.patient@example.org", "A form question", "email");
  clock_.Advance(std::chrono::minutes(90));
  reply(slow);
  std::int64_t text = Inbound("+13125550188", "Parking at the new office?");
  const std::string assign = "/api/v1/conversations/" + std::to_string(text) + "/assign";
  HttpResult placed = Call("POST", assign, R"({"location_id":)" + location + "}");
  ASSERT_EQ(placed.status, 200) << placed.body;
  EXPECT_EQ(std::to_string(Json(Call("GET", "/api/v1/conversations/" + std::to_string(text)))
                               .at("location_id")
                               .as_int64()),
            location);
  for (const std::string& bad : std::vector<std::string>{
           R"({"location_id":)" + theirs + "}", R"({"location_id":0})", R"({"location_id":"x"})"}) {
    HttpResult r = Call("POST", assign, bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(ErrorField(r), "location_id") << bad;
  }
  jobs::KpiRollupOptions rollup;
  rollup.clock = &clock_;
  ASSERT_TRUE(jobs::RollUpAll(*store_, tenant_, rollup));

  const std::string period = "from=2026-11-23&to=2026-11-23";
  json::object all = Json(Call("GET", "/api/v1/reports/kpis?" + period, {}, &lead));
  std::map<std::int64_t, json::object> by_policy;
  for (const auto& p : all.at("sla_by_policy").as_array()) {
    by_policy[p.at("policy_id").as_int64()] = p.as_object();
  }
  ASSERT_TRUE(by_policy.contains(email_policy)) << json::serialize(all.at("sla_by_policy"));
  const json::object& emails = by_policy[email_policy];
  EXPECT_EQ(emails.at("name"), "Email within the hour");
  EXPECT_EQ(emails.at("conversations"), 2);
  EXPECT_EQ(emails.at("decided"), 2);
  EXPECT_EQ(emails.at("met"), 1);
  EXPECT_EQ(emails.at("attainment").as_double(), 0.5);
  ASSERT_TRUE(by_policy.contains(0));
  EXPECT_EQ(by_policy[0].at("name"), "Default");
  EXPECT_EQ(by_policy[0].at("conversations"), 1);
  // The policy is a cut too, and agrees; so is the location, down to the drill-down.
  json::object held =
      Json(Call("GET", "/api/v1/reports/kpis?" + period + "&policy=" + std::to_string(email_policy),
                {}, &lead));
  EXPECT_EQ(held.at("metrics").at("sla_first_response_attainment").at("value").as_double(), 0.5);
  EXPECT_EQ(held.at("cuts").at("policy"), email_policy);
  json::object at_north =
      Json(Call("GET", "/api/v1/reports/kpis?" + period + "&location=" + location, {}, &lead));
  EXPECT_EQ(at_north.at("metrics").at("conversations").at("value"), 1);
  EXPECT_TRUE(at_north.at("sla_by_policy").is_null())
      << "per policy is for the whole practice, or one policy, not under other cuts";
  EXPECT_EQ(held.at("sla_by_policy").as_array().size(), 1u);
  EXPECT_EQ(held.at("sla_by_policy").at(0).at("policy_id"), email_policy);
  // Per policy for one hour of the day too (the policy and hour grain): the hours add up.
  std::int64_t decided = 0, met = 0, hours_with_emails = 0;
  for (int hour = 0; hour < 24; ++hour) {
    json::object at_hour = Json(
        Call("GET", "/api/v1/reports/kpis?" + period + "&hour=" + std::to_string(hour), {}, &lead));
    ASSERT_TRUE(at_hour.at("sla_by_policy").is_array()) << hour;
    for (const auto& p : at_hour.at("sla_by_policy").as_array()) {
      if (p.at("policy_id") != email_policy) continue;
      decided += p.at("decided").as_int64();
      met += p.at("met").as_int64();
      ++hours_with_emails;
    }
  }
  EXPECT_EQ(decided, 2);
  EXPECT_EQ(met, 1);
  EXPECT_GE(hours_with_emails, 1);
  HttpResult drill = Call(
      "GET", "/api/v1/reports/kpis/conversations/conversations?" + period + "&location=" + location,
      {}, &lead);
  ASSERT_EQ(drill.status, 200) << drill.body;
  const json::array rows = Json(drill).at("items").as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("id"), text);
  EXPECT_EQ(std::string(rows[0].at("location").as_string()), location);
  EXPECT_EQ(Json(Call("GET", "/api/v1/reports/kpis?" + period + "&location=" + theirs, {}, &lead))
                .at("metrics")
                .at("conversations")
                .at("value"),
            0);
  for (const char* bad : {"&location=0", "&location=x", "&policy=-1", "&policy=1.5"}) {
    HttpResult r = Call("GET", "/api/v1/reports/kpis?" + period + bad, {}, &lead);
    EXPECT_EQ(r.status, 400) << bad;
  }
  // Taken off the location, the conversation leaves the cut.
  ASSERT_EQ(Call("POST", assign, R"({"location_id":null})").status, 200);
  ASSERT_TRUE(jobs::RollUpAll(*store_, tenant_, rollup));
  EXPECT_EQ(Json(Call("GET", "/api/v1/reports/kpis?" + period + "&location=" + location, {}, &lead))
                .at("metrics")
                .at("conversations")
                .at("value"),
            0);
}

TEST_F(ApiTest, SurveyAnswersGiveCsatAndNps) {
  std::string lead = MakeUser(tenant_, "manager@clinic.example", core::Role::kSupervisor);
  std::string agent = MakeUser(tenant_, "nina@clinic.example", core::Role::kAgent);
  const std::int64_t a = Inbound("+13125550111", "Thank you for the quick refill");
  const std::int64_t b = Inbound("+13125550112", "The wait was long");
  const std::int64_t c = Inbound("+13125550113", "Fine visit");
  const std::int64_t d = Inbound("+13125550114", "Great nurses");
  auto survey = [&](std::int64_t id, const std::string& body, const std::string* who = nullptr) {
    return Call("POST", "/api/v1/conversations/" + std::to_string(id) + "/survey", body,
                who ? who : &lead);
  };
  // CSAT: a 5, and b first a 4, then a 2 (the latest counts): one satisfied of two.
  // NPS: 10, 6, 9 and 10: three promoters, one detractor, of four: 50.
  for (const auto& [id, body] :
       std::vector<std::pair<std::int64_t, std::string>>{{a, R"({"survey":"csat","score":5})"},
                                                         {b, R"({"survey":"csat","score":4})"},
                                                         {b, R"({"survey":"csat","score":2})"},
                                                         {a, R"({"survey":"nps","score":10})"},
                                                         {b, R"({"survey":"nps","score":6})"},
                                                         {c, R"({"survey":"nps","score":9})"},
                                                         {d, R"({"survey":"nps","score":10})"}}) {
    HttpResult r = survey(id, body);
    ASSERT_EQ(r.status, 200) << body << r.body;
  }
  for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"survey":"ces","score":3})", "survey"},
           {R"({"survey":"csat","score":6})", "score"},
           {R"({"survey":"csat","score":0})", "score"},
           {R"({"survey":"nps","score":11})", "score"},
           {R"({"survey":"nps","score":"9"})", "score"},
           {R"({"survey":"nps"})", "score"},
           {R"({"survey":"nps","score":9,"who":"x"})", "who"}}) {
    HttpResult r = survey(c, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(ErrorField(r), field) << body;
  }
  EXPECT_EQ(survey(c, R"({"survey":"csat","score":1})", &agent).status, 403)
      << "agents do not score their own conversations";
  std::string other_admin = MakeUser(other_tenant_, "boss2@other.example", core::Role::kAdmin);
  EXPECT_EQ(survey(c, R"({"survey":"csat","score":1})", &other_admin).status, 404);
  jobs::KpiRollupOptions rollup;
  rollup.clock = &clock_;
  ASSERT_TRUE(jobs::RollUpAll(*store_, tenant_, rollup));
  const std::string period = "from=2026-11-23&to=2026-11-23";
  json::object m =
      Json(Call("GET", "/api/v1/reports/kpis?" + period, {}, &lead)).at("metrics").as_object();
  EXPECT_EQ(m.at("csat").at("value").as_double(), 0.5);
  EXPECT_EQ(m.at("csat").at("count"), 2);
  EXPECT_EQ(m.at("nps").at("value"), 50);
  EXPECT_EQ(m.at("nps").at("count"), 4);
  EXPECT_NE(std::string(m.at("nps").at("definition").as_string()).find("9 or 10"),
            std::string::npos);
  // Behind the CSAT figure: the two conversations with an answer.
  HttpResult drill = Call("GET", "/api/v1/reports/kpis/csat/conversations?" + period, {}, &lead);
  ASSERT_EQ(drill.status, 200) << drill.body;
  const json::array rows = Json(drill).at("items").as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("id"), a);
  EXPECT_EQ(rows[1].at("id"), b);
}

}  // namespace
}  // namespace caredesk
