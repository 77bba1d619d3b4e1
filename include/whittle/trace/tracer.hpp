#pragma once
// The ptrace loop. The tracer seizes the sandbox init with PTRACE_O_TRACESECCOMP and fork/vfork/clone/exec
// tracing, so the app and every descendant are traced from their first instruction; each seccomp stop
// (a path syscall, see seccomp_filter.hpp) is decoded from the syscall table, its paths read with
// process_vm_readv, resolved in the rootfs (path_resolver.hpp) and recorded; the tracee then continues.
// Privilege calls (set*id, setgroups, chown family, bind) are checked for needs_root (privilege.hpp).
// Calls the baseline policy refuses (syscall_policy.hpp) stop too: the tracer fails them with the rule's
// errno (ptrace: the syscall number set to -1 at the stop; notify: the answer's error) and counts the
// app's attempts by rule. What it keeps is capped (TracerOptions), so the app cannot grow whittle.
// Existence (missing vs present, create vs overwrite) is decided at the entry stop from the rootfs, so no
// syscall-exit stop is ever needed. Signals are passed on unchanged; group-stops use PTRACE_LISTEN.
// All ptrace calls happen on the thread that called seize() and run().
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <sys/types.h>
#include <unordered_map>
#include <vector>
#include <whittle/trace/path_resolver.hpp>
#include <whittle/trace/profile.hpp>
#include <whittle/trace/syscalls.hpp>

namespace whittle::trace {

struct TracerOptions
{
  std::string rootfs;               // host path of the root the tracees see as "/"
  std::vector<std::string> special; // extra special prefixes (--mount targets)
  // Syscall recording: the filter stops on every call outside the seccomp baseline (seccomp_filter.hpp),
  // and the tracer records the name of each call of the app and its probes (not the sandbox's own calls
  // before the exec, not refused calls).
  bool all_syscalls = false;
  // Bounds on what the tracer keeps, whatever the app does (whittle's own memory): distinct paths over
  // all groups and special, their bytes in total, and the length of one path. Past any of them the run
  // is stopped (the sandbox killed) and run() throws Error naming the cap. The defaults keep whittle's
  // RSS under 256 MiB through the profile's writing (measured: see docs/profile.md, Caps).
  size_t max_paths = k_default_max_paths;
  size_t max_path_bytes = k_default_max_path_bytes;
  size_t max_path_length = k_default_max_path_length;
  // At every fallocate the app makes: the errno to refuse it with, or 0 to let it run (the --disk budget,
  // ResourceGuard::allocation_error). Empty: fallocate runs unchecked.
  std::function<int(uint64_t mode, uint64_t len)> allocation_check;

  static constexpr size_t k_default_max_paths = 250000;
  static constexpr size_t k_default_max_path_bytes = 32u << 20;
  static constexpr size_t k_default_max_path_length = 4096; // PATH_MAX
};

struct AppExit
{
  bool known = false;
  int exit_code = -1;
  int signal = 0;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point ended;
};

class Tracer
{
public:
  explicit Tracer(TracerOptions options);

  // Seizes the sandbox init (which must not have forked yet). Throws SandboxError.
  void seize(pid_t init);
  // Untraced runs: only waits for the init (a child of this process) and takes the app's exit from it.
  void adopt(pid_t init)
  {
    m_init = init;
    m_groups[init] = -1;
  }
  // The next process the init forks belongs to probe `index` (>= 1); the first one is the app (0).
  // Callable from another thread.
  void expect_group(int index) { m_next_group.store(index); }
  // Runs until no traced process is left. Throws Error on a broken ptrace contract, or once every
  // process is gone when a cap of TracerOptions was passed (the sandbox is killed at that moment).
  void run();
  // The user-notification path (Filter::notify): answers every notification of listener with "continue"
  // after recording it (or with the errno of the policy rule that refuses it), until the listener hangs up
  // (no process left) or stop_fd becomes readable. Runs on its own thread beside run(); the two share the
  // records under a mutex.
  void serve_notifications(int listener, int stop_fd);

  // Results, valid after run().
  const std::map<std::string, FileRecord>& files() const { return m_files.at(0); }
  // Moves the app's files and special paths out (after run(): a profile of a million paths is not copied).
  std::map<std::string, FileRecord> take_files() { return std::move(m_files[0]); }
  std::map<std::string, uint16_t> take_special() { return std::move(m_special); }
  const std::map<std::string, FileRecord>& group_files(int group) { return m_files[group]; }
  const std::map<std::string, uint16_t>& special() const { return m_special; }
  const std::set<std::string>& syscalls() const { return m_syscalls; }
  const AppExit& app_exit() const { return m_app; }
  // Why the app needs root (privilege.hpp), in the order first seen, without duplicates.
  const std::vector<std::string>& needs_root() const { return m_needs_root; }
  // The first non-root identity the app switched to as root ("uid:gid", privilege.hpp switched_user), or "".
  const std::string& switched_user() const { return m_switched_user; }
  // The capabilities the app's needs_root calls used (privilege.hpp capability_of), sorted by name.
  std::vector<std::string> capabilities() const { return {m_capabilities.begin(), m_capabilities.end()}; }
  // The app's calls the baseline policy refused (syscall_policy.hpp), by rule label, with their count.
  const std::map<std::string, uint64_t>& refused() const { return m_refused; }
  uint64_t stops() const { return m_stops; }
  // How often a write of the app passed the file-size cap (SIGXFSZ delivered).
  uint64_t file_size_hits() const { return m_file_size_hits; }

  // Decodes one path syscall as if it had been stopped (exposed for tests): records its accesses for
  // `pid`, whose /proc entries supply cwd and descriptors.
  void record_syscall(pid_t pid, int nr, const uint64_t args[6]);

  // The policy check of one stopped call (both mechanisms): returns the errno to fail it with, after
  // counting it for the app, or 0 when the policy allows it.
  int refuse(pid_t pid, int nr, const uint64_t args[6]);

private:
  void on_seccomp(pid_t pid);
  // Syscall recording: adds the name of call nr made by pid (all_syscalls only).
  void note_syscall(pid_t pid, int nr);
  void on_new_process(pid_t parent, pid_t child);
  int group_of(pid_t pid);
  int assign_child_of_init(pid_t child);
  std::string base_dir(pid_t pid, int dirfd);
  bool read_string(pid_t pid, uint64_t addr, std::string& out);
  struct DecodedCall;
  // Reads what the call of row s does (its flags, openat2's open_how) into call; false when nothing is
  // looked up or the tracee's memory cannot be read.
  bool decode_call(pid_t pid, const SyscallInfo& s, const uint64_t args[6], DecodedCall& call);
  // Reads the call's paths and records each as the call touches it.
  void record_paths(int group, pid_t pid, const SyscallInfo& s, const uint64_t args[6], DecodedCall& call);
  void record_path(int group, pid_t pid, int dirfd, const std::string& path, const PathAccess& a,
                   bool empty_path_ok);
  // openat2 with RESOLVE_IN_ROOT or RESOLVE_BENEATH: path is resolved below the dirfd's directory.
  void record_beneath(int group, pid_t pid, int dirfd, const std::string& path, const PathAccess& a,
                      bool in_root);
  void record(int group, const Resolved& r, uint16_t bits, bool creates, bool removes, int depth = 0);
  void add(int group, const std::string& path, uint16_t bits, const std::string& link_target = "");
  void check_privilege(pid_t pid, int group, const SyscallInfo& s, const uint64_t args[6]);
  // Stops the run (kills the sandbox init, so the whole pid namespace) because of a cap; run() throws
  // `why` once every process is gone.
  void fail(const std::string& why);
  // Counts a path about to be recorded for the first time against the caps; false (after fail()) when
  // it passes one.
  bool admit(const std::string& path);

  TracerOptions m_options;
  RootResolver m_resolver;
  pid_t m_init = -1;
  pid_t m_app_pid = -1;
  std::atomic<int> m_next_group{0};
  std::unordered_map<pid_t, int> m_groups;
  std::map<int, std::map<std::string, FileRecord>> m_files;
  std::map<std::string, uint16_t> m_special;
  std::set<std::string> m_syscalls;
  std::vector<std::string> m_needs_root;
  std::string m_switched_user;
  std::set<std::string> m_capabilities;
  std::set<int> m_syscall_nrs; // numbers already in m_syscalls
  std::map<std::string, uint64_t> m_refused;
  size_t m_paths = 0;      // distinct paths recorded, over all groups and special
  size_t m_path_bytes = 0; // and their bytes
  std::string m_failure;   // set by fail()
  // A child of the init that has not exec'd yet still runs the sandbox's own code (setgroups, setgid,
  // setuid: with the notify mechanism the init installs the filter before forking); its calls are never
  // counted as the app's. Two sets, because the exec event may be seen before the init's fork event.
  std::set<pid_t> m_init_children;
  std::set<pid_t> m_execed;
  AppExit m_app;
  uint64_t m_stops = 0;
  uint64_t m_file_size_hits = 0;
  std::mutex m_mutex; // records, groups and the resolver, shared by run() and serve_notifications()
};

} // namespace whittle::trace
