#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <fcntl.h>
#include <mutex>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <whittle/trace/cpu_pin.hpp>
#include <whittle/trace/http_probe.hpp>
#include <whittle/trace/limits.hpp>
#include <whittle/trace/namespaces.hpp>
#include <whittle/trace/sandbox.hpp>
#include <whittle/trace/session.hpp>
#include <whittle/trace/syscall_baseline.hpp>
#include <whittle/trace/tracer.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>
#include <whittle/util/log.hpp>
#include <whittle/util/number.hpp>
#include <whittle/util/sha256.hpp>

namespace whittle::trace {

namespace {

using Clock = std::chrono::steady_clock;

// What of the app's (and the exec probes') stderr reaches whittle's stderr; the rest is read and dropped,
// so a flood can neither fill a CI log nor block the app.
constexpr uint64_t k_stderr_cap = 64u << 20;
using std::chrono::milliseconds;

std::atomic<int> g_stop_signal{0};

void
on_stop_signal(int sig)
{
  g_stop_signal.store(sig);
}

// Shared between the tracer thread (main) and the controller thread.
struct Control
{
  std::mutex mutex;
  std::condition_variable cv;
  bool traced_done = false;

  // Waits until done or the deadline; returns true when done.
  bool wait_done_until(Clock::time_point deadline)
  {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_until(lock, deadline, [this] { return traced_done; });
  }
  bool done()
  {
    std::lock_guard<std::mutex> lock(mutex);
    return traced_done;
  }
  // The traced processes are all gone: wakes every waiter.
  void finish()
  {
    {
      std::lock_guard<std::mutex> lock(mutex);
      traced_done = true;
    }
    cv.notify_all();
  }
};

std::vector<FileRecord>
as_vector(const std::map<std::string, FileRecord>& m)
{
  std::vector<FileRecord> out;
  for (const auto& [path, rec] : m) {
    out.push_back(rec);
  }
  return out;
}

// The files of several probe groups as one list (accesses or-ed), for the healthcheck's attempts.
std::vector<FileRecord>
united_files(Tracer& tracer, const std::vector<int>& groups)
{
  std::map<std::string, FileRecord> all;
  for (int g : groups) {
    for (const auto& [path, rec] : tracer.group_files(g)) {
      auto [it, inserted] = all.try_emplace(path, rec);
      if (!inserted) {
        it->second.access |= rec.access;
        if (it->second.link_target.empty()) {
          it->second.link_target = rec.link_target;
        }
      }
    }
  }
  return as_vector(all);
}

// The notification server (Mechanism::notify): a thread that receives the init's listener, then answers
// every notification until no process is left or stop() is called.
class NotificationServer
{
public:
  NotificationServer(bool enabled, Sandbox& sandbox, Tracer& tracer, milliseconds timeout)
      : m_stop(eventfd(0, EFD_CLOEXEC))
  {
    if (enabled) {
      m_thread = std::thread([this, &sandbox, &tracer, timeout] {
        util::Fd listener = sandbox.receive_listener(static_cast<int>(timeout.count()));
        if (listener) {
          tracer.serve_notifications(listener.get(), m_stop.get());
        }
      });
    }
  }
  NotificationServer(const NotificationServer&) = delete;
  NotificationServer& operator=(const NotificationServer&) = delete;
  ~NotificationServer() { stop(); }

  // Ends the server and waits for its thread. Idempotent.
  void stop()
  {
    if (m_thread.joinable()) {
      uint64_t one = 1;
      (void)!write(m_stop.get(), &one, sizeof one);
      m_thread.join();
    }
  }

private:
  util::Fd m_stop;
  std::thread m_thread;
};

// What the controller thread works with; all of it outlives the thread.
struct RunContext
{
  const TraceOptions& o;
  const std::vector<HttpUrl>& urls;
  Sandbox& sandbox;
  Tracer& tracer;
  ResourceGuard& guard;
  Control& control;
  pid_t init;
  Clock::time_point started;
};

// What the controller thread hands back once joined.
struct ControllerResult
{
  std::vector<ProbeResult> probes;
  std::vector<int> health_groups; // the tracer groups of the healthcheck's attempts
  bool timed_out = false;
};

// A probe request to an init that already ended, or a write to a reader that is gone, must fail with
// EPIPE, not kill whittle: blocks SIGPIPE on the calling thread.
void
block_sigpipe()
{
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
}

// Writes n bytes of data to fd; false once a write fails (a closed or broken fd).
bool
write_all(int fd, const char* data, size_t n)
{
  for (size_t done = 0; done < n;) {
    ssize_t w = write(fd, data + done, n - done);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      return false;
    }
    done += static_cast<size_t>(w);
  }
  return true;
}

// Returns the read end of a new pipe and puts its write end in write_end. Throws Error naming `what`.
util::Fd
make_pipe(util::Fd& write_end, const std::string& what)
{
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw_errno("create the pipe for " + what);
  }
  write_end = util::Fd(fds[1]);
  return util::Fd(fds[0]);
}

// Checks the probes before anything starts; returns the HTTP probes' URLs. Throws UsageError, BadInput.
std::vector<HttpUrl>
checked_probes(const TraceOptions& o)
{
  std::vector<HttpUrl> urls;
  for (const auto& u : o.http_probes) {
    urls.push_back(parse_http_url(u));
  }
  if (o.healthcheck && !exec_argv_fits(o.healthcheck->argv)) {
    throw BadInput("run the image's HEALTHCHECK " + o.healthcheck->target + ": it is empty or longer than " +
                   std::to_string(k_max_exec_bytes) + " bytes (--no-healthcheck skips it)");
  }
  return urls;
}

TracerOptions
tracer_options(const TraceOptions& o, const SandboxPlan& plan, ResourceGuard& guard)
{
  TracerOptions topt;
  topt.rootfs = plan.rootfs;
  topt.special = plan.special;
  topt.all_syscalls = o.all_syscalls;
  if (o.max_paths != 0) {
    topt.max_paths = o.max_paths;
  }
  topt.allocation_check = [&guard](uint64_t mode, uint64_t len) { return guard.allocation_error(mode, len); };
  return topt;
}

// Starts the sandbox, moves its init into the guard's cgroups and lets the tracer seize (or adopt) it.
// Returns the init's pid. Throws SandboxError (the sandbox killed).
pid_t
start_sandbox(const TraceOptions& o, Sandbox& sandbox, ResourceGuard& guard, Tracer& tracer)
{
  pid_t init = sandbox.start();
  if (!guard.add(init)) {
    sandbox.signal(SIGKILL);
    throw SandboxError(
        "move the sandbox into its cgroups (" + guard.describe() +
        "): the memory and task caps would not hold; --memory none --pids none runs without them");
  }
  if (o.untraced) {
    tracer.adopt(init);
  } else {
    tracer.seize(init);
  }
  return init;
}

// The exit status of a probe as a shell reports it: the code, or 128 + the signal.
int
shell_status(int st)
{
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// HTTP probe i, from inside the sandbox's network namespace (on a thread of its own, which enters it).
ProbeResult
http_probe(const RunContext& c, size_t i, Clock::time_point deadline)
{
  ProbeResult r;
  r.kind = "http";
  r.target = c.o.http_probes[i];
  HttpAnswer a;
  std::thread net([&] {
    try {
      enter_network_namespace(c.init);
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      a = http_get_retry(c.urls[i], std::min(c.o.probe_patience, std::max(left, milliseconds(0))));
    } catch (const std::exception& e) {
      a.error = e.what();
    }
  });
  net.join();
  r.ok = a.answered && !a.cut && a.status < 500;
  r.status = a.status;
  r.body_sha256 = a.body_sha256;
  if (!a.answered || a.cut) {
    util::warn("probe " + r.target + ": " + a.error);
  }
  return r;
}

// Exec probe i, traced as group i + 1.
ProbeResult
exec_probe(const RunContext& c, size_t i, Clock::time_point deadline)
{
  ProbeResult r;
  r.kind = "exec";
  r.target = c.o.exec_probes[i];
  int index = static_cast<int>(i) + 1;
  c.tracer.expect_group(index);
  if (c.sandbox.request_exec(index, r.target)) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    auto st = c.sandbox.wait_exec(index, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (st) {
      r.status = shell_status(*st);
      r.ok = r.status == 0;
    }
  }
  return r;
}

// Checks until one passes, or the schedule (healthcheck.hpp) says it failed, or the run ends; each attempt
// is traced as a group of its own from next_group on, added to groups. Returns nullopt when the app ended
// before a check passed (a runtime has no health for an exited container).
std::optional<ProbeResult>
run_healthcheck(const RunContext& c, const HealthcheckProbe& h, Clock::time_point deadline, int next_group,
                std::vector<int>& groups)
{
  HealthcheckSchedule plan_hc = healthcheck_schedule(h, c.o.probe_patience);
  ProbeResult r;
  r.kind = "healthcheck";
  r.target = h.target;
  auto first = Clock::now();
  int failures = 0;
  bool app_ended = false;
  std::string last_failure;
  for (;;) {
    int group = next_group++;
    c.tracer.expect_group(group);
    if (c.control.done() || !c.sandbox.request_exec_argv(group, h.argv)) {
      app_ended = true;
      break;
    }
    groups.push_back(group);
    auto now = Clock::now();
    auto wait = std::min(plan_hc.attempt_timeout,
                         std::max(std::chrono::duration_cast<milliseconds>(deadline - now), milliseconds(0)));
    auto st = c.sandbox.wait_exec(group, static_cast<int>(wait.count()));
    // No status well before the timeout: the init is gone (its status pipe hung up).
    bool hung_up = !st && Clock::now() - now < wait;
    if (st) {
      r.status = shell_status(*st);
      r.ok = r.status == 0;
      last_failure = "exit status " + std::to_string(r.status);
    } else {
      c.sandbox.kill_exec(group);
      r.status = -1; // docker's exit code for a check that timed out
      r.ok = false;
      last_failure = "no answer within " + std::to_string(wait.count()) + " ms";
    }
    if (r.ok) {
      util::verbose("healthcheck passed after " + std::to_string(failures + 1) + " attempt(s)");
      return r;
    }
    // A check killed with everything else because the app ended says nothing about health (a runtime
    // has no health for an exited container): not recorded.
    if ((hung_up || r.status == 128 + SIGKILL) &&
        c.control.wait_done_until(Clock::now() + milliseconds(500))) {
      app_ended = true;
      break;
    }
    ++failures;
    now = Clock::now();
    if (now >= deadline || (now - first >= plan_hc.window && failures >= plan_hc.retries)) {
      break;
    }
    if (c.control.wait_done_until(std::min(now + plan_hc.gap, deadline))) {
      app_ended = true;
      break;
    }
  }
  if (app_ended) {
    util::verbose("the app ended before its healthcheck passed: no healthcheck recorded");
    return std::nullopt;
  }
  if (!r.ok) {
    util::warn("healthcheck " + r.target + " failed " + std::to_string(failures) + " time(s) in " +
               std::to_string(std::chrono::duration_cast<milliseconds>(Clock::now() - first).count()) +
               " ms (last: " + last_failure + ")");
  }
  return r;
}

// The probes, in order while the app runs: HTTP first (they wait for the app to come up), then the exec
// probes, then the healthcheck.
void
run_probes(const RunContext& c, Clock::time_point deadline, ControllerResult& out)
{
  for (size_t i = 0; i < c.urls.size() && !c.control.done(); ++i) {
    out.probes.push_back(http_probe(c, i, deadline));
  }
  for (size_t i = 0; i < c.o.exec_probes.size() && !c.control.done(); ++i) {
    out.probes.push_back(exec_probe(c, i, deadline));
  }
  if (c.o.healthcheck && !c.control.done()) {
    // Group numbers after the exec probes', one per attempt.
    int next_group = static_cast<int>(c.o.exec_probes.size()) + 1;
    if (auto r = run_healthcheck(c, *c.o.healthcheck, deadline, next_group, out.health_groups)) {
      out.probes.push_back(*r);
    }
  }
}

// The controller thread: runs the probes, lets the app run on as --continue-after says, then stops the
// sandbox (the stop signal to the init, which forwards it to every process, a grace period, then SIGKILL)
// unless every traced process ended first.
void
control_run(const RunContext& c, ControllerResult& out)
{
  block_sigpipe();
  const TraceOptions& o = c.o;
  auto deadline = c.started + o.timeout;
  run_probes(c, deadline, out);
  bool have_probes = !c.urls.empty() || !o.exec_probes.empty() || o.healthcheck;
  bool stop_now = false;
  switch (o.continue_after) {
  case ContinueAfter::exit:
    stop_now = false;
    break;
  case ContinueAfter::probes:
    stop_now = have_probes;
    break;
  case ContinueAfter::seconds:
    deadline = std::min(deadline, c.started + o.continue_for);
    break;
  case ContinueAfter::signal:
    break;
  }
  if (!stop_now) {
    for (;;) {
      auto step = std::min(deadline, Clock::now() + milliseconds(100));
      if (c.control.wait_done_until(step)) {
        return;
      }
      if (g_stop_signal.load() != 0) {
        break;
      }
      if (Clock::now() >= deadline) {
        out.timed_out = o.continue_after != ContinueAfter::seconds;
        break;
      }
    }
  }
  c.sandbox.signal(o.stop_signal);
  if (!c.control.wait_done_until(Clock::now() + o.grace)) {
    c.sandbox.signal(SIGKILL);
    c.guard.kill_all();
  }
}

// Reads `from` in 64 KiB chunks until end of file or an error (EINTR retried), handing each to on_chunk.
template <typename F>
void
drain(int from, F on_chunk)
{
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = read(from, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;
    }
    on_chunk(buf.data(), static_cast<size_t>(n));
  }
}

// The tee thread: hashes the app's stdout read from `from` and passes it on to `to`, until every process
// holding the pipe is gone. A closed or broken `to` ends the passing on, not the hashing.
void
tee_stdout(int from, int to, util::Sha256& hash)
{
  block_sigpipe();
  bool pass_on = true;
  drain(from, [&](const char* data, size_t n) {
    hash.update(data, n);
    pass_on = pass_on && write_all(to, data, n);
  });
}

// The relay thread: passes the app's stderr read from `from` on to whittle's stderr, up to k_stderr_cap
// bytes (the rest is read and dropped).
void
relay_stderr(int from)
{
  block_sigpipe();
  bool tty = isatty(STDERR_FILENO) == 1;
  uint64_t passed = 0;
  bool pass_on = true;
  auto put = [&](const std::string& text) {
    pass_on = pass_on && write_all(STDERR_FILENO, text.data(), text.size());
  };
  drain(from, [&](const char* data, size_t n) {
    if (passed >= k_stderr_cap) {
      return;
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, k_stderr_cap - passed));
    std::string chunk(data, take);
    // A terminal gets no control sequences from the image; a file or pipe gets the bytes as written.
    put(tty ? util::terminal_safe(chunk, true) : chunk);
    passed += take;
    if (passed >= k_stderr_cap) {
      put("\nwhittle: the app's stderr was cut after 64 MiB (the rest is discarded)\n");
    }
  });
}

// After every process is gone: fails the run when a cap was breached or the app never started, and warns
// about the caps the app reached. Throws Error, SandboxError.
void
check_run_end(const TraceOptions& o, ResourceGuard& guard, const Tracer& tracer, Sandbox& sandbox)
{
  if (auto why = guard.breach()) {
    throw Error(*why);
  }
  if (auto note = guard.tasks_note()) {
    util::warn(*note);
  }
  if (uint64_t hits = tracer.file_size_hits(); hits > 0 && o.limits.disk_bytes > 0) {
    util::warn("the app reached the file-size cap (--disk " + size_flag_text(o.limits.disk_bytes) +
               "): " + std::to_string(hits) + " write(s) cut there");
  }
  if (auto err = sandbox.child_error()) {
    throw SandboxError("start the app in the sandbox: " + *err);
  }
}

// The profile of the run: the app's run record (with its probes' files), its files and special paths,
// and with recording its syscalls.
TraceOutcome
assemble_outcome(const TraceOptions& o, const SandboxPlan& plan, Tracer& tracer, ControllerResult& cr,
                 const std::string& stdout_sha256, Clock::time_point started)
{
  TraceOutcome out;
  out.timed_out = cr.timed_out;
  out.stops = tracer.stops();
  Profile& p = out.profile;
  RunRecord run;
  run.argv = plan.argv;
  run.env = plan.env;
  run.workdir = plan.workdir;
  run.user = plan.user;
  const AppExit& ex = tracer.app_exit();
  run.exit_code = ex.known ? ex.exit_code : -1;
  run.signal = ex.known ? ex.signal : 0;
  auto end = ex.known ? ex.ended : Clock::now();
  run.duration_ms = std::chrono::duration_cast<milliseconds>(end - (ex.known ? ex.started : started)).count();
  int exec_index = 0;
  for (auto& probe : cr.probes) {
    if (probe.kind == "exec") {
      probe.files = as_vector(tracer.group_files(++exec_index)); // exec probes run in order, from 1
    } else if (probe.kind == "healthcheck") {
      probe.files = united_files(tracer, cr.health_groups);
    }
  }
  run.probes = cr.probes;
  run.needs_root = tracer.needs_root();
  run.switched_user = tracer.switched_user();
  run.capabilities = tracer.capabilities();
  run.refused = tracer.refused();
  if (!run.refused.empty()) {
    std::string calls;
    for (const auto& [label, count] : run.refused) {
      calls += (calls.empty() ? "" : ", ") + label + " x" + std::to_string(count);
    }
    util::warn("the sandbox refused calls the app made (docs/profile.md, Refused calls): " + calls);
  }
  run.stdout_sha256 = stdout_sha256;
  p.runs.push_back(run);
  p.files = tracer.take_files();
  p.special = tracer.take_special();
  if (o.all_syscalls && !o.untraced) {
    // The baseline is allowed whatever the trace saw, and the recording filter never stops on it.
    std::set<std::string> names = tracer.syscalls();
    names.insert(seccomp_baseline().begin(), seccomp_baseline().end());
    p.syscalls = std::move(names);
  }
  return out;
}

} // namespace

void
parse_continue_after(const std::string& value, TraceOptions& o)
{
  if (value == "exit") {
    o.continue_after = ContinueAfter::exit;
  } else if (value == "probes") {
    o.continue_after = ContinueAfter::probes;
  } else if (value == "signal") {
    o.continue_after = ContinueAfter::signal;
  } else {
    // The bound of every seconds flag (cli's ParsedArgs::k_max_seconds, 30 days): no sign, inf or nan.
    constexpr double k_max_seconds = 30.0 * 24 * 3600;
    auto seconds = util::parse_seconds(value, k_max_seconds);
    if (!seconds) {
      throw UsageError("--continue-after `" + value +
                       "`: expected exit, probes, signal or a number of seconds greater than 0 and at most " +
                       std::to_string(static_cast<uint64_t>(k_max_seconds)));
    }
    o.continue_after = ContinueAfter::seconds;
    o.continue_for = *seconds;
  }
}

TraceOutcome
run_trace(const TraceOptions& o)
{
  std::vector<HttpUrl> urls = checked_probes(o);
  SandboxPlan plan = make_plan(o.sandbox);
  // Before the Sandbox copies the plan: whether a cgroup holds the caps decides the app's rlimits. Declared
  // before the sandbox, so it outlives it and its destructor removes the cgroups once the init is gone.
  static std::atomic<unsigned> s_runs{0};
  plan.limits = o.limits;
  ResourceGuard guard(o.limits, "whittle-" + std::to_string(getpid()) + "-" + std::to_string(s_runs++),
                      plan.rootfs, o.cgroup_root);
  plan.limits_by_cgroup = guard.enforces();
  util::verbose(guard.describe());
  util::debug("sandbox plan:\n" + describe(plan));
  bool notify = !o.untraced && o.mechanism == Mechanism::notify;
  Sandbox sandbox(plan,
                  o.untraced ? Sandbox::Filter::none
                  : notify   ? Sandbox::Filter::notify
                             : Sandbox::Filter::trace,
                  o.all_syscalls && !o.untraced);
  Tracer tracer(tracer_options(o, plan, guard));

  // The app's stdout: through a pipe, hashed and passed on by the tee thread, which sees its end once
  // the app and every process holding it are gone.
  util::Fd out_write;
  util::Fd out_read = make_pipe(out_write, "the app's stdout");
  sandbox.set_app_stdout(std::move(out_write));
  // The app's stderr: a pipe too, so the app never holds whittle's own stderr (a CI log it could reread
  // or truncate through /proc/self/fd/2).
  util::Fd err_write;
  util::Fd err_read = make_pipe(err_write, "the app's stderr");
  sandbox.set_app_stderr(std::move(err_write));
  // Before the sandbox and the threads below start, so that all of them share the tracer's CPU.
  CpuPin pin(o.one_cpu);
  if (pin.cpu() >= 0) {
    util::debug("tracer and app pinned to CPU " + std::to_string(pin.cpu()));
  }
  pid_t init = start_sandbox(o, sandbox, guard, tracer);
  util::Sha256 stdout_hash;

  // Cleared before the handler goes in: a signal that comes at once must not be forgotten.
  g_stop_signal.store(0);
  struct sigaction sa = {};
  struct sigaction old_int = {}, old_term = {};
  if (o.continue_after == ContinueAfter::signal) {
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
  }
  // A disk breach ends the run at once, as a timeout would, and run_trace then fails naming --disk.
  guard.watch_disk([&sandbox, &guard] {
    sandbox.signal(SIGKILL);
    guard.kill_all();
  });
  struct StopWatch
  {
    ResourceGuard& guard;
    ~StopWatch() { guard.stop_watch(); }
  } stop_watch{guard}; // before the sandbox goes: the watchdog's callback uses it
  sandbox.release();
  auto started = Clock::now();

  NotificationServer notifier(notify, sandbox, tracer, o.timeout);
  Control control;
  RunContext context{o, urls, sandbox, tracer, guard, control, init, started};
  ControllerResult controlled;
  std::thread controller([&] { control_run(context, controlled); });
  // Started last, so nothing between here and the join below can throw.
  std::thread tee([&] { tee_stdout(out_read.get(), o.stdout_fd, stdout_hash); });
  std::thread relay([&] { relay_stderr(err_read.get()); });

  try {
    tracer.run();
  } catch (...) {
    sandbox.signal(SIGKILL);
    control.finish();
    controller.join();
    notifier.stop();
    tee.join();
    relay.join();
    throw;
  }
  control.finish();
  controller.join();
  notifier.stop();
  if (o.continue_after == ContinueAfter::signal) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  }
  guard.kill_all();
  tee.join();
  relay.join();
  guard.stop_watch();

  check_run_end(o, guard, tracer, sandbox);
  return assemble_outcome(o, plan, tracer, controlled, stdout_hash.hex_final(), started);
}

} // namespace whittle::trace
