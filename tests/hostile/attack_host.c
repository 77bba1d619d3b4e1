/* Attacks on what the app can reach of the host: descriptors, stdio, the terminal, devices, kernel
 * knobs, /proc and /sys, keyrings, read-only mounts, its ids (see attacker.c for the result lines). */
#include "attacker.h"

/* Every inherited descriptor above stdio: the app must hold none that names a host file. Through a
 * directory descriptor it tries the test's canary; through any other it tries to read and write. */
int
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
int
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
int
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

int
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
int
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
int
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
int
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
int
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
int
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
int
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
