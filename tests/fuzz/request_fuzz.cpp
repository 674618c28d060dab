// libFuzzer target for request parsing: the first byte picks a parser, the rest is input.
// Every parser must return a value or a clean error for any bytes, never crash, hang or
// trip ASan/UBSan. Built with clang by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/text.hpp"
#include "base/time.hpp"
#include "core/inbox/conversation.hpp"
#include "core/inbox/patient.hpp"
#include "core/inbox/phone.hpp"
#include "core/tenancy/calendar.hpp"
#include "http/handlers/inbound.hpp"
#include "http/json_input.hpp"
#include "http/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace caredesk;
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Timestamp now = FromEpochMillis(1795000000000);
  switch (data[0] % 8) {
    case 0: {
      auto r = http::ParseInbound(in, now);
      if (r && !IsValidUtf8(r->text)) __builtin_trap();  // validated text only
      break;
    }
    case 1:
      (void)http::ParseQuery(in);
      (void)http::PercentDecode(in, true);
      break;
    case 2:
      (void)http::ParseObject(in, {"name", "date_of_birth", "phone", "email"});
      break;
    case 3: {
      auto r = core::NormalizePhone(in);
      if (r && (r->size() < 9 || r->front() != '+')) __builtin_trap();
      (void)core::NormalizeEmail(in);
      break;
    }
    case 4: {
      auto hours = core::ParseWeeklyHours(in);
      if (hours) {
        auto again = core::ParseWeeklyHours(core::FormatWeeklyHours(*hours));
        if (!again || *again != *hours) __builtin_trap();  // canonical form round-trips
      }
      break;
    }
    case 5: {
      auto tokens = SearchTokens(in);
      for (const auto& t : tokens) {
        if (t.size() < 2 || t.size() > 64) __builtin_trap();
      }
      break;
    }
    case 6:
      (void)core::DecodeSla(in);
      (void)ParseRfc3339(in);
      break;
    case 7:
      (void)core::ValidateDateOfBirth(in, now);
      (void)core::ValidateLanguage(in);
      (void)core::ValidateMessageText(in);
      break;
  }
  return 0;
}
