// The attacker suite: an image whose /bin/app is tests/hostile/attacker.c tries each attack from
// inside the sandbox while `whittle trace` / `whittle slim` runs it. Each case asserts (a) the attacker's
// own result lines say the attempt was blocked, and (b) the host canaries are unchanged: a canary file
// outside the rootfs (content, mtime, no new files beside it), a directory descriptor on it that the test
// leaves open (without O_CLOEXEC) for whittle to inherit, and whittle's stderr as a log file holding a
// secret line written before the run. Cases that need more of the host (a pty, a loop device, a tmpfs
// submount, a keyring key, kernel knobs) build that canary themselves.
//
// The suite runs as root (ctest `hostile`) and as an unprivileged user (ctest `hostile_rootless`,
// tests/hostile/run_rootless.sh). Cases tagged [root] need root on the host for their canary (a loop
// device, a tmpfs mount); the rootless run leaves them out by tag.
//
// This file: what the app can reach of the host (descriptors, terminal, devices, /proc and /sys, keyrings,
// mounts, ids); test_attacks_run.cpp: what a run yields and what bounds it.
#include "hostile/attack_harness.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <linux/keyctl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>

using namespace whittle;
using namespace whittle::test::attack;

TEST_CASE("attack: inherited descriptors and stdio name no host file", "[attack]")
{
  Host h;
  h.image();
  Run r = h.trace({"seq", "fds", "--", "stdio"});
  INFO(r.describe());
  CHECK(r.code == 0);
  // Descriptors and stdio: every descriptor whittle did not open for the app is closed, stdin
  // is /dev/null, stdout and stderr are pipes.
  check_blocked(r, "inherited-fd");
  for (int fd = 0; fd <= 2; ++fd) {
    check_blocked(r, "stdio-read-" + std::to_string(fd));
    check_blocked(r, "stdio-truncate-" + std::to_string(fd));
  }
  check_nothing_succeeded(r);
  h.check_canaries(r);
}

TEST_CASE("attack: TIOCSTI on the controlling terminal types nothing into it", "[attack]")
{
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
    test::skip("no pseudo-terminal (posix_openpt): the terminal attack cannot be staged");
    return;
  }
  int term = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  REQUIRE(term >= 0);
  // Raw: injected bytes are readable at once (no line discipline waiting for a newline), and not echoed.
  struct termios tio
  {};
  REQUIRE(::tcgetattr(term, &tio) == 0);
  ::cfmakeraw(&tio);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  REQUIRE(::tcsetattr(term, TCSANOW, &tio) == 0);
  REQUIRE(::fcntl(master, F_SETFL, O_NONBLOCK) == 0);
  REQUIRE(::fcntl(term, F_SETFL, O_NONBLOCK) == 0);

  // Whether TIOCSTI works at all on this terminal for this test process: if it does, the canary is live.
  char probe = 'p';
  bool sti_works = ::ioctl(term, TIOCSTI, &probe) == 0;
  char drain[256];
  while (::read(term, drain, sizeof drain) > 0) {
  }
  INFO("TIOCSTI from the test itself " << (sti_works ? "works" : "is refused") << " on this terminal");

  Host h;
  h.image();
  std::string out;
  auto read_master = [&] {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(master, buf, sizeof buf)) > 0) {
      out.append(buf, static_cast<size_t>(n));
    }
  };
  Spawn s;
  s.argv = {whittle_binary(), "trace",     h.ref, "-o", h.profile_path(), "--workdir",
            h.t / "work",     "--timeout", "60",  "--", "tiocsti"};
  s.tty = term;
  s.env = {"TMPDIR=" + (h.t / "tmp")};
  s.tick = read_master;
  Run r = spawn(s);
  read_master();
  r.out = out;
  INFO(r.describe());
  CHECK(r.code == 0);
  // Terminal: a new session without a controlling terminal, TIOCSTI refused by the filter.
  for (const char* name :
       {"tiocsti-0", "tiocsti-1", "tiocsti-2", "tioclinux-0", "tioclinux-1", "tioclinux-2"}) {
    check_blocked(r, name, "EPERM");
  }
  check_blocked(r, "tiocsti-dev-tty");
  auto session = info_lines(r.out, "session");
  REQUIRE(session.size() == 1);
  CHECK_THAT(session[0], Catch::EndsWith("ctty no"));
  check_nothing_succeeded(r);

  // Nothing reached the terminal's input queue: what the invoking shell would read next.
  std::string injected;
  char buf[256];
  ssize_t n;
  while ((n = ::read(term, buf, sizeof buf)) > 0) {
    injected.append(buf, static_cast<size_t>(n));
  }
  CHECK(injected.empty());
  CHECK_THAT(injected, !Catch::Contains("whittle-tiocsti-injected"));
  h.check_canaries(r, false);
  ::close(term);
  ::close(master);
}

TEST_CASE("attack: a block device shipped in the image or made with mknod reads nothing of the host disk",
          "[attack][root]")
{
  if (::geteuid() != 0) {
    test::skip("a loop device (the stand-in host disk) needs root");
    return;
  }
  Host h;
  // The stand-in host disk: a file whose first block is a known pattern, attached read-only.
  std::string known = random_token("WHITTLE-LOOP-CANARY-");
  std::string block;
  while (block.size() < 512) {
    block += known;
  }
  block.resize(512);
  test::write_file(h.t / "disk.img", block + std::string((1 << 20) - 512, '\0'));
  std::string dev;
  if (test::run_command("losetup -f --show -r '" + (h.t / "disk.img") + "'", &dev, false) != 0 ||
      dev.empty()) {
    test::skip("losetup could not attach a loop device");
    return;
  }
  dev.erase(dev.find_last_not_of(" \n") + 1);
  struct Detach
  {
    std::string dev;
    ~Detach() { test::run_command("losetup -d '" + dev + "'"); }
  } detach{dev};
  struct stat st
  {};
  REQUIRE(::stat(dev.c_str(), &st) == 0);
  REQUIRE(S_ISBLK(st.st_mode));
  unsigned maj = major(st.st_rdev);
  unsigned min = minor(st.st_rdev);
  // The canary is live: the host reads the pattern through the device.
  REQUIRE(test::read_file(dev).substr(0, known.size()) == known);
  char known_hex[80];
  for (size_t i = 0; i < 32; ++i) {
    std::snprintf(known_hex + 2 * i, 3, "%02x", static_cast<unsigned char>(block[i]));
  }

  h.image({test::dir("srv/"), test::blockdev("srv/disk", maj, min)});
  // Usable on the host means a device node for the disk anywhere in whittle's work directory as well: the
  // host sees it without the sandbox's nodev (and an image gives its nodes mode 0666).
  std::vector<std::string> host_nodes;
  int ticks = 0;
  auto scan = [&] {
    if (ticks++ % 2 != 0 || !host_nodes.empty()) {
      return;
    }
    for (const auto& n : device_nodes(h.t / "work", st.st_rdev)) {
      host_nodes.push_back(n);
    }
  };
  // The app holds a second afterwards (identity's wait), so the scan sees the work directory while it runs.
  Run r = h.trace(
      {"seq", "blockdev", "/srv/disk", std::to_string(maj), std::to_string(min), "--", "identity", "1000"},
      {}, scan);
  INFO(r.describe());
  INFO("device nodes for " << dev << " in the host's view of the work directory: " << host_nodes.size()
                           << (host_nodes.empty() ? "" : ", e.g. " + host_nodes[0]));
  CHECK(host_nodes.empty());
  CHECK(r.code == 0);
  // Devices: the rootfs is nodev, and mknod of a device fails inside.
  check_blocked(r, "blockdev-shipped");
  check_blocked(r, "mknod-block");
  check_nothing_succeeded(r);
  CHECK_THAT(r.out, !Catch::Contains(known_hex));
  h.check_canaries(r);
}

TEST_CASE("attack: kernel knobs cannot be opened for writing and keep the host's values", "[attack]")
{
  const std::vector<std::string> readable = {"/proc/sys/kernel/core_pattern", "/proc/sys/kernel/panic",
                                             "/proc/sys/kernel/pid_max", "/proc/sys/kernel/printk",
                                             "/proc/sys/net/ipv4/ip_forward"};
  std::map<std::string, std::string> before;
  for (const auto& k : readable) {
    before[k] = test::read_file(k);
  }
  Host h;
  h.image();
  Run r = h.trace({"knobs"});
  INFO(r.describe());
  CHECK(r.code == 0);
  // /proc and /sys as the runtimes do: /proc/sys and /proc/sysrq-trigger read-only.
  for (const char* k : {"/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches", "/proc/sys/kernel/panic",
                        "/proc/sys/kernel/pid_max", "/proc/sys/kernel/printk",
                        "/proc/sys/net/ipv4/ip_forward", "/proc/sysrq-trigger"}) {
    check_blocked(r, std::string("knob-write:") + k);
  }
  // Devices: mknod of a device fails; /dev/kmsg is not the host's.
  check_blocked(r, "mknod-kmsg");
  check_blocked(r, "dev-kmsg");
  check_nothing_succeeded(r);
  for (const auto& k : readable) {
    CHECK(test::read_file(k) == before[k]);
  }
  h.check_canaries(r);
}

TEST_CASE("attack: /proc and /sys are masked and read-only as the runtimes do", "[attack]")
{
  const std::vector<std::string> masked_files = {"/proc/kcore", "/proc/keys", "/proc/timer_list",
                                                 "/proc/sched_debug"};
  const std::vector<std::string> masked_dirs = {"/proc/acpi", "/proc/scsi", "/sys/firmware"};
  const std::vector<std::string> read_only = {
      "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs", "/sys"};
  std::vector<std::string> args = {"masks", "/", "/proc"};
  for (const auto* list : {&masked_files, &masked_dirs, &read_only}) {
    args.insert(args.end(), list->begin(), list->end());
  }
  Host h;
  h.image();
  Run r = h.trace(args);
  INFO(r.describe());
  REQUIRE(r.code == 0);

  // What mountinfo shows at each path, in mount order (a later mount on the same point is on top).
  std::vector<std::pair<std::string, std::string>> mounts;
  for (const auto& l : info_lines(r.out, "mount")) {
    mounts.emplace_back(l.substr(0, l.find(' ')), l);
  }
  auto mount_at = [&](const std::string& p) -> std::string {
    std::string found;
    for (const auto& [point, line] : mounts) {
      if (point == p) {
        found = line;
      }
    }
    return found;
  };
  // The mount that holds `p`: the deepest mount point at or above it.
  auto covering = [&](const std::string& p) -> std::string {
    std::string best, line;
    for (const auto& [point, l] : mounts) {
      bool above = p == point || point == "/" || p.rfind(point + "/", 0) == 0;
      if (above && point.size() >= best.size()) {
        best = point;
        line = l;
      }
    }
    return line;
  };
  auto read_only_mount = [](const std::string& line) {
    size_t o = line.find("opts=");
    std::string opts = o == std::string::npos ? "" : line.substr(o + 5, line.find(' ', o) - o - 5);
    return ("," + opts + ",").find(",ro,") != std::string::npos;
  };
  auto opened = [&](const std::string& p) {
    for (const auto& l : info_lines(r.out, "open")) {
      if (l.rfind(p + " ", 0) == 0) {
        return l.substr(p.size() + 1);
      }
    }
    return std::string();
  };

  for (const auto& p : masked_files) {
    INFO("masked file " << p << ": mount `" << mount_at(p) << "`, open `" << opened(p) << "`");
    if (test::path_exists(p)) {
      // A mask is a mount over the path (runc and podman bind /dev/null), and it reads as empty.
      CHECK_FALSE(mount_at(p).empty());
      std::string o = opened(p);
      CHECK((o == "bytes=0" || o.rfind("errno=", 0) == 0));
    } else {
      // Not on this kernel: nothing can be mounted there; it must not appear inside either.
      CHECK(opened(p) == "errno=ENOENT");
    }
  }
  for (const auto& p : masked_dirs) {
    INFO("masked directory " << p << ": mount `" << mount_at(p) << "`, open `" << opened(p) << "`");
    if (test::path_exists(p)) {
      std::string o = opened(p);
      // A read-only empty tmpfs over it (runc), or not there at all (no /sys mounted).
      CHECK((o == "dir entries=0" || o == "errno=ENOENT"));
      if (o == "dir entries=0") {
        CHECK_FALSE(mount_at(p).empty());
      }
    } else {
      CHECK(opened(p) == "errno=ENOENT");
    }
  }
  for (const auto& p : read_only) {
    std::string line = covering(p);
    INFO("read-only " << p << ": held by `" << line << "`, open `" << opened(p) << "`");
    if (!test::path_exists(p)) {
      CHECK(opened(p) == "errno=ENOENT");
      continue;
    }
    if (p == "/sys" && mount_at("/sys").empty()) {
      // No sysfs in the sandbox at all is stricter than a read-only one.
      continue;
    }
    if (opened(p).rfind("errno=", 0) == 0) {
      continue; // not reachable inside
    }
    REQUIRE_FALSE(line.empty());
    CHECK(read_only_mount(line));
  }
  check_nothing_succeeded(r);
  h.check_canaries(r);
}

TEST_CASE("attack: the app can neither read the host's keyring nor add to it", "[attack]")
{
  std::string key_name = random_token("whittle-test-key-");
  std::string payload = random_token("whittle-key-secret-");
  long serial =
      ::syscall(SYS_add_key, "user", key_name.c_str(), payload.data(), payload.size(), KEY_SPEC_USER_KEYRING);
  if (serial < 0) {
    test::skip(std::string("add_key to the user keyring failed: ") + std::strerror(errno));
    return;
  }
  struct Unlink
  {
    long serial;
    ~Unlink() { ::syscall(SYS_keyctl, KEYCTL_INVALIDATE, serial); }
  } unlink_key{serial};
  auto keyring = [] {
    std::string buf(4096, '\0');
    long n = ::syscall(SYS_keyctl, KEYCTL_READ, KEY_SPEC_USER_KEYRING, buf.data(), buf.size());
    buf.resize(n > 0 ? static_cast<size_t>(std::min<long>(n, 4096)) : 0);
    return buf;
  };
  std::string ring_before = keyring();
  REQUIRE_FALSE(ring_before.empty());

  Host h;
  h.image();
  Run r = h.trace({"keyring", std::to_string(serial)});
  // Where the sandbox does not hold, the app added a key to this user's keyring: take it out again.
  std::string ring_after = keyring();
  long added = ::syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", "whittle-attack-added", 0);
  if (added > 0) {
    ::syscall(SYS_keyctl, KEYCTL_INVALIDATE, added);
  }
  INFO(r.describe());
  CHECK(r.code == 0);
  // Baseline syscall policy: keyctl/add_key/request_key refused with EPERM.
  check_blocked(r, "keyctl-read-host-key", "EPERM");
  check_blocked(r, "keyctl-read-user-keyring", "EPERM");
  check_blocked(r, "add_key-user-keyring", "EPERM");
  check_blocked(r, "request_key", "EPERM");
  check_nothing_succeeded(r);
  CHECK_THAT(r.out, !Catch::Contains(payload));
  CHECK(ring_after == ring_before);
  std::string buf(256, '\0');
  long n = ::syscall(SYS_keyctl, KEYCTL_READ, serial, buf.data(), buf.size());
  REQUIRE(n == static_cast<long>(payload.size()));
  CHECK(buf.substr(0, payload.size()) == payload);
  h.check_canaries(r);
}

TEST_CASE("attack: --mount HOST:CTR:ro is read-only in every submount below it", "[attack][root]")
{
  if (::geteuid() != 0) {
    test::skip("mounting a tmpfs below the --mount source needs root");
    return;
  }
  Host h;
  std::string host = h.t / "hostm";
  REQUIRE(::mkdir(host.c_str(), 0755) == 0);
  REQUIRE(::mkdir((host + "/sub").c_str(), 0755) == 0);
  if (test::run_command("mount -t tmpfs -o size=1m whittle-attack '" + host + "/sub'") != 0) {
    test::skip("could not mount a tmpfs below the --mount source");
    return;
  }
  struct Umount
  {
    std::string dir;
    ~Umount() { test::run_command("umount -l '" + dir + "'"); }
  } umount{host + "/sub"};
  test::write_file(host + "/top-file", "top\n");
  test::write_file(host + "/sub/sub-file", "sub\n");
  std::string top_before = listing(host);
  std::string sub_before = listing(host + "/sub");

  h.image();
  Run r = h.trace({"write", "/m", "/m/sub"}, {"--mount", host + ":/m:ro"});
  INFO(r.describe());
  CHECK(r.code == 0);
  // Read-only all the way down.
  check_blocked(r, "write:/m");
  check_blocked(r, "write:/m/sub");
  check_nothing_succeeded(r);
  CHECK(listing(host) == top_before);
  CHECK(listing(host + "/sub") == sub_before);
  h.check_canaries(r);
}

TEST_CASE("attack: the app's root is not the host's root", "[attack]")
{
  Host h;
  h.image();
  // The app holds for 3 s so that the test finds it on the host and reads its credentials and id map there:
  // the app's own /proc/self/uid_map is relative to its parent namespace, which may itself be a namespace
  // of whittle's (a nested map reads "0 0 1" inside), while opened from the host it is host ids.
  std::vector<std::string> host_uids;
  std::string host_map;
  auto look = [&] {
    if (!host_uids.empty()) {
      return;
    }
    for (pid_t pid : processes_running("/bin/app", "identity")) {
      std::string proc = "/proc/" + std::to_string(pid);
      std::istringstream status(read_or_empty(proc + "/status"));
      std::string line;
      while (std::getline(status, line)) {
        if (line.rfind("Uid:", 0) == 0) {
          host_uids.push_back(line);
        }
      }
      host_map = read_or_empty(proc + "/uid_map");
    }
  };
  Run r = h.trace({"identity", "3000"}, {}, look);
  INFO(r.describe());
  CHECK(r.code == 0);
  REQUIRE_FALSE(info_lines(r.out, "uid_map").empty()); // the app ran
  for (const auto& l : info_lines(r.out, "status")) {
    UNSCOPED_INFO("app " << l);
  }
  // Image uid 0 maps to an unprivileged host id, never to host 0 (and nothing maps to it).
  REQUIRE_FALSE(host_uids.empty());
  INFO("the app's uid_map seen from the host:\n" << host_map);
  std::istringstream map(host_map);
  std::string l;
  int lines = 0;
  while (std::getline(map, l)) {
    INFO("uid_map line: " << l);
    unsigned long inside = 0, outside = 0, count = 0;
    REQUIRE(std::sscanf(l.c_str(), "%lu %lu %lu", &inside, &outside, &count) == 3);
    CHECK(outside != 0);
    CHECK(count < 4294967295UL);
    ++lines;
  }
  CHECK(lines >= 1);
  // Seen from the host, the app's real, effective, saved and fs uids are none of them 0.
  for (const auto& u : host_uids) {
    INFO("host view: " << u);
    std::istringstream in(u.substr(4));
    long id;
    int fields = 0;
    while (in >> id) {
      CHECK(id != 0);
      ++fields;
    }
    CHECK(fields == 4);
  }
  h.check_canaries(r);
}
