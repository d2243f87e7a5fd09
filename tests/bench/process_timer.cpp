// process-timer ROUNDS -- COMMAND... [-- COMMAND...]...
//
// Runs the commands in turn ROUNDS times (so that they share the machine's load) and prints one
// line per command: the median wall-clock and the median CPU time (user + system, from wait4) of
// one process, in milliseconds. Leading NAME=VALUE words of a command go into its environment
// (no `env` process in between). A command that fails stops the run: a failed connection must
// not pass for a fast one.
//
// CPU time is the steadier figure on a shared or virtual machine: wall-clock also counts the
// time the process waited for a core (another build, the hypervisor's steal time).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Sample {
  double wall_ms;
  double cpu_ms;
};

double milliseconds(const timeval& time) { return time.tv_sec * 1e3 + time.tv_usec / 1e3; }

bool is_assignment(const std::string& word) {
  return word.find('=') != std::string::npos && word.front() != '/' && word.front() != '.';
}

// The program a command runs, for messages: never its arguments, which may hold a password.
std::string program_of(const std::vector<std::string>& command) {
  for (const auto& word : command)
    if (!is_assignment(word)) return word;
  return "?";
}

// Forks, execs `command` with stdout and stderr on /dev/null and waits; `status` is its wait
// status.
Sample run(const std::vector<std::string>& command, int& status) {
  std::vector<char*> argv;
  std::vector<std::string> environment;
  for (const auto& word : command) {
    if (argv.empty() && is_assignment(word))
      environment.push_back(word);
    else
      argv.push_back(const_cast<char*>(word.c_str()));
  }
  argv.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t child = ::fork();
  if (child == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    for (auto& assignment : environment) ::putenv(assignment.data());
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  rusage usage{};
  ::wait4(child, &status, 0, &usage);
  const std::chrono::duration<double, std::milli> wall = std::chrono::steady_clock::now() - start;
  return {wall.count(), milliseconds(usage.ru_utime) + milliseconds(usage.ru_stime)};
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 2 ? std::atoi(argv[1]) : 0;
  std::vector<std::vector<std::string>> commands;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0)
      commands.emplace_back();
    else if (!commands.empty())
      commands.back().emplace_back(argv[i]);
  }
  const bool usable = rounds > 0 && !commands.empty() &&
                      std::none_of(commands.begin(), commands.end(),
                                   [](const auto& command) { return command.empty(); });
  if (!usable) {
    std::fprintf(stderr, "usage: process-timer ROUNDS -- COMMAND... [-- COMMAND...]...\n");
    return 2;
  }
  std::vector<std::vector<double>> wall(commands.size());
  std::vector<std::vector<double>> cpu(commands.size());
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t i = 0; i < commands.size(); ++i) {
      int status = 0;
      const Sample sample = run(commands[i], status);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "process-timer: command %zu (%s) failed (wait status %d)\n", i + 1,
                     program_of(commands[i]).c_str(), status);
        return 1;
      }
      wall[i].push_back(sample.wall_ms);
      cpu[i].push_back(sample.cpu_ms);
    }
  }
  for (std::size_t i = 0; i < commands.size(); ++i)
    std::printf("%.2f %.2f\n", median(wall[i]), median(cpu[i]));
  return 0;
}
