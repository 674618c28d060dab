// Runs the real caredesk binary as a child process for end-to-end tests: start it, read the
// port it prints, kill it (gracefully or with SIGKILL). Not thread-safe; one owner.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace caredesk::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts `argv`, capturing stdout. Returns false if it could not start.
  bool Start(const std::vector<std::string>& argv);
  // Reads stdout lines until one starts with `prefix`; returns it ("" on EOF or timeout).
  std::string WaitForLine(const std::string& prefix, int timeout_ms);
  void Kill(int signal);
  int Wait();  // exit status (or 128+signal)
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
};

// Runs a command to completion, feeding `input` on stdin; returns stdout, sets *status.
std::string RunCommand(const std::vector<std::string>& argv, const std::string& input, int* status);

}  // namespace caredesk::testing
