// A settable clock for tests; thread-safe.
#pragma once

#include <atomic>

#include "base/time.hpp"

namespace caredesk::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start) : ms_(ToEpochMillis(start)) {}
  Timestamp Now() const override { return FromEpochMillis(ms_.load()); }
  void Set(Timestamp t) { ms_ = ToEpochMillis(t); }
  void Advance(Millis d) { ms_ += d.count(); }

 private:
  std::atomic<std::int64_t> ms_;
};

}  // namespace caredesk::testing
