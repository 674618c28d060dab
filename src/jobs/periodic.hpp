// The thread behind each job: runs a pass every `interval` until stopped. A pass that fails or
// throws is logged as "<name>_failed" or "<name>_threw" and the next one goes ahead. Start and
// Stop from the thread that owns the job; Stop waits for a running pass.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/error.hpp"
#include "base/time.hpp"

namespace caredesk::jobs {

class Periodic {
 public:
  Periodic(std::string name, Millis interval, std::function<Result<int>()> pass);
  ~Periodic();
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  void Start();
  void Stop();

 private:
  const std::string name_;
  const Millis interval_;
  const std::function<Result<int>()> pass_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace caredesk::jobs
