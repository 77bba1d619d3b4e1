#pragma once
// The harness of the attacker suite (test_attacks*.cpp): whittle started with exactly the descriptors a
// case chooses (fork + execve, no shell), the attacker's result lines read back, and the host canaries every
// case shares (class Host). See test_attacks.cpp for what the suite proves.
#include "hostile/binaries.hpp"
#include "hostile/corpus.hpp"
#include "support/test_support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <signal.h>
#include <sstream>
#include <string>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace whittle::test::attack {

using nlohmann::json;

// The binaries under test; the rootless wrapper runs copies from a directory its user can read.
using hostile::attacker_binary;
using hostile::whittle_binary;

#if defined(__SANITIZE_ADDRESS__)
// ASan's shadow memory and quarantine roughly triple a process's RSS: the bound scales with it.
inline constexpr long k_rss_cap_kib = 3 * 256 * 1024;
#else
inline constexpr long k_rss_cap_kib = 256 * 1024;
#endif

inline std::string
random_token(const std::string& prefix)
{
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return prefix + buf;
}

struct Run
{
  int status = -1;
  int code = -1;   // exit code, or -1 when killed by a signal
  int signal = 0;  // the signal that ended whittle, if any
  std::string out; // whittle's stdout: the app's stdout, relayed
  std::string err; // whittle's stderr (the log after the secret line)
  long maxrss_kib = 0;
  double seconds = 0;
  bool timed_out = false; // the test had to kill whittle

  std::string describe() const
  {
    std::ostringstream s;
    s << "whittle exit " << code << " signal " << signal << " after " << seconds << " s, max RSS "
      << maxrss_kib << " KiB" << (timed_out ? " (killed by the test)" : "") << "\nstdout:\n"
      << out.substr(0, 6000) << "\nstderr:\n"
      << err.substr(0, 4000);
    return s.str();
  }
};

struct Spawn
{
  std::vector<std::string> argv;
  std::string out_path;
  std::string err_path; // opened for appending
  int tty = -1;         // a pty's terminal side: whittle's controlling terminal and stdio
  std::vector<std::string> env;
  std::function<void()> tick; // called about every 20 ms while whittle runs
  int kill_after_s = 600;
};

// Starts whittle with exactly the descriptors the test chose, waits for it (calling `tick`), and takes its
// rusage from wait4: whittle's own peak RSS (and its waited-for descendants', which are small here).
inline Run
spawn(const Spawn& s)
{
  std::vector<char*> argv;
  for (const auto& a : s.argv) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('=') + 1);
    bool replaced =
        std::any_of(s.env.begin(), s.env.end(), [&](const std::string& o) { return o.rfind(key, 0) == 0; });
    if (!replaced) {
      env_strings.push_back(kv);
    }
  }
  env_strings.insert(env_strings.end(), s.env.begin(), s.env.end());
  std::vector<char*> envp;
  for (const auto& e : env_strings) {
    envp.push_back(const_cast<char*>(e.c_str()));
  }
  envp.push_back(nullptr);

  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (s.tty >= 0) {
      if (::setsid() < 0 || ::ioctl(s.tty, TIOCSCTTY, 0) != 0) {
        ::_exit(126);
      }
      for (int fd = 0; fd <= 2; ++fd) {
        ::dup2(s.tty, fd);
      }
    } else {
      int in = ::open("/dev/null", O_RDONLY);
      int out = ::open(s.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open(s.err_path.c_str(), O_WRONLY | O_APPEND);
      if (in < 0 || out < 0 || err < 0) {
        ::_exit(126);
      }
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      // Only stdio and the canary descriptor are whittle's to inherit from the test.
      for (int fd : {in, out, err}) {
        if (fd > 2) {
          ::close(fd);
        }
      }
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  Run r;
  struct rusage ru
  {};
  for (;;) {
    pid_t w = ::wait4(pid, &r.status, WNOHANG, &ru);
    if (w == pid) {
      break;
    }
    if (s.tick) {
      s.tick();
    }
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (elapsed > s.kill_after_s && !r.timed_out) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.maxrss_kib = ru.ru_maxrss;
  r.code = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1;
  r.signal = WIFSIGNALED(r.status) ? WTERMSIG(r.status) : 0;
  if (!s.out_path.empty()) {
    r.out = test::read_file(s.out_path);
  }
  return r;
}

// The ATTACK lines of an output, by attack name (the rest of the line).
inline std::map<std::string, std::string>
attack_lines(const std::string& out)
{
  std::map<std::string, std::string> m;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("ATTACK ", 0) != 0) {
      continue;
    }
    size_t sp = line.find(" result=", 7);
    if (sp != std::string::npos) {
      m[line.substr(7, sp - 7)] = line.substr(sp + 1);
    }
  }
  return m;
}

// The INFO lines whose key is `key`, without "INFO key ".
inline std::vector<std::string>
info_lines(const std::string& out, const std::string& key)
{
  std::vector<std::string> v;
  std::istringstream in(out);
  std::string line;
  std::string prefix = "INFO " + key + " ";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      v.push_back(line.substr(prefix.size()));
    }
  }
  return v;
}

// The attempt `name` ran and was blocked (with `errno_name` when given; "" accepts any refusal).
inline void
check_blocked(const Run& r, const std::string& name, const std::string& errno_name = "")
{
  auto lines = attack_lines(r.out);
  INFO("attack " << name << "\n" << r.describe());
  auto it = lines.find(name);
  CHECK(it != lines.end()); // the attempt ran and reported
  if (it == lines.end()) {
    return;
  }
  CHECK_THAT(it->second, Catch::StartsWith("result=blocked"));
  if (!errno_name.empty()) {
    CHECK_THAT(it->second, Catch::Contains("errno=" + errno_name));
  }
}

inline void
check_nothing_succeeded(const Run& r)
{
  INFO(r.describe());
  CHECK_THAT(r.out, !Catch::Contains("result=SUCCEEDED"));
}

inline std::string
listing(const std::string& dir)
{
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") {
        names.push_back(n);
      }
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  std::string s;
  for (const auto& n : names) {
    s += n + "\n";
  }
  return s;
}

// The host side of every case: the canaries, the image, and how whittle is run.
class Host
{
public:
  test::TestDir t;
  std::string canary_dir = t / "canary";
  std::string canary_file = canary_dir + "/canary";
  std::string canary_content = random_token("whittle-attack-canary-") + "\n";
  std::string log = t / "whittle.log";
  std::string secret = random_token("whittle-log-secret-");
  std::string ref = "oci:" + (t / "img") + ":latest";
  std::string work = t / "work"; // trace's --workdir
  int dir_fd = -1;
  struct stat canary_st
  {};

  Host()
  {
    for (const char* d : {"canary", "tmp", "work", "out"}) {
      REQUIRE(::mkdir((t / d).c_str(), 0755) == 0);
    }
    test::write_file(canary_file, canary_content);
    REQUIRE(::stat(canary_file.c_str(), &canary_st) == 0);
    test::write_file(log, "SECRET " + secret + "\n");
    // Deliberately without O_CLOEXEC: whittle inherits it, as it would a CI runner's descriptors.
    dir_fd = ::open(canary_dir.c_str(), O_RDONLY | O_DIRECTORY);
    REQUIRE(dir_fd >= 0);
    REQUIRE(::fcntl(dir_fd, F_GETFD) == 0);
  }
  ~Host() { ::close(dir_fd); }
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // The image: /bin/app (the attacker), a little of /etc, /tmp, then `extra` as a second layer.
  void image(const std::vector<test::FixtureEntry>& extra = {}, const std::string& user = "")
  {
    std::vector<test::FixtureEntry> base = {test::dir("bin/"),
                                            test::file("bin/app", test::read_file(attacker_binary()), 0755),
                                            test::dir("etc/"),
                                            test::file("etc/os-release", "ID=attacker\n"),
                                            test::file("etc/passwd", "root:x:0:0::/root:/bin/app\n"
                                                                     "app:x:1000:1000::/tmp:/bin/app\n"),
                                            test::file("etc/group", "root:x:0:\napp:x:1000:\n"),
                                            test::dir("tmp/", 01777)};
    test::FixtureImage img;
    img.layers = {base};
    if (!extra.empty()) {
      img.layers.push_back(extra);
    }
    img.user = user;
    test::write_oci_layout(img, t / "img");
  }

  // An image whose second layer is a raw tar (for names a pax writer refuses).
  void raw_image(const std::string& extra_tar)
  {
    std::vector<test::FixtureEntry> base = {
        test::dir("bin/"), test::file("bin/app", test::read_file(attacker_binary()), 0755), test::dir("etc/"),
        test::file("etc/os-release", "ID=attacker\n"), test::dir("tmp/", 01777)};
    test::hostile::write_layers_image(t / "img", {test::make_tar(base), extra_tar});
  }

  // `whittle ARGS`, stdout to a file, stderr appended to the log.
  Run whittle(const std::vector<std::string>& args, std::function<void()> tick = {}, int kill_after_s = 600)
  {
    Spawn s;
    s.argv = {whittle_binary()};
    s.argv.insert(s.argv.end(), args.begin(), args.end());
    s.out_path = t / "stdout";
    s.err_path = log;
    s.env = {"TMPDIR=" + (t / "tmp")};
    s.tick = std::move(tick);
    s.kill_after_s = kill_after_s;
    Run r = spawn(s);
    std::string l = test::read_file(log);
    r.err = l.substr(std::min(l.size(), l.find('\n') + 1));
    return r;
  }

  // `whittle trace IMAGE -o profile.json --workdir WORK [flags] -- ATTACK ARGS`.
  Run trace(const std::vector<std::string>& attack, const std::vector<std::string>& flags = {},
            std::function<void()> tick = {}, int kill_after_s = 600)
  {
    std::vector<std::string> args = {"trace", ref, "-o", profile_path(), "--workdir", work};
    if (std::find(flags.begin(), flags.end(), "--timeout") == flags.end()) {
      args.insert(args.end(), {"--timeout", "60"});
    }
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back("--");
    args.insert(args.end(), attack.begin(), attack.end());
    return whittle(args, std::move(tick), kill_after_s);
  }

  std::string profile_path() const { return t / "out/profile.json"; }

  json profile() const
  {
    REQUIRE(test::path_exists(profile_path()));
    return json::parse(test::read_file(profile_path()));
  }

  // The canaries every case shares; `log_is_stderr` is false when whittle's stderr was a pty.
  void check_canaries(const Run& r, bool log_is_stderr = true) const
  {
    INFO(r.describe());
    CHECK(test::read_file(canary_file) == canary_content);
    struct stat st
    {};
    REQUIRE(::stat(canary_file.c_str(), &st) == 0);
    CHECK(st.st_ino == canary_st.st_ino);
    CHECK(st.st_mtim.tv_sec == canary_st.st_mtim.tv_sec);
    CHECK(st.st_mtim.tv_nsec == canary_st.st_mtim.tv_nsec);
    CHECK(listing(canary_dir) == "canary\n");
    if (log_is_stderr) {
      CHECK_THAT(test::read_file(log), Catch::StartsWith("SECRET " + secret + "\n"));
    }
    CHECK_THAT(r.out, !Catch::Contains(secret));
    CHECK_THAT(r.out, !Catch::Contains(canary_content.substr(0, canary_content.size() - 1)));
    CHECK_FALSE(r.timed_out);
  }
};

// The paths a profile records (files and special).
inline std::vector<std::string>
profile_paths(const json& p, bool decoded = false)
{
  // The paths as written, or decoded: docs/profile.md writes a byte that is not valid UTF-8 `\xHH` and a
  // backslash `\\`; decoded here independently of whittle's own reader.
  auto decode = [](const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '\\') {
        out += '\\';
        ++i;
      } else if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x') {
        out += static_cast<char>(std::stoi(s.substr(i + 2, 2), nullptr, 16));
        i += 3;
      } else {
        out += s[i];
      }
    }
    return out;
  };
  std::vector<std::string> v;
  for (const char* key : {"files", "special"}) {
    if (p.contains(key) && p[key].is_array()) {
      for (const auto& f : p[key]) {
        if (f.contains("path") && f["path"].is_string()) {
          v.push_back(decoded ? decode(f["path"].get<std::string>()) : f["path"].get<std::string>());
        }
      }
    }
  }
  return v;
}

inline bool
contains(const std::vector<std::string>& v, const std::string& s)
{
  return std::find(v.begin(), v.end(), s) != v.end();
}

inline long
parse_number_after(const std::string& text, const std::string& key)
{
  size_t p = text.find(key);
  if (p == std::string::npos) {
    return -1;
  }
  return std::strtol(text.c_str() + p + key.size(), nullptr, 10);
}

// Free bytes of the filesystem holding `path`.
inline uint64_t
free_bytes(const std::string& path)
{
  struct statvfs v
  {};
  if (::statvfs(path.c_str(), &v) != 0) {
    return 0;
  }
  return static_cast<uint64_t>(v.f_bavail) * v.f_frsize;
}

// The content of a file that may vanish while it is read (a /proc entry of an exiting process).
inline std::string
read_or_empty(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return in ? s.str() : std::string();
}

// pids of host processes whose argv starts with `argv0` and `argv1`.
inline std::vector<pid_t>
processes_running(const std::string& argv0, const std::string& argv1)
{
  std::vector<pid_t> pids;
  std::string want = argv0 + std::string(1, '\0') + argv1 + std::string(1, '\0');
  if (DIR* d = ::opendir("/proc")) {
    while (auto* e = ::readdir(d)) {
      pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
      if (pid <= 0) {
        continue;
      }
      std::string cmd = read_or_empty("/proc/" + std::string(e->d_name) + "/cmdline");
      if (cmd.rfind(want, 0) == 0) {
        pids.push_back(pid);
      }
    }
    ::closedir(d);
  }
  return pids;
}

// Block or character device nodes with device number `rdev` below `dir` (errors, such as directories of
// other ids in a rootless run, are passed over).
inline std::vector<std::string>
device_nodes(const std::string& dir, dev_t rdev)
{
  std::vector<std::string> found;
  std::error_code ec;
  auto opts = std::filesystem::directory_options::skip_permission_denied;
  for (std::filesystem::recursive_directory_iterator it(dir, opts, ec), end; !ec && it != end;
       it.increment(ec)) {
    struct stat st
    {};
    if (::lstat(it->path().c_str(), &st) == 0 && (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode)) &&
        st.st_rdev == rdev) {
      found.push_back(it->path().string());
    }
  }
  return found;
}

} // namespace whittle::test::attack
