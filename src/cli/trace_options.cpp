#include <cctype>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/cli/trace_options.hpp>
#include <whittle/rootfs/apply.hpp>
#include <whittle/trace/idmap.hpp>
#include <whittle/trace/limits.hpp>
#include <whittle/trace/sandbox.hpp>
#include <whittle/util/env_list.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/in_root.hpp>
#include <whittle/util/log.hpp>
#include <whittle/util/number.hpp>
#include <whittle/util/temp_dir.hpp>

namespace whittle::cli {

std::vector<FlagSpec>
trace_flags()
{
  return {
      {"--entrypoint", "", "CMD", "replace the image's Entrypoint (and drop its Cmd); words or a JSON array"},
      {"--cmd", "", "CMD", "replace the image's Cmd; words or a JSON array"},
      {"--env", "-e", "K=V", "set an environment variable for the traced run", true},
      {"--cwd", "", "DIR", "the app's working directory (default: the image's WorkingDir)"},
      {"--mount", "", "HOST:CONTAINER[:ro]", "bind-mount a host path into the sandbox (recorded as special)",
       true},
      {"--workdir", "", "DIR", "extract under DIR (default: /dev/shm when it has room, else $TMPDIR)"},
      {"--keep-workdir", "", "", "keep the work directory"},
      {"--timeout", "", "SECONDS", "stop the app after this long (default 60)"},
      {"--network", "", "none|host",
       "none: a private loopback only (default); host: share the host's network"},
      {"--no-seccomp", "", "",
       "do not record the app's syscalls (no seccomp.json, no seccomp allow list in verify; a little "
       "faster)"},
      {"--syscalls", "", "",
       "accepted for compatibility: syscall recording is on by default (see --no-seccomp)"},
      {"--all-cpus", "", "",
       "let the app use every CPU (default: it shares one CPU with the tracer, 2x faster here)"},
      {"--probe", "", "URL", "GET http://HOST:PORT/PATH from inside the sandbox once the app answers", true},
      {"--probe-exec", "", "CMD", "run `/bin/sh -c CMD` inside the sandbox once the app is up", true},
      {"--no-healthcheck", "", "",
       "do not run the image's HEALTHCHECK as a probe (by default it runs during the trace and verify, its "
       "files are kept, and verify fails if it fails)"},
      {"--continue-after", "", "exit|probes|SECONDS|signal", "when to stop the app (as in `whittle trace`)"},
      {"--memory", "", "SIZE", "cap the app's memory, e.g. 512m (default 2g; 0 or none: no cap)"},
      {"--pids", "", "N", "cap the app's processes and threads (default 1024; 0 or none: no cap)"},
      {"--disk", "", "SIZE", "cap what the app may write below its root (default 4g; 0 or none: no cap)"},
  };
}

namespace {

std::vector<std::string>
split_command(const std::string& flag, const std::string& value)
{
  if (!value.empty() && value[0] == '[') {
    try {
      return nlohmann::json::parse(value).get<std::vector<std::string>>();
    } catch (const std::exception&) {
      throw UsageError(flag + " `" + value + "` is not a JSON array of strings");
    }
  }
  std::vector<std::string> out;
  std::istringstream in(value);
  std::string word;
  while (in >> word) {
    out.push_back(word);
  }
  return out;
}

// The image's StopSignal ("SIGQUIT", "QUIT" or "3"); SIGTERM when absent or unknown.
int
stop_signal_of(const oci::ImageConfig& cfg)
{
  const auto& raw = cfg.raw;
  auto c = raw.find("config");
  if (c == raw.end() || !c->is_object()) {
    return SIGTERM;
  }
  auto s = c->find("StopSignal");
  if (s == c->end() || !s->is_string()) {
    return SIGTERM;
  }
  std::string name = s->get<std::string>();
  if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0])) != 0) {
    auto n = util::parse_uint(name, 64);
    return n && *n > 0 ? static_cast<int>(*n) : SIGTERM;
  }
  if (name.rfind("SIG", 0) == 0) {
    name = name.substr(3);
  }
  static const std::pair<const char*, int> k_names[] = {
      {"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},   {"QUIT", SIGQUIT},
      {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"KILL", SIGKILL}, {"WINCH", SIGWINCH}};
  for (const auto& [n, v] : k_names) {
    if (name == n) {
      return v;
    }
  }
  util::warn("unknown StopSignal `" + s->get<std::string>() + "` in the image: using SIGTERM");
  return SIGTERM;
}

// Nanoseconds of the config to milliseconds, rounded up so that a set value never becomes "unset".
std::chrono::milliseconds
config_ms(int64_t ns)
{
  return std::chrono::milliseconds(ns / 1000000 + (ns % 1000000 != 0 ? 1 : 0));
}

} // namespace

std::optional<trace::HealthcheckProbe>
healthcheck_probe(const oci::ImageConfig& cfg)
{
  std::optional<oci::Healthcheck> h = cfg.healthcheck();
  if (!h) {
    return std::nullopt;
  }
  trace::HealthcheckProbe p;
  std::vector<std::string> words(h->test.begin() + 1, h->test.end());
  if (h->shell()) {
    // As docker: the image's shell, then the rest of Test (one command string as a rule).
    p.argv = cfg.shell();
    std::string command;
    for (const auto& w : words) {
      command += (command.empty() ? "" : " ") + w;
    }
    p.target = "CMD-SHELL " + command;
  } else {
    p.target = "CMD " + nlohmann::json(words).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  p.argv.insert(p.argv.end(), words.begin(), words.end());
  p.interval = config_ms(h->interval_ns);
  p.timeout = config_ms(h->timeout_ns);
  p.start_period = config_ms(h->start_period_ns);
  p.start_interval = config_ms(h->start_interval_ns);
  p.retries = static_cast<int>(std::min<int64_t>(h->retries, 1000));
  return p;
}

trace::TraceOptions
parse_trace_flags(const ParsedArgs& args)
{
  trace::TraceOptions o;
  if (auto t = args.get_seconds("--timeout")) {
    o.timeout = *t;
  }
  std::string network = args.get_or("--network", "none");
  if (network != "none" && network != "host") {
    throw UsageError("--network must be none or host");
  }
  o.sandbox.network = network == "host" ? trace::Network::host : trace::Network::none;
  for (const auto& m : args.all("--mount")) {
    o.sandbox.mounts.push_back(trace::parse_bind_mount(m));
  }
  o.http_probes = args.all("--probe");
  o.exec_probes = args.all_at_most("--probe-exec", trace::k_max_exec_probes);
  if (auto c = args.get("--continue-after")) {
    trace::parse_continue_after(*c, o);
  }
  // Recording is the default (seccomp.json is always written and proven); --syscalls is the old opt-in.
  if (args.has("--no-seccomp") && args.has("--syscalls")) {
    throw UsageError("--no-seccomp and --syscalls contradict each other: drop one");
  }
  o.all_syscalls = !args.has("--no-seccomp");
  if (auto m = args.get("--memory")) {
    o.limits.memory_bytes = trace::parse_size("--memory", *m);
  }
  if (auto p = args.get("--pids")) {
    o.limits.max_tasks = trace::parse_count("--pids", *p);
  }
  if (auto d = args.get("--disk")) {
    o.limits.disk_bytes = trace::parse_size("--disk", *d);
  }
  o.one_cpu = !args.has("--all-cpus");
  // Only checked here: parse_trace_options splits them again where it builds argv.
  for (const char* flag : {"--entrypoint", "--cmd"}) {
    if (auto words = args.get(flag)) {
      split_command(flag, *words);
    }
  }
  for (const auto& kv : args.all("--env")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("--env `" + kv + "` is not K=V");
    }
  }
  return o;
}

trace::TraceOptions
parse_trace_options(const ParsedArgs& args, const oci::ImageConfig& cfg)
{
  trace::TraceOptions o = parse_trace_flags(args);
  if (!args.has("--no-healthcheck")) {
    o.healthcheck = healthcheck_probe(cfg);
  }
  bool have_probes = !o.http_probes.empty() || !o.exec_probes.empty() || o.healthcheck;
  if (!args.has("--continue-after")) {
    o.continue_after = have_probes ? trace::ContinueAfter::probes : trace::ContinueAfter::exit;
  } else if (o.continue_after == trace::ContinueAfter::probes && !have_probes) {
    throw UsageError("--continue-after probes needs --probe, --probe-exec or an image with a HEALTHCHECK");
  }

  std::vector<std::string> entrypoint = cfg.entrypoint();
  std::vector<std::string> cmd = cfg.cmd();
  if (auto e = args.get("--entrypoint")) {
    entrypoint = split_command("--entrypoint", *e);
    cmd.clear(); // as docker run --entrypoint: the image's Cmd no longer applies
  }
  if (auto c = args.get("--cmd")) {
    cmd = split_command("--cmd", *c);
  }
  if (!args.rest.empty()) {
    cmd = args.rest;
  }
  o.sandbox.argv = entrypoint;
  o.sandbox.argv.insert(o.sandbox.argv.end(), cmd.begin(), cmd.end());
  o.sandbox.env = cfg.env();
  for (const auto& kv : args.all("--env")) {
    util::env_set(o.sandbox.env, kv); // each checked K=V by parse_trace_flags
  }
  o.sandbox.workdir = args.get_or("--cwd", cfg.working_dir().empty() ? "/" : cfg.working_dir());
  o.stop_signal = stop_signal_of(cfg);
  return o;
}

void
print_verify_failure(const slim::VerifyOutcome& v)
{
  std::fprintf(stderr, "whittle: verify failed: the slimmed image does not behave like the original\n");
  for (const auto& d : v.differences) {
    std::fprintf(stderr, "  %s\n", util::terminal_safe(d).c_str());
  }
  if (!v.not_found.empty()) {
    std::fprintf(stderr, "  paths the slimmed run looked up and did not find:\n");
    for (const auto& p : v.not_found) {
      std::fprintf(stderr, "    %s\n", util::terminal_safe(p).c_str());
    }
  }
}

} // namespace whittle::cli
