#include "app/demo.hpp"

#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "core/inbox/conversation.hpp"
#include "security/password.hpp"
#include "security/token.hpp"

namespace caredesk::app {
namespace {

using std::chrono::minutes;

constexpr std::array kFirst = {"Maria",  "James",   "Sofia", "Robert",  "Aisha",  "David",
                               "Lucia",  "Michael", "Mei",   "William", "Fatima", "Jose",
                               "Emily",  "Daniel",  "Grace", "Carlos",  "Hannah", "Ahmed",
                               "Olivia", "Luis",    "Chloe", "Andre",   "Priya",  "Thomas",
                               "Rosa",   "Kevin",   "Nadia", "Samuel",  "Elena",  "Marcus"};
constexpr std::array kLast = {"Garcia", "Smith",     "Nguyen",   "Johnson", "Patel",
                              "Brown",  "Hernandez", "Williams", "Kim",     "Jones",
                              "Lopez",  "Miller",    "Chen",     "Davis",   "Rodriguez",
                              "Wilson", "Martinez",  "Anderson", "Okafor",  "Taylor",
                              "Singh",  "Thomas",    "Moore",    "Jackson", "Ramirez"};

struct Topic {
  core::Category category;
  const char* queue;
  std::array<const char*, 3> patient_lines;
  const char* reply;
};

const std::array<Topic, 7> kTopics = {{
    {core::Category::kAppointment,
     "front-desk",
     {"Hi, can I get an appointment with Dr. Alvarez next week?",
      "Do you have anything Friday morning?", "I need to reschedule my visit on Thursday."},
     "We have Tuesday at 10:30 or Thursday at 2:15. Which works better for you?"},
    {core::Category::kPrescription,
     "clinical",
     {"I need a refill on my blood pressure medication.",
      "My pharmacy says the refill request was denied.",
      "Can the doctor send my prescription to a different pharmacy?"},
     "I've sent the refill request to the care team; the pharmacy should have it within one "
     "business day."},
    {core::Category::kBilling,
     "billing",
     {"Why did I get a bill for my annual physical?", "Can I set up a payment plan?",
      "I think my insurance was billed wrong."},
     "I'm looking into the claim now and will call you back with what I find."},
    {core::Category::kRecords,
     "front-desk",
     {"How do I get a copy of my lab results?", "Please send my records to my new specialist.",
      "I need my vaccination record for school."},
     "You can sign the release form at the front desk or through the link I'm sending now."},
    {core::Category::kReferral,
     "clinical",
     {"Did my referral to cardiology go through?", "I need a referral for physical therapy.",
      "The specialist says they never got my referral."},
     "The referral was faxed this morning; the specialist's office will contact you to schedule."},
    {core::Category::kClinicalQuestion,
     "clinical",
     {"Is it normal to feel dizzy after starting the new medication?",
      "My child has had a fever for two days.",
      "Should I still take my medication before the procedure?"},
     "I've asked the nurse to review this today. If symptoms get worse, call us or go to urgent "
     "care."},
    {core::Category::kOther,
     "front-desk",
     {"What are your hours on Saturday?", "Is there parking at the Northside office?",
      "Do you accept Blue Cross?"},
     "We're open Saturday 9 to noon, and there is free parking behind the building."},
}};

constexpr std::array<core::Channel, 20> kChannelMix = {
    core::Channel::kSms,   core::Channel::kSms,   core::Channel::kSms,   core::Channel::kSms,
    core::Channel::kSms,   core::Channel::kSms,   core::Channel::kSms,   core::Channel::kChat,
    core::Channel::kChat,  core::Channel::kChat,  core::Channel::kChat,  core::Channel::kChat,
    core::Channel::kEmail, core::Channel::kEmail, core::Channel::kEmail, core::Channel::kEmail,
    core::Channel::kPhone, core::Channel::kPhone, core::Channel::kPhone, core::Channel::kWeb};

std::string CredentialsPath(const Config& c) { return c.data_dir + "/demo-credentials.txt"; }

Result<DemoCredentials> ReadCredentials(const Config& config) {
  std::ifstream in(CredentialsPath(config));
  DemoCredentials c;
  if (!in || !std::getline(in, c.password) || !std::getline(in, c.api_token)) {
    return NotFound("the demo tenant exists but " + CredentialsPath(config) +
                    " is missing; start with a fresh --data directory");
  }
  return c;
}

Result<void> WriteCredentials(const Config& config, const DemoCredentials& c) {
  std::filesystem::create_directories(config.data_dir);
  std::string path = CredentialsPath(config);
  {
    std::ofstream out(path, std::ios::trunc);
    if (!out) return Unavailable("cannot write " + path);
    out << c.password << "\n" << c.api_token << "\n";
  }
  ::chmod(path.c_str(), 0600);
  return {};
}

}  // namespace

Result<DemoCredentials> EnsureDemo(store::Store& st, const Config& config, Timestamp now) {
  CD_TRY_ASSIGN(auto existing, st.FindTenantBySlug("demo"));
  if (existing) {
    // The practice is written in one transaction after the tenant row, so a tenant without
    // its admin is a first start that was interrupted: fill it in now.
    CD_TRY_ASSIGN(auto admin, store::ReadValue<std::optional<store::User>>(
                                  st, existing->id, [](store::TenantTx& tx) {
                                    return tx.FindUserByEmail("admin@demo.example");
                                  }));
    if (admin) return ReadCredentials(config);
  }

  std::mt19937_64 rng(20261123);
  auto pick = [&](auto& arr) -> decltype(auto) { return arr[rng() % arr.size()]; };
  auto uniform = [&](int lo, int hi) {
    return lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1));
  };

  store::Tenant t;
  t.slug = "demo";
  t.name = "Lakeside Family Medicine";
  t.time_zone = "America/Chicago";
  t.business_hours = "mon-fri 08:00-17:00; sat 09:00-12:00";
  t.holidays = {"2026-11-26", "2026-12-25"};
  t.created_at = now - std::chrono::hours(24 * 8);
  if (existing) {
    t = *existing;
  } else {
    CD_TRY_ASSIGN(t, st.CreateTenant(t));
  }

  DemoCredentials creds;
  creds.password = security::NewSecret().substr(0, 16);
  creds.api_token = security::NewSecret("cdk_");
  creds.created = true;
  CD_TRY_ASSIGN(std::string hash, security::HashPassword(creds.password));

  // Saved first: if the transaction below commits and the process dies before this line
  // would have run, the demo must still be usable.
  CD_TRY(WriteCredentials(config, creds));
  std::vector<UserId> agents;
  std::vector<PatientId> patients;
  int conversations = 0;
  // The whole practice in one transaction: an interrupted first start leaves no half demo.
  CD_TRY(st.Write(t.id, [&](store::TenantTx& tx) -> Result<void> {
    agents.clear();  // a unit may run twice (see Store::Write)
    patients.clear();
    conversations = 0;
    CD_TRY(tx.InsertLocation({LocationId{}, "Lakeside Main Clinic",
                              "1200 Lakeshore Dr, Chicago, IL 60611",
                              "mon-fri 08:00-17:00; sat 09:00-12:00"}));
    CD_TRY(tx.InsertLocation({LocationId{}, "Northside Pediatrics",
                              "4800 N Broadway, Chicago, IL 60640", "mon-fri 08:30-16:30"}));
    struct Staff {
      const char* email;
      const char* name;
      core::Role role;
      std::vector<std::string> languages;
      std::vector<std::string> queues;
    };
    const std::vector<Staff> staff = {
        {"admin@demo.example", "Dana Admin", core::Role::kAdmin, {"en"}, {}},
        {"supervisor@demo.example",
         "Sam Supervisor",
         core::Role::kSupervisor,
         {"en", "es"},
         {"front-desk", "clinical", "billing"}},
        {"counselor@demo.example", "Casey Counselor", core::Role::kCounselor, {"en"}, {"clinical"}},
        {"ana@demo.example",
         "Ana Front Desk",
         core::Role::kAgent,
         {"en", "es"},
         {"front-desk", "billing"}},
        {"ben@demo.example", "Ben Front Desk", core::Role::kAgent, {"en"}, {"front-desk"}},
        {"nurse@demo.example", "Nia Nurse Line", core::Role::kAgent, {"en"}, {"clinical"}},
        {"billing@demo.example", "Bo Billing", core::Role::kAgent, {"en"}, {"billing"}},
    };
    for (const Staff& s : staff) {
      store::User u;
      u.email = s.email;
      u.display_name = s.name;
      u.role = s.role;
      u.languages = s.languages;
      u.queues = s.queues;
      u.created_at = t.created_at;
      CD_TRY_ASSIGN(u, tx.InsertUser(u, hash));
      if (s.role == core::Role::kAgent || s.role == core::Role::kSupervisor) agents.push_back(u.id);
      if (s.role == core::Role::kAdmin) {
        CD_TRY(tx.InsertApiToken(u.id, security::HashSecret(creds.api_token), "demo", now,
                                 std::nullopt));
      }
    }
    core::SlaPolicy chat;
    chat.name = "Live chat";
    chat.channel = core::Channel::kChat;
    chat.targets.first_response = minutes(5);
    chat.targets.next_response = minutes(5);
    chat.targets.resolution = std::chrono::hours(2);
    CD_TRY(tx.InsertSlaPolicy(chat));
    core::SlaPolicy billing;
    billing.name = "Billing";
    billing.queue = "billing";
    billing.targets.first_response = std::chrono::hours(4);
    billing.targets.next_response = std::chrono::hours(4);
    billing.targets.resolution = std::chrono::hours(27);
    CD_TRY(tx.InsertSlaPolicy(billing));
    core::SlaPolicy urgent;
    urgent.name = "Urgent";
    urgent.priority = core::Priority::kUrgent;
    urgent.targets.first_response = minutes(10);
    CD_TRY(tx.InsertSlaPolicy(urgent));

    for (int i = 0; i < 300; ++i) {
      core::Patient p;
      p.name = std::string(pick(kFirst)) + " " + pick(kLast);
      char dob[16];
      std::snprintf(dob, sizeof dob, "%04d-%02d-%02d", uniform(1940, 2020), uniform(1, 12),
                    uniform(1, 28));
      p.date_of_birth = std::string(dob);
      static constexpr std::array kAreas = {"312", "773", "872", "630", "847"};
      char phone[16];
      std::snprintf(phone, sizeof phone, "+1%s555%04d", pick(kAreas), 100 + i % 100);
      p.phone = std::string(phone);
      if (rng() % 10 < 6) {
        std::string local = p.name;
        for (char& c : local)
          c = c == ' ' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        p.email = local + std::to_string(i) + "@example.com";
      }
      p.language = rng() % 5 == 0 ? "es" : "en";
      p.preferred_channel = rng() % 2 ? core::Channel::kSms : core::Channel::kEmail;
      p.consent_sms = rng() % 10 < 8;
      p.consent_email = p.email.has_value();
      p.created_at = p.updated_at = t.created_at;
      CD_TRY_ASSIGN(p, tx.InsertPatient(p));
      patients.push_back(p.id);
    }

    // A week of conversations, simulated with the domain's own commands so the events, SLA
    // outcomes and final states are exactly what the live system would have recorded.
    auto one_day = std::chrono::hours(24);
    Timestamp week_start = now - 7 * one_day;
    for (int day = 0; day < 7; ++day) {
      int count = uniform(45, 70);
      for (int k = 0; k < count; ++k) {
        Timestamp opened = week_start + day * one_day + minutes(uniform(0, 24 * 60 - 1));
        if (opened >= now - minutes(5)) continue;
        const Topic& topic = pick(kTopics);
        core::Channel channel = pick(kChannelMix);
        PatientId patient = patients[rng() % patients.size()];
        UserId agent = agents[rng() % agents.size()];
        auto r = [&](store::TenantTx& tx) -> Result<void> {
          CD_TRY_ASSIGN(auto cal, tx.Calendar());
          CD_TRY_ASSIGN(auto policies, tx.SlaPolicies());
          core::Priority priority =
              rng() % 25 == 0 ? core::Priority::kUrgent : core::Priority::kNormal;
          core::SlaPolicy policy = core::SelectPolicy(policies, topic.queue, channel, priority);
          core::Decision created =
              core::OpenConversation(patient, channel, topic.queue, priority, policy, opened, cal);
          CD_TRY_ASSIGN(core::Decision d, core::ReceiveInbound(created.conversation, opened, cal));
          d.conversation.category = topic.category;
          CD_TRY_ASSIGN(d.conversation, tx.InsertConversation(d.conversation, cal, opened));
          core::Conversation c = d.conversation;
          // The log starts where the conversation did, as for a real inbound message.
          std::vector<core::Event> events = created.events;
          events.insert(events.end(), d.events.begin(), d.events.end());
          std::vector<core::Message> messages;
          auto add_message = [&](core::MessageKind kind, std::string text, Timestamp at,
                                 UserId author) {
            core::Message m;
            m.conversation_id = c.id;
            m.kind = kind;
            m.channel = channel;
            m.author = author;
            m.sender = kind == core::MessageKind::kInbound ? "demo-patient" : "";
            m.text = std::move(text);
            m.delivery = kind == core::MessageKind::kInbound ? core::DeliveryStatus::kReceived
                                                             : core::DeliveryStatus::kDelivered;
            m.created_at = at;
            messages.push_back(std::move(m));
          };
          add_message(core::MessageKind::kInbound, pick(topic.patient_lines), opened, UserId{});
          auto tick_to = [&](Timestamp at) {
            core::Decision tick = core::SlaTick(c, at, cal);
            c = tick.conversation;
            events.insert(events.end(), tick.events.begin(), tick.events.end());
          };
          auto apply = [&](core::Decision step) {
            c = step.conversation;
            events.insert(events.end(), step.events.begin(), step.events.end());
          };
          // Response delay in business time: mostly quick, a tail that breaches.
          int roll = uniform(0, 99);
          Millis delay = minutes(roll < 60   ? uniform(1, 12)
                                 : roll < 85 ? uniform(12, 28)
                                             : uniform(30, 120));
          Timestamp reply_at = cal.AddBusinessTime(opened, delay);
          // One in twenty slipped through and still waits, as in a real inbox: those are
          // what the SLA filters and the time-left sort are for.
          bool slipped = roll >= 95;
          if (reply_at < now && !slipped) {
            CD_TRY_ASSIGN(auto routed,
                          core::Route(c, {agent, std::nullopt, std::nullopt, std::nullopt},
                                      policies, agent, opened + minutes(1), cal));
            apply(routed);
            tick_to(reply_at);
            bool resolve_now = roll % 3 == 0;
            CD_TRY_ASSIGN(auto replied, core::RecordReply(c, agent,
                                                          resolve_now ? core::Status::kResolved
                                                                      : core::Status::kPending,
                                                          reply_at, cal));
            apply(replied);
            add_message(core::MessageKind::kOutbound, topic.reply, reply_at, agent);
            Timestamp follow_up = reply_at + minutes(uniform(20, 300));
            if (!resolve_now && follow_up < now && roll % 2 == 0) {
              CD_TRY_ASSIGN(auto back, core::ReceiveInbound(c, follow_up, cal));
              apply(back);
              add_message(core::MessageKind::kInbound, "Thank you, that works for me.", follow_up,
                          UserId{});
              Timestamp wrap = cal.AddBusinessTime(follow_up, minutes(uniform(2, 40)));
              if (wrap < now) {
                tick_to(wrap);
                CD_TRY_ASSIGN(auto done,
                              core::RecordReply(c, agent, core::Status::kResolved, wrap, cal));
                apply(done);
                add_message(core::MessageKind::kOutbound, "You're all set. Have a good day!", wrap,
                            agent);
              }
            }
            if (c.status == core::Status::kResolved && c.resolved_at &&
                *c.resolved_at < now - 3 * one_day) {
              CD_TRY_ASSIGN(auto closed, core::ChangeStatus(c, core::Status::kClosed, UserId{},
                                                            *c.resolved_at + 3 * one_day, cal));
              apply(closed);
            }
          }
          tick_to(now);
          for (auto& m : messages) CD_TRY(tx.InsertMessage(m));
          for (auto& e : events) e.conversation_id = c.id;
          CD_TRY(tx.UpdateConversation(c, cal, now));
          return tx.AppendEvents(events);
        }(tx);
        CD_TRY(r);
        ++conversations;
      }
    }
    return {};
  }));
  std::cerr << "created the demo practice: 300 patients, " << conversations << " conversations\n";
  return creds;
}

void PrintSignIn(const DemoCredentials& c, const Config& config) {
  std::string base = "http://" + config.listen;
  std::cout
      << "\nCareDesk demo: Lakeside Family Medicine (tenant \"demo\")\n"
      << "  Console:   " << base << "/\n"
      << "  Sign in:   practice demo, " << c.admin_email << ", password " << c.password << "\n"
      << "             (every demo staff account, e.g. ana@demo.example, shares this password;\n"
      << "             at the first sign-in the console sets up two-step sign-in with an\n"
      << "             authenticator app)\n"
      << "  API token: " << c.api_token << "\n"
      << "  Try:       curl -H 'Authorization: Bearer " << c.api_token << "' '" << base
      << "/api/v1/conversations?sla=at_risk_or_breached&sort=time_left'\n"
      << "  API docs:  " << base << "/api/openapi.json\n"
      << "  (saved in " << CredentialsPath(config) << ")\n\n";
  std::cout.flush();
}

}  // namespace caredesk::app
