/* The attacker of the sandbox tests (tests/hostile/test_attacks.cpp): the /bin/app of hostile images.
 * Each subcommand tries one attack of issue 9 from inside the sandbox and prints one line per attempt:
 *
 *   ATTACK <name> result=blocked errno=<ENAME>      the kernel (or the tracer) refused it
 *   ATTACK <name> result=blocked detail=<why>       it ran, but reached nothing of the host
 *   ATTACK <name> result=SUCCEEDED detail=<what>    it reached the host (or was not refused as required)
 *   INFO <key> <value>                              facts the test asserts on itself (mounts, maps)
 *
 * Every attempt is harmless to the host even where the sandbox does not hold: knobs are opened for
 * writing but never written, block devices are only read, refused syscalls get arguments that make them
 * fail with EINVAL/EFAULT/ENOENT once past the permission check, and the TIOCSTI payload is a comment. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif

static const char*
ename(int e)
{
  switch (e) {
  case 0:
    return "0";
  case EPERM:
    return "EPERM";
  case ENOENT:
    return "ENOENT";
  case EACCES:
    return "EACCES";
  case EROFS:
    return "EROFS";
  case ENOSYS:
    return "ENOSYS";
  case EINVAL:
    return "EINVAL";
  case EFAULT:
    return "EFAULT";
  case EBADF:
    return "EBADF";
  case ENOSPC:
    return "ENOSPC";
  case EDQUOT:
    return "EDQUOT";
  case EFBIG:
    return "EFBIG";
  case ENOMEM:
    return "ENOMEM";
  case EAGAIN:
    return "EAGAIN";
  case ENXIO:
    return "ENXIO";
  case ENOTTY:
    return "ENOTTY";
  case EIO:
    return "EIO";
  case ENOTDIR:
    return "ENOTDIR";
  case EISDIR:
    return "EISDIR";
  case EEXIST:
    return "EEXIST";
  case ENODEV:
    return "ENODEV";
  case EOPNOTSUPP:
    return "EOPNOTSUPP";
  case ENOKEY:
    return "ENOKEY";
  case EKEYREVOKED:
    return "EKEYREVOKED";
  case ECONNREFUSED:
    return "ECONNREFUSED";
  default: {
    static char buf[32];
    snprintf(buf, sizeof buf, "E%d", e);
    return buf;
  }
  }
}

static void
blocked(const char* name, int e)
{
  printf("ATTACK %s result=blocked errno=%s\n", name, ename(e));
  fflush(stdout);
}

static void
blocked_because(const char* name, const char* why)
{
  printf("ATTACK %s result=blocked detail=%s\n", name, why);
  fflush(stdout);
}

static void
succeeded(const char* name, const char* what)
{
  printf("ATTACK %s result=SUCCEEDED detail=%s\n", name, what);
  fflush(stdout);
}

/* Bytes as printable text: \xHH for anything outside graphic ASCII, so results stay one line. */
static void
escape(const unsigned char* in, size_t n, char* out, size_t cap)
{
  size_t o = 0;
  for (size_t i = 0; i < n && o + 5 < cap; ++i) {
    if (in[i] > 0x20 && in[i] < 0x7f && in[i] != '\\') {
      out[o++] = (char)in[i];
    } else {
      o += (size_t)snprintf(out + o, cap - o, "\\x%02x", in[i]);
    }
  }
  out[o] = '\0';
}

static void
hex(const unsigned char* in, size_t n, char* out)
{
  for (size_t i = 0; i < n; ++i) {
    sprintf(out + 2 * i, "%02x", in[i]);
  }
  out[2 * n] = '\0';
}

static void
sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* Every inherited descriptor above stdio: the app must hold none that names a host file. Through a
 * directory descriptor it tries the test's canary; through any other it tries to read and write. */
static int
attack_fds(void)
{
  int found = 0;
  for (int fd = 3; fd < 65536; ++fd) {
    if (fcntl(fd, F_GETFD) < 0) {
      continue;
    }
    char link[64], target[512] = "";
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    target[n > 0 ? n : 0] = '\0';
    char detail[700];
    snprintf(detail, sizeof detail, "fd=%d->%s", fd, target);
    printf("INFO fd %s\n", detail);
    struct stat st;
    if (fstat(fd, &st) != 0) {
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      int c = openat(fd, "canary", O_RDWR | O_CLOEXEC);
      if (c >= 0) {
        char buf[128] = "";
        ssize_t r = read(c, buf, sizeof buf - 1);
        char esc[600];
        escape((unsigned char*)buf, r > 0 ? (size_t)r : 0, esc, sizeof esc);
        snprintf(detail, sizeof detail, "fd=%d->%s:canary=%s", fd, target, esc);
        succeeded("inherited-fd-canary", detail);
        close(c);
        ++found;
      }
      int w = openat(fd, "pwned-by-fd", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (w >= 0) {
        succeeded("inherited-fd-write", detail);
        close(w);
        ++found;
      }
    } else if (S_ISREG(st.st_mode)) {
      succeeded("inherited-fd-file", detail);
      ++found;
    }
  }
  if (found == 0) {
    blocked_because("inherited-fd", "no-host-descriptor");
  }
  return 0;
}

/* The app's stdio must not name a host file: reopening fd 0/1/2 through /proc gives a pipe, /dev/null or
 * nothing, never a log file that can be read back or truncated. */
static int
attack_stdio(void)
{
  for (int fd = 0; fd <= 2; ++fd) {
    char path[64], name[32], detail[900];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    snprintf(name, sizeof name, "stdio-read-%d", fd);
    int r = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (r < 0) {
      blocked(name, errno);
    } else {
      struct stat st;
      fstat(r, &st);
      if (S_ISREG(st.st_mode)) {
        unsigned char buf[256];
        ssize_t n = read(r, buf, sizeof buf);
        char esc[800];
        escape(buf, n > 0 ? (size_t)n : 0, esc, sizeof esc);
        snprintf(detail, sizeof detail, "regular-file:read=%s", esc);
        succeeded(name, detail);
      } else {
        snprintf(detail, sizeof detail, "not-a-file:mode=%o", (unsigned)(st.st_mode & S_IFMT));
        blocked_because(name, detail);
      }
      close(r);
    }
    snprintf(name, sizeof name, "stdio-truncate-%d", fd);
    int w = open(path, O_WRONLY | O_TRUNC | O_NONBLOCK | O_CLOEXEC);
    if (w < 0) {
      blocked(name, errno);
    } else {
      struct stat st;
      fstat(w, &st);
      if (S_ISREG(st.st_mode)) {
        succeeded(name, "truncated-a-regular-file");
      } else {
        snprintf(detail, sizeof detail, "not-a-file:mode=%o", (unsigned)(st.st_mode & S_IFMT));
        blocked_because(name, detail);
      }
      close(w);
    }
  }
  return 0;
}

/* TIOCSTI types into the terminal's input queue: the invoking shell would run it after whittle exits. */
static int
attack_tiocsti(void)
{
  static const char payload[] = "#whittle-tiocsti-injected\n";
  char name[32];
  for (int fd = -1; fd <= 2; ++fd) {
    int t = fd;
    if (fd < 0) {
      t = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (t < 0) {
        blocked("tiocsti-dev-tty", errno);
        continue;
      }
      snprintf(name, sizeof name, "tiocsti-dev-tty");
    } else {
      snprintf(name, sizeof name, "tiocsti-%d", fd);
    }
    int err = 0;
    for (size_t i = 0; payload[i]; ++i) {
      if (ioctl(t, TIOCSTI, &payload[i]) != 0) {
        err = errno;
        break;
      }
    }
    if (err != 0) {
      blocked(name, err);
    } else {
      succeeded(name, "typed-into-the-terminal");
    }
    if (fd < 0) {
      close(t);
    }
  }
  /* TIOCLINUX (a virtual console's selection and screen dump) on each: only a filter answers EPERM on a
   * pipe, /dev/null or a pty, so that is what the test asks for. 6 = TIOCL_GETSHIFTSTATE, a read. */
  for (int fd = 0; fd <= 2; ++fd) {
    char sub = 6;
    snprintf(name, sizeof name, "tioclinux-%d", fd);
    if (ioctl(fd, TIOCLINUX, &sub) != 0) {
      blocked(name, errno);
    } else {
      succeeded(name, "answered");
    }
  }
  /* The controlling terminal itself: a new session has none. */
  pid_t sid = getsid(0);
  int ctty = open("/dev/tty", O_RDONLY | O_CLOEXEC);
  printf("INFO session %d pid %d ctty %s\n", (int)sid, (int)getpid(), ctty >= 0 ? "yes" : "no");
  if (ctty >= 0) {
    close(ctty);
  }
  return 0;
}

/* Reads the first 32 bytes of a block device node: the host disk when devices are usable. */
static void
read_block(const char* name, const char* path)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    blocked(name, errno);
    return;
  }
  unsigned char buf[32];
  ssize_t n = read(fd, buf, sizeof buf);
  int err = errno;
  close(fd);
  if (n <= 0) {
    blocked(name, n < 0 ? err : 0);
    return;
  }
  char h[80], detail[120];
  hex(buf, (size_t)n, h);
  snprintf(detail, sizeof detail, "read=%s", h);
  succeeded(name, detail);
}

static int
attack_blockdev(const char* shipped, unsigned maj, unsigned min)
{
  read_block("blockdev-shipped", shipped);
  const char* made = "/tmp/whittle-attack-blk";
  unlink(made);
  if (mknod(made, S_IFBLK | 0600, makedev(maj, min)) != 0) {
    blocked("mknod-block", errno);
  } else {
    succeeded("mknod-block", "made-a-block-device-node");
    read_block("blockdev-mknod", made);
    unlink(made);
  }
  return 0;
}

/* Kernel knobs: opened for writing (never written). */
static int
attack_knobs(void)
{
  static const char* knobs[] = {"/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches",
                                "/proc/sys/kernel/panic",        "/proc/sys/kernel/pid_max",
                                "/proc/sys/kernel/printk",       "/proc/sys/net/ipv4/ip_forward",
                                "/proc/sysrq-trigger",           NULL};
  for (int i = 0; knobs[i]; ++i) {
    char name[96];
    snprintf(name, sizeof name, "knob-write:%s", knobs[i]);
    int fd = open(knobs[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      blocked(name, errno);
    } else {
      succeeded(name, "opened-for-writing");
      close(fd);
    }
  }
  const char* kmsg = "/tmp/whittle-attack-kmsg";
  unlink(kmsg);
  if (mknod(kmsg, S_IFCHR | 0600, makedev(1, 11)) != 0) {
    blocked("mknod-kmsg", errno);
  } else {
    int fd = open(kmsg, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      blocked("mknod-kmsg", errno);
    } else {
      succeeded("mknod-kmsg", "opened-/dev/kmsg-for-writing");
      close(fd);
    }
    unlink(kmsg);
  }
  int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    blocked("dev-kmsg", errno);
  } else {
    succeeded("dev-kmsg", "opened-for-writing");
    close(fd);
  }
  return 0;
}

/* What mountinfo shows at each path a runtime masks or makes read-only, and what opening it gives. */
static int
attack_masks(int argc, char** argv)
{
  FILE* f = fopen("/proc/self/mountinfo", "re");
  if (!f) {
    printf("INFO mountinfo-unreadable %s\n", ename(errno));
    return 1;
  }
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    /* id parent maj:min root mountpoint options ... - fstype source superoptions */
    char root[1024], point[1024], opts[512], fstype[128];
    if (sscanf(line, "%*d %*d %*s %1023s %1023s %511s", root, point, opts) != 3) {
      continue;
    }
    char* dash = strstr(line, " - ");
    if (!dash || sscanf(dash + 3, "%127s", fstype) != 1) {
      continue;
    }
    for (int i = 0; i < argc; ++i) {
      if (strcmp(point, argv[i]) == 0) {
        printf("INFO mount %s fstype=%s opts=%s root=%s\n", point, fstype, opts, root);
      }
    }
  }
  fclose(f);
  for (int i = 0; i < argc; ++i) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      printf("INFO open %s errno=%s\n", argv[i], ename(errno));
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      DIR* d = opendir(argv[i]);
      int entries = 0;
      struct dirent* e;
      while (d && (e = readdir(d)) != NULL) {
        entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
      }
      printf("INFO open %s dir entries=%d\n", argv[i], entries);
      if (d) {
        closedir(d);
      }
      continue;
    }
    int fd = open(argv[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      printf("INFO open %s errno=%s\n", argv[i], ename(errno));
      continue;
    }
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    printf("INFO open %s bytes=%zd\n", argv[i], n);
    close(fd);
  }
  fflush(stdout);
  return 0;
}

/* The test's key (serial argv) read, and a key added to the user keyring. */
static int
attack_keyring(const char* serial)
{
  long id = strtol(serial, NULL, 0);
  char buf[256];
  long n = syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof buf);
  if (n < 0) {
    blocked("keyctl-read-host-key", errno);
  } else {
    char esc[800];
    escape((unsigned char*)buf, (size_t)(n < (long)sizeof buf ? n : (long)sizeof buf), esc, sizeof esc);
    char detail[900];
    snprintf(detail, sizeof detail, "read=%s", esc);
    succeeded("keyctl-read-host-key", detail);
  }
  n = syscall(SYS_keyctl, KEYCTL_READ, KEY_SPEC_USER_KEYRING, buf, sizeof buf);
  if (n < 0) {
    blocked("keyctl-read-user-keyring", errno);
  } else {
    succeeded("keyctl-read-user-keyring", "listed");
  }
  long k = syscall(SYS_add_key, "user", "whittle-attack-added", "pwned", (size_t)5, KEY_SPEC_USER_KEYRING);
  if (k < 0) {
    blocked("add_key-user-keyring", errno);
  } else {
    succeeded("add_key-user-keyring", "added");
  }
  k = syscall(SYS_request_key, "user", "whittle-attack-requested", NULL, KEY_SPEC_USER_KEYRING);
  if (k < 0 && errno != ENOKEY) {
    blocked("request_key", errno);
  } else if (k < 0) {
    succeeded("request_key", "reached-the-keyring:ENOKEY");
  } else {
    succeeded("request_key", "found");
  }
  return 0;
}

/* Writes a file in each directory argv (a read-only mount and its submounts). */
static int
attack_write(int argc, char** argv)
{
  for (int i = 0; i < argc; ++i) {
    char path[4096], name[4200];
    snprintf(path, sizeof path, "%s/pwned-by-app", argv[i]);
    snprintf(name, sizeof name, "write:%s", argv[i]);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      blocked(name, errno);
    } else {
      succeeded(name, "created");
      close(fd);
    }
  }
  return 0;
}

/* Creates a file in each directory argv: ordinary writes whose directories reach the outputs. */
static int
touch_in(int argc, char** argv)
{
  for (int i = 0; i < argc; ++i) {
    char path[4096];
    snprintf(path, sizeof path, "%s/written-by-app", argv[i]);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    printf("INFO touch %s\n", fd >= 0 ? "0" : ename(errno));
    if (fd >= 0) {
      close(fd);
    }
  }
  fflush(stdout);
  return 0;
}

static void
print_file(const char* key, const char* path)
{
  FILE* f = fopen(path, "re");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    printf("INFO %s %s\n", key, line);
  }
  if (f) {
    fclose(f);
  } else {
    printf("INFO %s unreadable %s\n", key, ename(errno));
  }
}

/* Who the app is: its id maps, capabilities and ids; then it waits so that the test can find it from the
 * host (argv carries a marker) and read its host credentials. */
static int
attack_identity(const char* hold_ms)
{
  print_file("uid_map", "/proc/self/uid_map");
  print_file("gid_map", "/proc/self/gid_map");
  FILE* f = fopen("/proc/self/status", "re");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "CapEff:", 7) == 0 || strncmp(line, "Uid:", 4) == 0 || strncmp(line, "Gid:", 4) == 0) {
      line[strcspn(line, "\n")] = '\0';
      printf("INFO status %s\n", line);
    }
  }
  if (f) {
    fclose(f);
  }
  printf("INFO ids uid=%d euid=%d gid=%d\n", (int)getuid(), (int)geteuid(), (int)getgid());
  fflush(stdout);
  sleep_ms(strtol(hold_ms, NULL, 10));
  return 0;
}

/* Writes `mib` MiB to fd; returns the MiB written, *err the errno that stopped it (0 if none). */
static long
write_mib(int fd, long mib, int* err)
{
  static char chunk[1 << 20];
  memset(chunk, 'w', sizeof chunk);
  *err = 0;
  for (long done = 0; done < mib; ++done) {
    size_t off = 0;
    while (off < sizeof chunk) {
      ssize_t n = write(fd, chunk + off, sizeof chunk - off);
      if (n <= 0) {
        *err = n < 0 ? errno : ENOSPC;
        return done;
      }
      off += (size_t)n;
    }
  }
  return mib;
}

/* `mib` MiB at path: "write" writes one file, "fallocate" reserves it (one call for the whole size, the
 * issue's "2 GiB in a millisecond", then in 64 MiB steps), "write-many" writes 32 MiB files path.N (each
 * below a per-file limit such as RLIMIT_FSIZE). Stops at the first error; removes what it wrote. */
static int
attack_fill(const char* mode, const char* path, const char* mib_text)
{
  long mib = strtol(mib_text, NULL, 10);
  char name[128], detail[128];
  snprintf(name, sizeof name, "disk-%s:%s", mode, path);
  signal(SIGXFSZ, SIG_IGN); /* an attacker takes EFBIG over being killed */
  printf("INFO fill start\n");
  fflush(stdout);
  long done = 0;
  int err = 0;
  if (strcmp(mode, "write-many") == 0) {
    int files = 0;
    while (done < mib && err == 0) {
      char file[512];
      snprintf(file, sizeof file, "%s.%d", path, files++);
      int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) {
        err = errno;
        break;
      }
      done += write_mib(fd, 32, &err);
      close(fd);
    }
    for (int i = 0; i < files; ++i) {
      char file[512];
      snprintf(file, sizeof file, "%s.%d", path, i);
      unlink(file);
    }
  } else {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      blocked(name, errno);
      return 0;
    }
    if (strcmp(mode, "fallocate") == 0) {
      if (fallocate(fd, 0, 0, (off_t)mib << 20) == 0) {
        done = mib;
      } else {
        err = errno;
        for (done = 0; done < mib; done += 64) {
          if (fallocate(fd, 0, (off_t)done << 20, (off_t)64 << 20) != 0) {
            err = errno;
            break;
          }
        }
      }
    } else {
      done = write_mib(fd, mib, &err);
    }
    close(fd);
    unlink(path);
  }
  if (done >= mib) {
    snprintf(detail, sizeof detail, "wrote=%ldMiB", done);
    succeeded(name, detail);
  } else {
    printf("ATTACK %s result=blocked errno=%s detail=stopped-at=%ldMiB\n", name, ename(err), done);
    fflush(stdout);
  }
  return 0;
}

/* Anonymous memory touched in 64 MiB steps. */
static int
attack_memory(const char* mib_text)
{
  long mib = strtol(mib_text, NULL, 10);
  long done = 0;
  printf("INFO memory start\n");
  fflush(stdout);
  for (; done < mib; done += 64) {
    char* p = mmap(NULL, (size_t)64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      printf("ATTACK memory result=blocked errno=%s detail=stopped-at=%ldMiB\n", ename(errno), done);
      fflush(stdout);
      return 0;
    }
    memset(p, 'm', (size_t)64 << 20);
    printf("INFO memory touched=%ldMiB\n", done + 64);
    fflush(stdout);
  }
  char detail[64];
  snprintf(detail, sizeof detail, "touched=%ldMiB", done);
  succeeded("memory", detail);
  return 0;
}

/* Forks up to n children that wait; counts how many the pids cap let through, then kills them. */
static int
attack_forkbomb(const char* n_text)
{
  long n = strtol(n_text, NULL, 10);
  pid_t* kids = calloc((size_t)n, sizeof *kids);
  long made = 0;
  int err = 0;
  for (; made < n; ++made) {
    pid_t p = fork();
    if (p < 0) {
      err = errno;
      break;
    }
    if (p == 0) {
      pause();
      _exit(0);
    }
    kids[made] = p;
  }
  for (long i = 0; i < made; ++i) {
    kill(kids[i], SIGKILL);
  }
  for (long i = 0; i < made; ++i) {
    waitpid(kids[i], NULL, 0);
  }
  if (made >= n) {
    char detail[64];
    snprintf(detail, sizeof detail, "forked=%ld", made);
    succeeded("forkbomb", detail);
  } else {
    printf("ATTACK forkbomb result=blocked errno=%s detail=forked=%ld\n", ename(err), made);
    fflush(stdout);
  }
  return 0;
}

/* n distinct paths stat'ed (each missing), each near PATH_MAX long (200-byte components, the distinct
 * number last): the profile grows by n entries of 4 KB, the 120,000 paths and 2.7 GB of RSS. */
static int
attack_stat_many(const char* n_text)
{
  long n = strtol(n_text, NULL, 10);
  static char path[4096];
  size_t len = 0;
  len += (size_t)snprintf(path, sizeof path, "/whittle-attack-stat-many");
  while (len + 202 + 16 < sizeof path) {
    path[len++] = '/';
    memset(path + len, 'p', 200);
    len += 200;
  }
  printf("INFO stat-many start\n");
  fflush(stdout);
  struct stat st;
  for (long i = 0; i < n; ++i) {
    snprintf(path + len, sizeof path - len, "/%08ld", i);
    stat(path, &st);
  }
  printf("INFO stat-many done=%ld\n", n);
  fflush(stdout);
  return 0;
}

/* An HTTP server on 127.0.0.1:port whose one answer is a `mib`-MiB body, written as fast as the reader
 * takes it; it stops when the reader closes. */
static int
attack_http_serve(const char* port_text, const char* mib_text)
{
  long mib = strtol(mib_text, NULL, 10);
  signal(SIGPIPE, SIG_IGN);
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(port_text));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr*)&a, sizeof a) != 0 || listen(s, 8) != 0) {
    printf("INFO http-serve bind failed %s\n", ename(errno));
    return 1;
  }
  printf("INFO http-serve listening\n");
  fflush(stdout);
  static char chunk[1 << 20];
  memset(chunk, 'h', sizeof chunk);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) {
      continue;
    }
    char req[4096];
    ssize_t got = read(c, req, sizeof req);
    (void)got;
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %lld\r\n"
                      "Connection: close\r\n\r\n",
                      (long long)mib << 20);
    long sent = 0;
    if (write(c, head, (size_t)hn) == hn) {
      for (; sent < mib; ++sent) {
        size_t off = 0;
        while (off < sizeof chunk) {
          ssize_t n = write(c, chunk + off, sizeof chunk - off);
          if (n <= 0) {
            break;
          }
          off += (size_t)n;
        }
        if (off < sizeof chunk) {
          break;
        }
      }
    }
    printf("INFO http-serve sent=%ldMiB\n", sent);
    fflush(stdout);
    close(c);
  }
}

static int
attack_io_uring(void)
{
  unsigned char params[120];
  memset(params, 0, sizeof params);
  long fd = syscall(425 /* io_uring_setup */, 8, params);
  if (fd >= 0) {
    succeeded("io_uring_setup", "ring-created");
    close((int)fd);
  } else if (errno == ENOSYS) {
    blocked("io_uring_setup", errno);
  } else {
    char detail[64];
    snprintf(detail, sizeof detail, "not-ENOSYS:%s", ename(errno));
    succeeded("io_uring_setup", detail);
  }
  return 0;
}

/* statx and open_tree with AT_EMPTY_PATH and a real path: the kernel resolves the path, so the profile
 * must record it (the test looks for both paths in profile.json). */
static int
attack_empty_path(const char* statx_path, const char* open_tree_path)
{
  unsigned char buf[256];
  long r = syscall(SYS_statx, AT_FDCWD, statx_path, AT_EMPTY_PATH, 0x7ff, buf);
  printf("INFO statx %s %s\n", statx_path, r == 0 ? "0" : ename(errno));
  r = syscall(428 /* open_tree */, AT_FDCWD, open_tree_path, AT_EMPTY_PATH | OPEN_TREE_CLOEXEC);
  printf("INFO open_tree %s %s\n", open_tree_path, r >= 0 ? "0" : ename(errno));
  if (r >= 0) {
    close((int)r);
  }
  fflush(stdout);
  return 0;
}

/* A seccomp filter of the app's own with a user-notification listener: it could answer its own syscalls
 * past the tracer. */
static int
attack_seccomp_listener(void)
{
  struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog prog = {1, allow};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd >= 0) {
    succeeded("seccomp-new-listener", "listener-installed");
    close((int)fd);
  } else {
    blocked("seccomp-new-listener", errno);
  }
  return 0;
}

/* clone with CLONE_UNTRACED: a child the tracer never sees; the child opens `path` and exits. */
static int
attack_clone_untraced(const char* path)
{
  long pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, NULL, NULL, 0);
  if (pid == 0) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
    }
    _exit(0);
  }
  if (pid < 0) {
    blocked("clone-untraced", errno);
  } else {
    waitpid((pid_t)pid, NULL, 0);
    succeeded("clone-untraced", "untraced-child-ran");
  }
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_UNTRACED;
  args.exit_signal = SIGCHLD;
  pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
    }
    _exit(0);
  }
  if (pid < 0) {
    blocked("clone3-untraced", errno);
  } else {
    waitpid((pid_t)pid, NULL, 0);
    succeeded("clone3-untraced", "untraced-child-ran");
  }
  return 0;
}

/* Opens a file whose name is argv given in \xHH form (decoded here, so argv stays printable). */
static int
attack_open_raw(const char* escaped)
{
  char path[1024];
  size_t o = 0;
  for (size_t i = 0; escaped[i] && o + 1 < sizeof path;) {
    unsigned v;
    if (escaped[i] == '\\' && escaped[i + 1] == 'x' && sscanf(escaped + i + 2, "%2x", &v) == 1) {
      path[o++] = (char)v;
      i += 4;
    } else {
      path[o++] = escaped[i++];
    }
  }
  path[o] = '\0';
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  printf("INFO open-raw %s %s\n", escaped, fd >= 0 ? "0" : ename(errno));
  if (fd >= 0) {
    close(fd);
  }
  fflush(stdout);
  return 0;
}

/* Docker's default profile refuses these; each gets arguments that fail harmlessly past the permission
 * check (EINVAL, EFAULT, ENOENT), so only EPERM means "refused". */
static int
attack_refused(void)
{
  struct
  {
    const char* name;
    long nr;
    long a[6];
  } calls[] = {
      {"keyctl", SYS_keyctl, {KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0}},
      {"bpf", SYS_bpf, {9999, 0, 0}},
      {"perf_event_open", SYS_perf_event_open, {0, 0, -1, -1, 0}},
      {"userfaultfd", SYS_userfaultfd, {0x7fff0000}},
      {"kexec_load", SYS_kexec_load, {0, 0, 0, 0x7fff0000}},
      {"init_module", SYS_init_module, {0, 0, 0}},
      {"open_by_handle_at", SYS_open_by_handle_at, {-1, 0, 0}},
      {"reboot", SYS_reboot, {0, 0, 0, 0}},
      {"swapon", SYS_swapon, {(long)"/whittle-attack-no-such-swap", 0}},
      {"acct", SYS_acct, {(long)"/whittle-attack-no-such-acct"}},
      {"settimeofday", SYS_settimeofday, {8, 0}},
  };
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; ++i) {
    errno = 0;
    long r = syscall(calls[i].nr, calls[i].a[0], calls[i].a[1], calls[i].a[2], calls[i].a[3], calls[i].a[4],
                     calls[i].a[5]);
    char name[64];
    snprintf(name, sizeof name, "refused:%s", calls[i].name);
    if (r < 0 && errno == EPERM) {
      blocked(name, errno);
    } else {
      char detail[64];
      snprintf(detail, sizeof detail, "returned=%ld:%s", r, ename(r < 0 ? errno : 0));
      succeeded(name, detail);
    }
  }
  return 0;
}

/* A daemon: a grandchild in its own session sleeping `seconds`, while the app itself exits at once. */
static int
attack_daemon(const char* seconds)
{
  pid_t p = fork();
  if (p == 0) {
    setsid();
    if (fork() == 0) {
      sleep_ms(strtol(seconds, NULL, 10) * 1000);
      _exit(0);
    }
    _exit(0);
  }
  waitpid(p, NULL, 0);
  printf("INFO daemon started\n");
  fflush(stdout);
  return 0;
}

int
main(int argc, char** argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: attacker ATTACK [ARGS...]\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char* cmd = argv[1];
  if (strcmp(cmd, "fds") == 0) {
    return attack_fds();
  }
  if (strcmp(cmd, "stdio") == 0) {
    return attack_stdio();
  }
  if (strcmp(cmd, "tiocsti") == 0) {
    return attack_tiocsti();
  }
  if (strcmp(cmd, "blockdev") == 0 && argc == 5) {
    return attack_blockdev(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
  }
  if (strcmp(cmd, "knobs") == 0) {
    return attack_knobs();
  }
  if (strcmp(cmd, "masks") == 0) {
    return attack_masks(argc - 2, argv + 2);
  }
  if (strcmp(cmd, "keyring") == 0 && argc == 3) {
    return attack_keyring(argv[2]);
  }
  if (strcmp(cmd, "write") == 0) {
    return attack_write(argc - 2, argv + 2);
  }
  if (strcmp(cmd, "touch") == 0) {
    return touch_in(argc - 2, argv + 2);
  }
  if (strcmp(cmd, "identity") == 0 && argc >= 3) {
    return attack_identity(argv[2]);
  }
  if (strcmp(cmd, "fill") == 0 && argc == 5) {
    return attack_fill(argv[2], argv[3], argv[4]);
  }
  if (strcmp(cmd, "memory") == 0 && argc == 3) {
    return attack_memory(argv[2]);
  }
  if (strcmp(cmd, "forkbomb") == 0 && argc == 3) {
    return attack_forkbomb(argv[2]);
  }
  if (strcmp(cmd, "stat-many") == 0 && argc == 3) {
    return attack_stat_many(argv[2]);
  }
  if (strcmp(cmd, "http-serve") == 0 && argc == 4) {
    return attack_http_serve(argv[2], argv[3]);
  }
  if (strcmp(cmd, "io_uring") == 0) {
    return attack_io_uring();
  }
  if (strcmp(cmd, "empty-path") == 0 && argc == 4) {
    return attack_empty_path(argv[2], argv[3]);
  }
  if (strcmp(cmd, "seccomp-listener") == 0) {
    return attack_seccomp_listener();
  }
  if (strcmp(cmd, "clone-untraced") == 0 && argc == 3) {
    return attack_clone_untraced(argv[2]);
  }
  if (strcmp(cmd, "open-raw") == 0 && argc == 3) {
    return attack_open_raw(argv[2]);
  }
  if (strcmp(cmd, "refused") == 0) {
    return attack_refused();
  }
  if (strcmp(cmd, "daemon") == 0 && argc == 3) {
    return attack_daemon(argv[2]);
  }
  /* Several attacks in one run: "seq A1 ARGS... -- A2 ARGS...". */
  if (strcmp(cmd, "seq") == 0) {
    int start = 2;
    for (int i = 2; i <= argc; ++i) {
      if (i == argc || strcmp(argv[i], "--") == 0) {
        char* saved = i < argc ? argv[i] : NULL;
        argv[i] = NULL;
        char* sub[64];
        int n = 0;
        sub[n++] = argv[0];
        for (int j = start; j < i && n < 63; ++j) {
          sub[n++] = argv[j];
        }
        sub[n] = NULL;
        if (n > 1) {
          main(n, sub);
        }
        if (i < argc) {
          argv[i] = saved;
        }
        start = i + 1;
      }
    }
    return 0;
  }
  fprintf(stderr, "attacker: unknown attack `%s`\n", cmd);
  return 2;
}
