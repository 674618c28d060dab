// Fills a data directory with a realistic practice for the benchmarks: tenant "bench", staff,
// SLA policies, patients and conversations whose states and events come from the inbox core's
// own commands, written through the store API many conversations per transaction. Also issues
// an API token for the bench admin. Single-threaded command-line tool.
//
// seed --data DIR [--messages 1000000] [--messages-per-conversation 10] [--patients 50000]
//      [--seed 42] [--days 90] [--batch 10] [--sealed yes|no]
//
// --batch conversations share one Store::Write (one transaction, one fsync). Keep it small:
// the store runs each Write under a savepoint, SQLite keeps that savepoint's sub-journal in
// memory (temp_store=MEMORY) as a list of ~1 KiB chunks, and every statement's release walks
// that list from its start, so the cost per statement grows with the pages the Write has
// touched. With 10 conversations (~100 messages) per Write 1M messages take a few minutes; with
// 250 that walk was two thirds of the CPU time and seeding slowed down as the database grew.
//
// The token is printed alone on stdout and written to DIR/bench-token (mode 0600); progress and
// a summary go to stderr. If tenant "bench" already exists only a new token is issued: reseed
// into a fresh directory. Exit status 0, 1 on a store failure, 2 on bad usage.

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/inbox/conversation.hpp"
#include "security/crypto.hpp"
#include "security/password.hpp"
#include "security/token.hpp"
#include "store/open.hpp"

namespace {

using namespace caredesk;  // NOLINT(google-build-using-namespace): a small tool
using std::chrono::hours;
using std::chrono::minutes;

constexpr std::string_view kTenantSlug = "bench";
constexpr std::string_view kAdminEmail = "bench@bench.example";

struct Options {
  std::string data;
  std::int64_t messages = 1'000'000;
  int messages_per_conversation = 10;
  int patients = 50'000;
  std::uint64_t seed = 42;
  int days = 90;
  int batch = 10;  // conversations per Store::Write (one transaction, one fsync); see above
  // Seal patient information under DATA/master.key (made if absent), as `caredesk serve` does;
  // "no" only for the reference of bench/sealing.sh.
  bool sealed = true;
  // Live-chat practices for bench/ws.sh: tenants chat0..chat{N-1}, each with an admin agent and
  // `chats_per_tenant` chats in progress; DIR/chat-plan.txt gets one line per chat:
  // "SLUG STAFF_TOKEN CONVERSATION_ID CHAT_TOKEN".
  int chat_tenants = 0;
  int chats_per_tenant = 0;
};

// ---------------------------------------------------------------------------------------------
// Vocabulary. A conversation has a topic (category and queue) and one intent inside it; the
// patient's and staff's lines come from the intent plus a few generic lines, with slots filled
// from the lists below. Only some intents mention "refill" or "appointment", so a text search
// for them matches a few percent of conversations, as in a real inbox.

constexpr std::array kDays = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::array kDayparts = {"morning", "afternoon", "early morning", "late afternoon"};
constexpr std::array kTimes = {"8:15", "8:45", "9:30", "10:00", "10:45", "11:15",
                               "1:30", "2:15", "3:00", "3:45",  "4:20"};
constexpr std::array kDoctors = {"Dr. Alvarez", "Dr. Chen",     "Dr. Okafor", "Dr. Patel",
                                 "Dr. Novak",   "Dr. Reyes",    "Dr. Kim",    "Dr. Brooks",
                                 "Dr. Haddad",  "Dr. Lindqvist"};
constexpr std::array kDrugs = {
    "lisinopril",    "metformin",        "atorvastatin", "amlodipine",
    "levothyroxine", "albuterol",        "omeprazole",   "sertraline",
    "gabapentin",    "losartan",         "montelukast",  "hydrochlorothiazide",
    "escitalopram",  "insulin glargine", "prednisone",   "amoxicillin"};
constexpr std::array kPharmacies = {"the Walgreens on Clark",  "the CVS on Broadway",
                                    "Jewel-Osco pharmacy",     "the Costco pharmacy",
                                    "the mail-order pharmacy", "Mariano's pharmacy"};
constexpr std::array kSpecialists = {
    "cardiology",    "dermatology", "orthopedics", "physical therapy", "gastroenterology",
    "endocrinology", "ENT",         "neurology",   "allergy",          "podiatry"};
constexpr std::array kTests = {"blood work",        "lab results",   "A1C",
                               "cholesterol panel", "x-ray",         "MRI report",
                               "ultrasound",        "thyroid panel", "urine culture"};
constexpr std::array kInsurers = {"Blue Cross", "Aetna",    "Cigna",   "UnitedHealthcare",
                                  "Humana",     "Medicare", "Medicaid"};
constexpr std::array kFirst = {
    "Maria",   "James",  "Sofia",  "Robert", "Aisha",  "David",  "Lucia",  "Michael", "Mei",
    "William", "Fatima", "Jose",   "Emily",  "Daniel", "Grace",  "Carlos", "Hannah",  "Ahmed",
    "Olivia",  "Luis",   "Chloe",  "Andre",  "Priya",  "Thomas", "Rosa",   "Kevin",   "Nadia",
    "Samuel",  "Elena",  "Marcus", "Yusuf",  "Ingrid", "Tomasz", "Keiko",  "Omar"};
constexpr std::array kLast = {
    "Garcia",   "Smith",    "Nguyen", "Johnson", "Patel",   "Brown",  "Hernandez", "Williams",
    "Kim",      "Jones",    "Lopez",  "Miller",  "Chen",    "Davis",  "Rodriguez", "Wilson",
    "Martinez", "Anderson", "Okafor", "Taylor",  "Singh",   "Thomas", "Moore",     "Jackson",
    "Ramirez",  "Kowalski", "Haddad", "Sato",    "Ivanova", "Mensah"};
constexpr std::array kAreaCodes = {"312", "773", "872", "630", "847", "708", "224", "331"};

struct Intent {
  std::vector<const char*> patient;  // lines the patient writes
  std::vector<const char*> staff;    // lines staff write back
};

struct Topic {
  core::Category category;
  const char* queue;
  int weight;  // relative frequency
  std::vector<Intent> intents;
};

// Slots: {day} {daypart} {time} {doctor} {drug} {pharmacy} {specialist} {test} {insurer}
// {amount} {number} {name}.
const std::vector<Topic>& Topics() {
  static const std::vector<Topic> topics = {
      {core::Category::kAppointment,
       "front-desk",
       26,
       {{{"Hi, can I get an appointment with {doctor} on {day}?",
          "Do you have anything {day} {daypart}? I can only come before work.",
          "I'm a new patient and would like to schedule a physical.",
          "Could I see {doctor} sooner? My knee is getting worse."},
         {"We have {day} at {time} with {doctor}. Does that work for you?",
          "You're booked for {day} at {time}. Please arrive 15 minutes early with your insurance "
          "card.",
          "{doctor} is full this week; the first opening is {day} {daypart}."}},
        {{"I need to reschedule my appointment on {day}.",
          "Something came up at work, can we move my {time} visit to {day}?",
          "Can I switch my appointment to the {daypart}?"},
         {"No problem, I moved you to {day} at {time}.",
          "Done: your visit is now {day} at {time} with {doctor}."}},
        {{"I have to cancel my visit on {day}, sorry.", "Please cancel my {time} appointment."},
         {"Your appointment is cancelled. Would you like to pick another day?",
          "Cancelled. Call us or reply here when you want to rebook."}},
        {{"Running about 15 minutes late for my {time} appointment.",
          "Is there parking near the clinic? I'm on my way."},
         {"Thanks for letting us know, we'll hold your spot.",
          "Free parking is behind the building, see you soon."}},
        {{"Got the reminder for {day}. Yes, I'll be there.",
          "Just confirming my appointment with {doctor} at {time}."},
         {"Great, you're confirmed for {day} at {time}.", "Thanks for confirming!"}}}},
      {core::Category::kPrescription,
       "clinical",
       13,
       {{{"I need a refill of my {drug}.", "My pharmacy says the refill for {drug} was denied.",
          "Can the doctor approve a refill? I have two pills left.",
          "Please send the {drug} refill to {pharmacy}."},
         {"I've sent the refill request for {drug} to {doctor}; expect it within one business day.",
          "{doctor} approved the refill, {pharmacy} should have it today.",
          "The refill needs a visit first; {doctor} has {day} at {time}."}},
        {{"Can you send my {drug} prescription to {pharmacy} instead?",
          "I changed pharmacies, please use {pharmacy} from now on."},
         {"Updated: prescriptions will go to {pharmacy}.",
          "I transferred the {drug} prescription to {pharmacy}."}},
        {{"Since starting {drug} I feel dizzy in the mornings.",
          "Is it ok to take {drug} together with {drug}?",
          "The new dose of {drug} gives me headaches."},
         {"I've asked the nurse to call you about the {drug} today.",
          "{doctor} says to take it with food and check your blood pressure daily.",
          "Please stop the {drug} and come in {day} so we can adjust it."}},
        {{"Insurance wants a prior authorization for {drug}.",
          "The pharmacy says {insurer} won't cover {drug}."},
         {"We submitted the prior authorization to {insurer}; it usually takes 3 to 5 days.",
          "{doctor} switched you to a covered alternative."}}}},
      {core::Category::kBilling,
       "billing",
       12,
       {{{"Why did I get a bill for {amount} after my annual physical?",
          "I received a statement I don't understand, account {number}.",
          "My bill says I owe {amount} but I already paid."},
         {"I'm looking into the statement now and will call you back.",
          "That charge was for the lab work; {insurer} applied it to your deductible.",
          "I see your payment, the statement crossed in the mail. You owe nothing."}},
        {{"Can I set up a payment plan for the {amount} balance?",
          "I can't pay {amount} at once, what are my options?"},
         {"Yes, we can split it into 3 monthly payments, no interest.",
          "I set up a plan: {amount} over 4 months starting next month."}},
        {{"I think {insurer} was billed wrong for my visit.",
          "My insurance changed to {insurer}, can you rebill the claim {number}?",
          "{insurer} denied the claim, what do I do?"},
         {"I resubmitted the claim to {insurer} with the corrected member id.",
          "Please send a photo of the front and back of your new {insurer} card."}}}},
      {core::Category::kRecords,
       "front-desk",
       10,
       {{{"How do I get a copy of my {test}?", "Are my {test} back yet?",
          "Could you send me the {test} from last week?"},
         {"Your {test} are in the portal now; {doctor} added a note.",
          "The {test} came back normal. {doctor} will review them at your next visit."}},
        {{"Please send my records to my new {specialist} doctor.",
          "I'm moving, how do I transfer my medical records?"},
         {"Please sign the release form I'm sending now and we'll fax the records.",
          "Records were faxed to the {specialist} office this morning."}},
        {{"I need my vaccination record for school.", "Do you have my tetanus shot on file?"},
         {"I've uploaded the immunization record to the portal.",
          "Yes, your last tetanus shot was in 2019."}}}},
      {core::Category::kReferral,
       "clinical",
       10,
       {{{"Did my referral to {specialist} go through?",
          "The {specialist} office says they never got my referral.",
          "I need a referral for {specialist}, {insurer} requires one."},
         {"The referral to {specialist} was faxed this morning; they'll call you to schedule.",
          "{doctor} signed the referral. {insurer} approval takes about a week.",
          "I resent the referral and confirmed with the {specialist} front desk."}}}},
      {core::Category::kClinicalQuestion,
       "clinical",
       12,
       {{{"My child has had a fever for two days, should we come in?",
          "Fever of 101 since {day}, is that a concern?"},
         {"Please bring her in today; we have {time} with {doctor}.",
          "Alternate acetaminophen and ibuprofen and call us if it goes above 103."}},
        {{"My blood pressure readings are high this week.",
          "Home readings are around 150 over 95, what should I do?"},
         {"{doctor} wants you to keep a log and come in {day}.",
          "Please continue the {drug} and we'll check it at your visit."}},
        {{"The cut on my hand looks red and swollen.", "Is it normal for the stitches to itch?"},
         {"Please send a photo so the nurse can take a look.",
          "That sounds like it's healing, but come in {day} if the redness spreads."}}}},
      {core::Category::kOther,
       "front-desk",
       11,
       {{{"What are your hours on {day}?", "Are you open on {day} {daypart}?"},
         {"We're open {day} 8 to 5 and Saturday 9 to noon.", "Yes, we open at 8 that day."}},
        {{"Do you accept {insurer}?", "Is {doctor} in network for {insurer}?"},
         {"Yes, we're in network with {insurer}.",
          "{doctor} accepts {insurer} plans except the HMO."}},
        {{"I moved, please update my address.", "New phone number, please update my file."},
         {"Updated, thank you!", "Done, your contact details are updated."}}}},
      {core::Category::kUncategorized,
       "front-desk",
       6,
       {{{"Hello?", "Is anyone there?", "Please call me back when you can.",
          "I have a question for {doctor}."},
         {"Hi {name}, how can we help?", "Hi {name}, this is the front desk. What do you need?"}}}},
  };
  return topics;
}

constexpr std::array kPatientFollowUps = {"Thank you!",
                                          "Ok, sounds good.",
                                          "That works for me, thanks.",
                                          "Great, thank you so much.",
                                          "Sorry, one more question.",
                                          "Can you call me instead?",
                                          "I'll check and get back to you.",
                                          "Perfect, see you then.",
                                          "Still waiting on this, any update?"};
constexpr std::array kStaffFollowUps = {
    "You're all set. Have a good day!", "Happy to help, {name}.",
    "Let us know if anything else comes up.", "I'll follow up as soon as I hear back.",
    "Sure, someone will call you this {daypart}."};
constexpr std::array kNotes = {"Left voicemail.", "Waiting on {doctor} to sign off.",
                               "Checked with billing, see claim {number}.",
                               "Patient prefers text messages.", "Called pharmacy, confirmed."};

constexpr std::array<core::Channel, 20> kChannelMix = {
    core::Channel::kSms,   core::Channel::kSms,   core::Channel::kSms,   core::Channel::kSms,
    core::Channel::kSms,   core::Channel::kSms,   core::Channel::kSms,   core::Channel::kChat,
    core::Channel::kChat,  core::Channel::kChat,  core::Channel::kChat,  core::Channel::kEmail,
    core::Channel::kEmail, core::Channel::kEmail, core::Channel::kEmail, core::Channel::kPhone,
    core::Channel::kPhone, core::Channel::kPhone, core::Channel::kWeb,   core::Channel::kWeb};

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}
  std::uint64_t Next() { return gen_(); }
  int Uniform(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(gen_() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool Chance(int percent) { return Uniform(0, 99) < percent; }
  template <class C>
  const auto& Pick(const C& c) {
    return c[gen_() % c.size()];
  }

 private:
  std::mt19937_64 gen_;
};

// Fills the {slot}s of a template.
std::string Fill(std::string_view tmpl, Rng& rng, std::string_view first_name) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  for (std::size_t i = 0; i < tmpl.size();) {
    if (tmpl[i] != '{') {
      out.push_back(tmpl[i++]);
      continue;
    }
    std::size_t close = tmpl.find('}', i);
    std::string_view slot = tmpl.substr(i + 1, close - i - 1);
    i = close + 1;
    if (slot == "day")
      out += rng.Pick(kDays);
    else if (slot == "daypart")
      out += rng.Pick(kDayparts);
    else if (slot == "time")
      out += rng.Pick(kTimes);
    else if (slot == "doctor")
      out += rng.Pick(kDoctors);
    else if (slot == "drug")
      out += rng.Pick(kDrugs);
    else if (slot == "pharmacy")
      out += rng.Pick(kPharmacies);
    else if (slot == "specialist")
      out += rng.Pick(kSpecialists);
    else if (slot == "test")
      out += rng.Pick(kTests);
    else if (slot == "insurer")
      out += rng.Pick(kInsurers);
    else if (slot == "amount")
      out += "$" + std::to_string(rng.Uniform(2, 90) * 5);
    else if (slot == "number")
      out += std::to_string(rng.Uniform(100000, 999999));
    else if (slot == "name")
      out += first_name;
  }
  return out;
}

struct PatientRef {
  PatientId id;
  std::string first_name;
  std::string phone;
  std::string email;
};

struct StaffMember {
  UserId id;
  std::vector<std::string> queues;
};

struct Totals {
  std::int64_t conversations = 0;
  std::int64_t messages = 0;
  std::int64_t events = 0;
  std::map<std::string, std::int64_t> by_status;
  std::int64_t unassigned = 0;
};

// Everything one Write needs to simulate conversations.
class Simulator {
 public:
  Simulator(const Options& o, Rng& rng, Timestamp now, const std::vector<PatientRef>& patients,
            const std::vector<StaffMember>& staff)
      : options_(o), rng_(rng), now_(now), patients_(patients), staff_(staff) {
    for (const Topic& t : Topics()) total_weight_ += t.weight;
  }

  // Simulates one conversation of `message_count` messages with the core's commands and stores
  // it: the conversation, its messages, its events.
  Result<void> One(store::TenantTx& tx, const core::BusinessCalendar& cal,
                   const std::vector<core::SlaPolicy>& policies, int message_count,
                   Totals& totals) {
    const Topic& topic = PickTopic();
    const Intent& intent = rng_.Pick(topic.intents);
    const PatientRef& patient = patients_[rng_.Next() % patients_.size()];
    const core::Channel channel = rng_.Pick(kChannelMix);
    const int prio_roll = rng_.Uniform(0, 99);
    const core::Priority priority = prio_roll < 4    ? core::Priority::kUrgent
                                    : prio_roll < 14 ? core::Priority::kHigh
                                    : prio_roll < 24 ? core::Priority::kLow
                                                     : core::Priority::kNormal;
    const std::string queue =
        topic.queue == std::string_view("clinical") && rng_.Chance(20) ? "nurse-line" : topic.queue;
    Timestamp t = NextStart();

    core::SlaPolicy policy = core::SelectPolicy(policies, queue, channel, priority);
    core::Decision d = core::OpenConversation(patient.id, channel, queue, priority, policy, t, cal);
    std::vector<core::Event> events = std::move(d.events);
    CD_TRY_ASSIGN(core::Decision received, core::ReceiveInbound(d.conversation, t, cal));
    events.insert(events.end(), received.events.begin(), received.events.end());
    core::Conversation c = std::move(received.conversation);
    c.category = topic.category;
    CD_TRY_ASSIGN(c, tx.InsertConversation(c, cal, t));

    auto apply = [&](core::Decision step) {
      c = std::move(step.conversation);
      events.insert(events.end(), step.events.begin(), step.events.end());
    };
    auto tick_to = [&](Timestamp at) { apply(core::SlaTick(c, at, cal)); };

    std::vector<core::Message> messages;
    auto add_message = [&](core::MessageKind kind, std::string text, UserId author) {
      core::Message m;
      m.conversation_id = c.id;
      m.kind = kind;
      m.channel = channel;
      m.author = author;
      if (kind == core::MessageKind::kInbound) {
        m.sender = channel == core::Channel::kEmail ? patient.email
                   : channel == core::Channel::kSms || channel == core::Channel::kPhone
                       ? patient.phone
                       : "visitor-" + std::to_string(patient.id.value);
      }
      m.text = std::move(text);
      m.delivery = kind == core::MessageKind::kInbound ? core::DeliveryStatus::kReceived
                   : kind == core::MessageKind::kNote  ? core::DeliveryStatus::kDelivered
                   : rng_.Chance(95)                   ? core::DeliveryStatus::kDelivered
                                                       : core::DeliveryStatus::kUndelivered;
      m.created_at = t;
      messages.push_back(std::move(m));
    };
    // The next instant: `proposed` unless it would pass `now`, then a share of what is left.
    auto advance = [&](Timestamp proposed, int steps_left) {
      const Timestamp limit = now_ - minutes(1);
      if (proposed < limit) return proposed;
      if (t >= limit) return t + Millis(1);
      return t + (limit - t) / (steps_left + 1) + Millis(1);
    };

    UserId agent = PickAgent(queue);
    bool assigned = false;
    add_message(core::MessageKind::kInbound,
                Fill(rng_.Pick(intent.patient), rng_, patient.first_name), UserId{});
    bool last_inbound = true;
    for (int k = 1; k < message_count; ++k) {
      const int steps_left = message_count - k;
      const bool staff_turn = k % 2 == 1;
      if (staff_turn) {
        // Response delay in business time: mostly quick, a tail that breaches.
        const int roll = rng_.Uniform(0, 99);
        const Millis delay = minutes(roll < 60   ? rng_.Uniform(1, 15)
                                     : roll < 85 ? rng_.Uniform(15, 45)
                                                 : rng_.Uniform(45, 300));
        t = advance(cal.AddBusinessTime(t, delay), steps_left);
        if (!assigned && rng_.Chance(85)) {
          tick_to(t);
          CD_TRY_ASSIGN(auto routed,
                        core::Route(c, {agent, std::nullopt, std::nullopt, std::nullopt}, policies,
                                    agent, t, cal));
          apply(std::move(routed));
          assigned = true;
        }
        tick_to(t);
        if (rng_.Chance(8)) {  // an internal note instead of a reply
          CD_TRY_ASSIGN(auto noted, core::AddNote(c, agent, t));
          apply(std::move(noted));
          add_message(core::MessageKind::kNote, Fill(rng_.Pick(kNotes), rng_, patient.first_name),
                      agent);
          continue;
        }
        const bool last = k == message_count - 1;
        std::optional<core::Status> then;
        if (last) {
          const bool old = now_ - t > hours(24 * 7);
          const int r = rng_.Uniform(0, 99);
          if (old)
            then = r < 90 ? core::Status::kResolved : core::Status::kPending;
          else
            then = r < 40   ? std::optional(core::Status::kResolved)
                   : r < 80 ? std::optional(core::Status::kPending)
                            : std::nullopt;
        } else if (rng_.Chance(50)) {
          then = core::Status::kPending;
        }
        CD_TRY_ASSIGN(auto replied, core::RecordReply(c, agent, then, t, cal));
        apply(std::move(replied));
        const bool generic = k > 2 && rng_.Chance(35);
        add_message(core::MessageKind::kOutbound,
                    Fill(generic ? rng_.Pick(kStaffFollowUps) : rng_.Pick(intent.staff), rng_,
                         patient.first_name),
                    agent);
        last_inbound = false;
      } else {
        t = advance(t + minutes(rng_.Uniform(3, 24 * 60)), steps_left);
        tick_to(t);
        CD_TRY_ASSIGN(auto back, core::ReceiveInbound(c, t, cal));
        apply(std::move(back));
        const bool generic = rng_.Chance(45);
        add_message(core::MessageKind::kInbound,
                    Fill(generic ? rng_.Pick(kPatientFollowUps) : rng_.Pick(intent.patient), rng_,
                         patient.first_name),
                    UserId{});
        last_inbound = true;
      }
    }
    // Stale conversations still waiting on staff are mostly resolved by someone eventually.
    if (last_inbound && now_ - t > hours(24 * 14) && rng_.Chance(90)) {
      t += hours(24);
      tick_to(t);
      CD_TRY_ASSIGN(auto resolved, core::ChangeStatus(c, core::Status::kResolved, agent, t, cal));
      apply(std::move(resolved));
    }
    if (c.status == core::Status::kResolved && c.resolved_at &&
        *c.resolved_at + hours(24 * 3) < now_ && rng_.Chance(90)) {
      t = *c.resolved_at + hours(24 * 3);
      tick_to(t);
      CD_TRY_ASSIGN(auto closed, core::ChangeStatus(c, core::Status::kClosed, UserId{}, t, cal));
      apply(std::move(closed));
    }
    tick_to(now_);

    for (core::Message& m : messages) CD_TRY(tx.InsertMessage(std::move(m)));
    for (core::Event& e : events) e.conversation_id = c.id;
    CD_TRY(tx.UpdateConversation(c, cal, now_));
    CD_TRY(tx.AppendEvents(events));

    ++totals.conversations;
    totals.messages += static_cast<std::int64_t>(messages.size());
    totals.events += static_cast<std::int64_t>(events.size());
    ++totals.by_status[std::string(core::Name(c.status))];
    if (!c.assignee) ++totals.unassigned;
    return {};
  }

 private:
  // Conversations start in time order over the last `days` days, as a live inbox receives
  // them (so the time-ordered indexes grow at their end, as they would in production).
  Timestamp NextStart() {
    const Millis span = hours(24) * options_.days;
    const double expected = std::max<double>(
        1.0, static_cast<double>(options_.messages) / options_.messages_per_conversation);
    const double position =
        (static_cast<double>(started_) + rng_.Uniform(0, 999) / 1000.0) / expected;
    ++started_;
    const Timestamp t = now_ - span +
                        Millis(static_cast<std::int64_t>(static_cast<double>(span.count()) *
                                                         std::min(position, 1.0)));
    return std::min(t, now_ - minutes(2));
  }

  const Topic& PickTopic() {
    int r = rng_.Uniform(0, total_weight_ - 1);
    for (const Topic& t : Topics()) {
      if (r < t.weight) return t;
      r -= t.weight;
    }
    return Topics().back();
  }

  UserId PickAgent(std::string_view queue) {
    for (int tries = 0; tries < 8; ++tries) {
      const StaffMember& s = rng_.Pick(staff_);
      for (const std::string& q : s.queues) {
        if (q == queue) return s.id;
      }
    }
    return rng_.Pick(staff_).id;
  }

  const Options& options_;
  Rng& rng_;
  Timestamp now_;
  const std::vector<PatientRef>& patients_;
  const std::vector<StaffMember>& staff_;
  int total_weight_ = 0;
  std::int64_t started_ = 0;  // conversations simulated so far
};

[[noreturn]] void Usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "seed: " << problem << "\n";
  std::cerr << "usage: seed --data DIR [--messages 1000000] [--messages-per-conversation 10]\n"
               "            [--patients 50000] [--seed 42] [--days 90] [--batch 10]\n"
               "            [--sealed yes|no] [--chat-tenants N --chats-per-tenant C]\n";
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") Usage("");
    if (i + 1 >= argc) Usage("missing value for " + std::string(arg));
    std::string value = argv[++i];
    auto number = [&](std::int64_t lo, std::int64_t hi) {
      char* end = nullptr;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || v < lo || v > hi) {
        Usage(std::string(arg) + " must be an integer in [" + std::to_string(lo) + ", " +
              std::to_string(hi) + "]");
      }
      return static_cast<std::int64_t>(v);
    };
    if (arg == "--data")
      o.data = value;
    else if (arg == "--messages")
      o.messages = number(0, 100'000'000);
    else if (arg == "--messages-per-conversation")
      o.messages_per_conversation = static_cast<int>(number(1, 1000));
    else if (arg == "--patients")
      o.patients = static_cast<int>(number(0, 10'000'000));
    else if (arg == "--seed")
      o.seed = static_cast<std::uint64_t>(number(0, INT64_MAX));
    else if (arg == "--days")
      o.days = static_cast<int>(number(1, 3650));
    else if (arg == "--batch")
      o.batch = static_cast<int>(number(1, 10'000));
    else if (arg == "--chat-tenants")
      o.chat_tenants = static_cast<int>(number(0, 10'000));
    else if (arg == "--chats-per-tenant")
      o.chats_per_tenant = static_cast<int>(number(0, 100'000));
    else if (arg == "--sealed" && (value == "yes" || value == "no"))
      o.sealed = value == "yes";
    else
      Usage("unknown option " + std::string(arg));
  }
  if (o.data.empty()) Usage("--data is required");
  if (o.messages > 0 && o.patients == 0) Usage("--messages needs --patients > 0");
  return o;
}

Result<void> WriteToken(const std::string& dir, const std::string& token) {
  const std::string path = dir + "/bench-token";
  {
    std::ofstream out(path, std::ios::trunc);
    if (!out) return Unavailable("cannot write " + path);
    out << token << "\n";
  }
  ::chmod(path.c_str(), 0600);
  return {};
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The live-chat practices of bench/ws.sh (see Options::chat_tenants).
Result<void> SeedChats(store::Store& st, const Options& o, Timestamp now) {
  const std::string path = o.data + "/chat-plan.txt";
  std::ofstream plan(path, std::ios::trunc);
  if (!plan) return Unavailable("cannot write " + path);
  ::chmod(path.c_str(), 0600);
  CD_TRY_ASSIGN(std::string password_hash, security::HashPassword(security::NewSecret()));
  for (int t = 0; t < o.chat_tenants; ++t) {
    store::Tenant tenant;
    tenant.slug = "chat" + std::to_string(t);
    tenant.name = "Chat practice " + std::to_string(t);
    tenant.time_zone = "America/Chicago";
    tenant.business_hours = "always";
    tenant.created_at = now;
    CD_TRY_ASSIGN(tenant, st.CreateTenant(tenant));
    const std::string staff_token = security::NewSecret("cdk_");
    UserId agent;
    CD_TRY(st.Write(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
      store::User u;
      u.email = "agent@" + tenant.slug + ".example";
      u.display_name = "Agent " + std::to_string(t);
      u.role = core::Role::kAdmin;
      CD_TRY_ASSIGN(u, tx.InsertUser(u, password_hash));
      agent = u.id;
      return tx.InsertApiToken(u.id, security::HashSecret(staff_token), "bench", now, std::nullopt);
    }));
    constexpr int kBatch = 500;
    for (int done = 0; done < o.chats_per_tenant;) {
      const int n = std::min(kBatch, o.chats_per_tenant - done);
      std::vector<std::pair<std::int64_t, std::string>> made;
      CD_TRY(st.Write(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
        made.clear();
        CD_TRY_ASSIGN(auto cal, tx.Calendar());
        for (int k = 0; k < n; ++k) {
          const std::string chat_token = security::NewSecret("cdc_");
          core::Patient p;
          p.visitor_id = "chat-" + security::HashSecret(chat_token).substr(0, 24);
          p.created_at = p.updated_at = now;
          CD_TRY_ASSIGN(p, tx.InsertPatient(p));
          core::Decision d =
              core::OpenConversation(p.id, core::Channel::kChat, "front-desk",
                                     core::Priority::kNormal, core::SlaPolicy{}, now, cal);
          d.conversation.assignee = agent;
          CD_TRY_ASSIGN(d.conversation, tx.InsertConversation(d.conversation, cal, now));
          core::Message m;
          m.conversation_id = d.conversation.id;
          m.channel = core::Channel::kChat;
          m.sender = *p.visitor_id;
          m.text = "Hello, I have a question about my appointment.";
          m.created_at = now;
          CD_TRY(tx.InsertMessage(m));
          store::Chat chat;
          chat.conversation = d.conversation.id;
          chat.visitor_hash = security::HashSecret(chat_token);
          chat.visitor_id = *p.visitor_id;
          chat.language = "en";
          chat.queue = "front-desk";
          chat.state = "active";
          chat.agent = agent;
          chat.started_at = chat.patient_seen_at = now;
          chat.answered_at = now;
          CD_TRY(tx.InsertChat(chat));
          made.emplace_back(d.conversation.id.value, chat_token);
        }
        return {};
      }));
      for (const auto& [conversation, chat_token] : made) {
        plan << tenant.slug << ' ' << staff_token << ' ' << conversation << ' ' << chat_token
             << '\n';
      }
      done += n;
    }
  }
  std::cerr << "seed: " << o.chat_tenants << " chat practices with " << o.chats_per_tenant
            << " chats each in " << path << "\n";
  return {};
}

Result<void> Run(const Options& o) {
  CD_TRY(security::Init());
  std::filesystem::create_directories(o.data);
  store::SqlStoreOptions options;
  if (o.sealed) {
    const std::string key_file = o.data + "/master.key";
    if (!std::filesystem::exists(key_file)) {
      CD_TRY(security::WriteKeyFile(key_file, security::SecretKey::Random()));
    }
    CD_TRY_ASSIGN(options.master_key, security::ReadKeyFile(key_file));
  }
  CD_TRY_ASSIGN(auto st, store::OpenStore("sqlite:" + o.data + "/caredesk.db", options));
  CD_TRY(st->Migrate());
  const Timestamp now = SystemClock().Now();
  Rng rng(o.seed);

  CD_TRY_ASSIGN(auto existing, st->FindTenantBySlug(kTenantSlug));
  const bool fresh = !existing;
  store::Tenant tenant;
  if (existing) {
    tenant = *existing;
  } else {
    tenant.slug = std::string(kTenantSlug);
    tenant.name = "Benchmark Family Medicine";
    tenant.time_zone = "America/Chicago";
    tenant.business_hours = "mon-fri 08:00-17:00; sat 09:00-12:00";
    tenant.created_at = now - hours(24) * (o.days + 10);
    CD_TRY_ASSIGN(tenant, st->CreateTenant(tenant));
  }

  // Staff and SLA policies (only for a new tenant), and a new API token for the admin.
  const std::string token = security::NewSecret("cdk_");
  std::vector<StaffMember> staff;
  {
    std::string password_hash;
    if (fresh) {
      // Not meant for sign-in; one Argon2id hash shared by every bench account.
      CD_TRY_ASSIGN(password_hash, security::HashPassword(security::NewSecret()));
    }
    CD_TRY(st->Write(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
      if (fresh) {
        struct Spec {
          const char* email;
          const char* name;
          core::Role role;
          std::vector<std::string> queues;
        };
        const std::vector<Spec> specs = {
            {"bench@bench.example", "Bench Admin", core::Role::kAdmin, {}},
            {"sup1@bench.example",
             "Sam Supervisor",
             core::Role::kSupervisor,
             {"front-desk", "billing"}},
            {"sup2@bench.example",
             "Kim Supervisor",
             core::Role::kSupervisor,
             {"clinical", "nurse-line"}},
            {"ana@bench.example", "Ana Front Desk", core::Role::kAgent, {"front-desk"}},
            {"ben@bench.example", "Ben Front Desk", core::Role::kAgent, {"front-desk"}},
            {"cho@bench.example", "Cho Front Desk", core::Role::kAgent, {"front-desk", "billing"}},
            {"dev@bench.example", "Dev Front Desk", core::Role::kAgent, {"front-desk"}},
            {"nia@bench.example", "Nia Nurse", core::Role::kAgent, {"clinical", "nurse-line"}},
            {"oli@bench.example", "Oli Nurse", core::Role::kAgent, {"clinical", "nurse-line"}},
            {"pat@bench.example", "Pat Medical Assistant", core::Role::kAgent, {"clinical"}},
            {"bo@bench.example", "Bo Billing", core::Role::kAgent, {"billing"}},
            {"eve@bench.example", "Eve Billing", core::Role::kAgent, {"billing"}},
            {"cas@bench.example", "Casey Counselor", core::Role::kCounselor, {"clinical"}},
        };
        for (const Spec& s : specs) {
          store::User u;
          u.email = s.email;
          u.display_name = s.name;
          u.role = s.role;
          u.languages = {"en"};
          u.queues = s.queues;
          u.created_at = tenant.created_at;
          CD_TRY_ASSIGN(u, tx.InsertUser(u, password_hash));
          if (u.role == core::Role::kAgent || u.role == core::Role::kSupervisor) {
            staff.push_back({u.id, u.queues});
          }
        }
        core::SlaPolicy chat;
        chat.name = "Live chat";
        chat.channel = core::Channel::kChat;
        chat.targets.first_response = minutes(5);
        chat.targets.next_response = minutes(5);
        chat.targets.resolution = hours(2);
        CD_TRY(tx.InsertSlaPolicy(chat));
        core::SlaPolicy billing;
        billing.name = "Billing";
        billing.queue = "billing";
        billing.targets.first_response = hours(4);
        billing.targets.next_response = hours(4);
        billing.targets.resolution = hours(27);
        CD_TRY(tx.InsertSlaPolicy(billing));
        core::SlaPolicy urgent;
        urgent.name = "Urgent";
        urgent.priority = core::Priority::kUrgent;
        urgent.targets.first_response = minutes(10);
        CD_TRY(tx.InsertSlaPolicy(urgent));
      }
      CD_TRY_ASSIGN(auto admin, tx.FindUserByEmail(kAdminEmail));
      if (!admin) return NotFound("tenant bench has no user " + std::string(kAdminEmail));
      return tx.InsertApiToken(admin->id, security::HashSecret(token), "bench", now, std::nullopt);
    }));
  }
  CD_TRY(WriteToken(o.data, token));

  if (!fresh) {
    if (o.messages > 0 || o.patients > 0) {
      std::cerr << "seed: tenant \"bench\" already exists in " << o.data
                << "; issued a new token only (seed a fresh --data to reseed)\n";
    }
    std::cout << token << std::endl;
    return {};
  }

  // Patients: distinct NANP numbers, a name, most with an email.
  const auto started = std::chrono::steady_clock::now();
  std::vector<PatientRef> patients;
  patients.reserve(static_cast<std::size_t>(o.patients));
  constexpr int kPatientBatch = 5000;
  for (int done = 0; done < o.patients;) {
    const int n = std::min(kPatientBatch, o.patients - done);
    CD_TRY(st->Write(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
      for (int k = 0; k < n; ++k) {
        const int i = done + k;
        core::Patient p;
        const std::string first = rng.Pick(kFirst);
        p.name = first + " " + rng.Pick(kLast);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", rng.Uniform(1935, 2022),
                      rng.Uniform(1, 12), rng.Uniform(1, 28));
        p.date_of_birth = std::string(buf);
        std::snprintf(buf, sizeof buf, "+1%s%03d%04d", kAreaCodes[i % kAreaCodes.size()],
                      200 + (i / static_cast<int>(kAreaCodes.size())) / 10000 % 800,
                      (i / static_cast<int>(kAreaCodes.size())) % 10000);
        p.phone = std::string(buf);
        if (rng.Chance(65)) {
          std::string local = p.name;
          for (char& ch : local) {
            ch = ch == ' ' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          }
          p.email = local + std::to_string(i) + "@example.com";
        }
        p.language = rng.Chance(18) ? "es" : "en";
        p.preferred_channel = rng.Chance(60) ? core::Channel::kSms : core::Channel::kEmail;
        p.consent_sms = rng.Chance(80);
        p.consent_email = p.email.has_value();
        p.created_at = p.updated_at = tenant.created_at;
        CD_TRY_ASSIGN(p, tx.InsertPatient(p));
        patients.push_back({p.id, first, *p.phone, p.email.value_or("")});
      }
      return {};
    }));
    done += n;
  }
  std::cerr << "seed: " << patients.size() << " patients in " << SecondsSince(started) << " s\n";

  // Conversations, `batch` per transaction, until exactly `messages` messages are stored.
  Simulator sim(o, rng, now, patients, staff);
  Totals totals;
  std::int64_t reported = 0;
  while (totals.messages < o.messages) {
    CD_TRY(st->Write(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(auto cal, tx.Calendar());
      CD_TRY_ASSIGN(auto policies, tx.SlaPolicies());
      for (int k = 0; k < o.batch && totals.messages < o.messages; ++k) {
        // 1 .. 2m-1 messages, mean m; the last conversation takes exactly what is left.
        const int m = o.messages_per_conversation;
        const std::int64_t left = o.messages - totals.messages;
        const int count = static_cast<int>(std::min<std::int64_t>(left, rng.Uniform(1, 2 * m - 1)));
        CD_TRY(sim.One(tx, cal, policies, count, totals));
      }
      return {};
    }));
    if (totals.messages - reported >= 100'000 || totals.messages >= o.messages) {
      reported = totals.messages;
      const double s = SecondsSince(started);
      std::cerr << "seed: " << totals.messages << " messages, " << totals.conversations
                << " conversations, " << s << " s (" << static_cast<long>(totals.messages / s)
                << " messages/s)\n";
    }
  }

  if (o.chat_tenants > 0) CD_TRY(SeedChats(*st, o, now));

  std::cerr << "seed: done: " << patients.size() << " patients, " << totals.conversations
            << " conversations, " << totals.messages << " messages, " << totals.events
            << " events; status";
  for (const auto& [status, n] : totals.by_status) std::cerr << " " << status << "=" << n;
  std::cerr << "; unassigned=" << totals.unassigned << "; " << SecondsSince(started) << " s\n";
  std::cout << token << std::endl;
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseArgs(argc, argv);
  auto r = Run(options);
  if (!r) {
    std::cerr << "seed: " << r.error().message << "\n";
    return 1;
  }
  return 0;
}
