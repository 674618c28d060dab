#include "app/cli.hpp"

int main(int argc, char** argv) { return caredesk::app::RunCli(argc, argv); }
