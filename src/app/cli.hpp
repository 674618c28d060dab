// The command line, a contract that scripts and operators rely on:
//   caredesk serve | migrate | demo | tenant create | user create | token create |
//   import queue-log | ...
// Returns the process exit code: 0 success, 1 runtime failure, 2 usage error.
#pragma once

namespace caredesk::app {

int RunCli(int argc, char** argv);

}  // namespace caredesk::app
