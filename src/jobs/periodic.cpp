#include "jobs/periodic.hpp"

#include "base/log.hpp"

namespace caredesk::jobs {

Periodic::Periodic(std::string name, Millis interval, std::function<Result<int>()> pass)
    : name_(std::move(name)), interval_(interval), pass_(std::move(pass)) {}

Periodic::~Periodic() { Stop(); }

void Periodic::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      try {
        auto done = pass_();
        if (!done) log::Warn(name_ + "_failed", {{"code", ErrorKindName(done.error().kind)}});
      } catch (const std::exception&) {
        log::Error(name_ + "_threw");
      }
      lock.lock();
      wake_.wait_for(lock, interval_, [this] { return stopping_; });
    }
  });
}

void Periodic::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace caredesk::jobs
