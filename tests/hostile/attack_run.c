/* Attacks on what bounds a run and what it records: disk, memory, tasks, whittle's own memory and
 * probes, calls that would hide from the profile, refused syscalls, daemons (see attacker.c). */
#include "attacker.h"

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
 * below a per-file limit such as RLIMIT_FSIZE), "fallocate-keep" reserves 256 MiB per file path.N with
 * FALLOC_FL_KEEP_SIZE (no file grows, so RLIMIT_FSIZE never applies; all of it in a few milliseconds,
 * faster than a disk watchdog samples). Stops at the first error; removes what it wrote. */
int
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
  if (strcmp(mode, "fallocate-keep") == 0) {
    int files = 0;
    while (done < mib && err == 0) {
      char file[512];
      snprintf(file, sizeof file, "%s.%d", path, files++);
      int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) {
        err = errno;
        break;
      }
      if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)256 << 20) == 0) {
        done += 256;
      } else {
        err = errno;
      }
      close(fd);
    }
    for (int i = 0; i < files; ++i) {
      char file[512];
      snprintf(file, sizeof file, "%s.%d", path, i);
      unlink(file);
    }
  } else if (strcmp(mode, "write-many") == 0) {
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
int
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
int
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
int
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
int
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

int
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
int
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
int
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
int
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
int
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
int
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
int
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
