/* A static helper tracee for the tracer tests (crun's tests/init.c): each subcommand makes one pattern of
 * file access or process creation, so a test can assert the exact profile it produces. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int
touch(const char* path)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
  }
  return fd >= 0 ? 0 : 1;
}

static void
sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void*
thread_open(void* arg)
{
  touch((const char*)arg);
  return NULL;
}

static char** g_exec_argv;

static void*
thread_exec(void* arg)
{
  (void)arg;
  execv(g_exec_argv[0], g_exec_argv);
  _exit(127);
}

static void
ignore(int sig)
{
  (void)sig;
}

static int
serve(int port)
{
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr*)&a, sizeof a) != 0 || listen(s, 8) != 0) {
    return 1;
  }
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) {
      continue;
    }
    char buf[1024];
    (void)!read(c, buf, sizeof buf);
    touch("/data/a.txt");
    const char* answer = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    (void)!write(c, answer, strlen(answer));
    close(c);
  }
}

static int
report_errno(long rc)
{
  int err = rc < 0 ? errno : 0;
  printf("errno=%d\n", err);
  fflush(stdout);
  return err;
}

/* One call of each class the sandbox's baseline policy refuses, with harmless arguments. */
static int
try_refused(const char* what)
{
  errno = 0;
  if (strcmp(what, "keyctl") == 0) {
    return report_errno(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4 /* user keyring */, 0));
  }
  if (strcmp(what, "add_key") == 0) {
    return report_errno(syscall(SYS_add_key, "user", "whittle", "x", 1, -4));
  }
  if (strcmp(what, "bpf") == 0) {
    char attr[128] = {0};
    return report_errno(syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof attr));
  }
  if (strcmp(what, "perf_event_open") == 0) {
    char attr[128] = {0};
    return report_errno(syscall(SYS_perf_event_open, attr, 0, -1, -1, 0));
  }
  if (strcmp(what, "userfaultfd") == 0) {
    return report_errno(syscall(SYS_userfaultfd, O_CLOEXEC));
  }
  if (strcmp(what, "unshare") == 0) {
    return report_errno(syscall(SYS_unshare, CLONE_NEWUSER));
  }
  if (strcmp(what, "io_uring_setup") == 0) {
    char params[120] = {0};
    return report_errno(syscall(SYS_io_uring_setup, 4, params));
  }
  if (strcmp(what, "clone3") == 0) {
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &ca, sizeof ca);
    if (pid == 0) {
      _exit(0);
    }
    if (pid > 0) {
      waitpid((pid_t)pid, NULL, 0);
    }
    return report_errno(pid);
  }
  if (strcmp(what, "clone-untraced") == 0 || strcmp(what, "clone-newuser") == 0) {
    unsigned long flag = strcmp(what, "clone-untraced") == 0 ? CLONE_UNTRACED : CLONE_NEWUSER;
    long pid = syscall(SYS_clone, flag | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
      _exit(0);
    }
    if (pid > 0) {
      waitpid((pid_t)pid, NULL, 0);
    }
    return report_errno(pid);
  }
  if (strcmp(what, "seccomp-listener") == 0 || strcmp(what, "seccomp-plain") == 0) {
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {1, &allow};
    unsigned long flags = strcmp(what, "seccomp-listener") == 0 ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
    return report_errno(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog));
  }
  if (strcmp(what, "tiocsti") == 0 || strcmp(what, "tiocsti-high") == 0 || strcmp(what, "tioclinux") == 0) {
    /* On stdin, whatever it is: refused by the filter (EPERM) before the kernel could say ENOTTY. High
     * bits the kernel ignores must not slip past the rule. */
    unsigned long req = strcmp(what, "tioclinux") == 0 ? TIOCLINUX : TIOCSTI;
    if (strcmp(what, "tiocsti-high") == 0) {
      req |= 1UL << 32;
    }
    char c = 'x';
    return report_errno(syscall(SYS_ioctl, 0, req, &c));
  }
  if (strcmp(what, "personality") == 0) {
    return report_errno(syscall(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */));
  }
  if (strcmp(what, "personality-query") == 0) {
    return report_errno(syscall(SYS_personality, 0xffffffffUL));
  }
  if (strcmp(what, "open_by_handle_at") == 0) {
    char handle[64] = {0};
    return report_errno(syscall(SYS_open_by_handle_at, AT_FDCWD, handle, O_RDONLY));
  }
  if (strcmp(what, "mount") == 0) {
    return report_errno(syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, NULL));
  }
  if (strcmp(what, "kexec_load") == 0) {
    return report_errno(syscall(SYS_kexec_load, 0, 0, NULL, 0));
  }
  fprintf(stderr, "tracee: unknown call %s\n", what);
  return 200;
}

int
main(int argc, char** argv)
{
  if (argc == 3 && strcmp(argv[1], "-c") == 0) {
    /* Called as /bin/sh -c "COMMAND ARGS": words split on spaces. */
    static char* words[32];
    int n = 0;
    words[n++] = argv[0];
    for (char* w = strtok(argv[2], " "); w != NULL && n < 31; w = strtok(NULL, " ")) {
      words[n++] = w;
    }
    words[n] = NULL;
    return main(n, words);
  }
  if (argc < 2) {
    fprintf(stderr, "usage: tracee COMMAND ARGS...\n");
    return 2;
  }
  const char* cmd = argv[1];
  if (strcmp(cmd, "open") == 0 && argc == 3) {
    return touch(argv[2]);
  }
  if (strcmp(cmd, "stat") == 0 && argc == 3) {
    struct stat st;
    return stat(argv[2], &st) == 0 ? 0 : 1;
  }
  if (strcmp(cmd, "owner") == 0 && argc >= 3) {
    /* "UID:GID" of each path (lstat), one line each; "?" when it cannot be stat'ed. */
    int rc = 0;
    for (int i = 2; i < argc; ++i) {
      struct stat st;
      if (lstat(argv[i], &st) == 0) {
        printf("%u:%u\n", (unsigned)st.st_uid, (unsigned)st.st_gid);
      } else {
        printf("?\n");
        rc = 1;
      }
    }
    return rc;
  }
  if (strcmp(cmd, "fstat") == 0 && argc == 3) {
    int fd = open(argv[2], O_RDONLY);
    struct stat st;
    int rc = fstat(fd, &st);
    close(fd);
    return rc == 0 ? 0 : 1;
  }
  if (strcmp(cmd, "readlink") == 0 && argc == 3) {
    char buf[256];
    return readlink(argv[2], buf, sizeof buf) > 0 ? 0 : 1;
  }
  if (strcmp(cmd, "openat") == 0 && argc == 4) {
    int dir = open(argv[2], O_RDONLY | O_DIRECTORY);
    int fd = openat(dir, argv[3], O_RDONLY);
    return fd >= 0 ? 0 : 1;
  }
  if (strcmp(cmd, "openat2") == 0 && argc == 3) {
    struct open_how how = {0};
    how.flags = O_RDONLY;
    int fd = (int)syscall(SYS_openat2, AT_FDCWD, argv[2], &how, sizeof how);
    return fd >= 0 ? 0 : 1;
  }
  if ((strcmp(cmd, "openat2-in-root") == 0 || strcmp(cmd, "openat2-beneath") == 0) && argc == 4) {
    struct open_how how = {0};
    how.flags = O_RDONLY;
    how.resolve = strcmp(cmd, "openat2-in-root") == 0 ? RESOLVE_IN_ROOT : RESOLVE_BENEATH;
    int dir = open(argv[2], O_RDONLY | O_DIRECTORY);
    int fd = (int)syscall(SYS_openat2, dir, argv[3], &how, sizeof how);
    return fd >= 0 ? 0 : 1;
  }
  if (strcmp(cmd, "create") == 0 && argc == 3) {
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    return fd >= 0 ? 0 : 1;
  }
  if (strcmp(cmd, "unlink") == 0 && argc == 3) {
    return unlink(argv[2]) == 0 ? 0 : 1;
  }
  if (strcmp(cmd, "mkdir") == 0 && argc == 3) {
    return mkdir(argv[2], 0755) == 0 ? 0 : 1;
  }
  if (strcmp(cmd, "rename") == 0 && argc == 4) {
    return rename(argv[2], argv[3]) == 0 ? 0 : 1;
  }
  if (strcmp(cmd, "chdir") == 0 && argc == 4) {
    if (chdir(argv[2]) != 0) {
      return 1;
    }
    return touch(argv[3]);
  }
  if (strcmp(cmd, "threads") == 0 && argc >= 3) {
    pthread_t t[8];
    int n = 0;
    for (int i = 2; i < argc && n < 8; ++i) {
      pthread_create(&t[n++], NULL, thread_open, argv[i]);
    }
    for (int i = 0; i < n; ++i) {
      pthread_join(t[i], NULL);
    }
    return 0;
  }
  if (strcmp(cmd, "vfork-exec") == 0 && argc >= 3) {
    pid_t pid = vfork();
    if (pid == 0) {
      execv(argv[2], argv + 2);
      _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
  }
  if (strcmp(cmd, "clone3") == 0 && argc == 3) {
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &ca, sizeof ca);
    if (pid == 0) {
      _exit(touch(argv[2]));
    }
    if (pid < 0) {
      return 3;
    }
    int st;
    waitpid((pid_t)pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
  }
  if (strcmp(cmd, "execveat") == 0 && argc >= 3) {
    int fd = open(argv[2], O_PATH | O_CLOEXEC);
    syscall(SYS_execveat, fd, "", argv + 2, environ, AT_EMPTY_PATH);
    return 127;
  }
  if (strcmp(cmd, "exec") == 0 && argc >= 3) {
    execv(argv[2], argv + 2);
    return 127;
  }
  if (strcmp(cmd, "exec-thread") == 0 && argc >= 3) {
    g_exec_argv = argv + 2;
    pthread_t t;
    pthread_create(&t, NULL, thread_exec, NULL);
    pthread_join(t, NULL);
    return 127;
  }
  if (strcmp(cmd, "daemonize") == 0 && argc == 3) {
    pid_t pid = fork();
    if (pid != 0) {
      int st;
      waitpid(pid, &st, 0);
      return 0; /* the original exits at once */
    }
    setsid();
    if (fork() != 0) {
      _exit(0);
    }
    sleep_ms(300);
    _exit(touch(argv[2]));
  }
  if (strcmp(cmd, "group-stop") == 0 && argc == 3) {
    pid_t pid = fork();
    if (pid == 0) {
      raise(SIGSTOP);
      _exit(touch(argv[2]));
    }
    sleep_ms(200);
    kill(pid, SIGCONT);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
  }
  if (strcmp(cmd, "signal") == 0 && argc == 3) {
    /* A handled signal must reach the app. */
    signal(SIGUSR1, ignore);
    raise(SIGUSR1);
    return touch(argv[2]);
  }
  if (strcmp(cmd, "serve") == 0 && argc == 3) {
    return serve(atoi(argv[2]));
  }
  if (strcmp(cmd, "cpus") == 0 && argc == 2) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
      return 1;
    }
    printf("%d\n", CPU_COUNT(&set));
    return 0;
  }
  if (strcmp(cmd, "exit") == 0 && argc == 3) {
    return atoi(argv[2]);
  }
  if (strcmp(cmd, "print") == 0 && argc == 3) {
    /* To stdout, from the app and from a child it forks (both hold the app's stdout). */
    pid_t child = fork();
    if (child == 0) {
      dprintf(1, "child: %s\n", argv[2]);
      _exit(0);
    }
    waitpid(child, NULL, 0);
    dprintf(1, "%s\n", argv[2]);
    return 0;
  }
  /* Calls that show the app needs root (or not). */
  if (strcmp(cmd, "bind") == 0 && argc == 3) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(argv[2]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = fd >= 0 && bind(fd, (struct sockaddr*)&a, sizeof a) == 0;
    return ok ? 0 : 1;
  }
  if (strcmp(cmd, "bind6") == 0 && argc == 3) {
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((unsigned short)atoi(argv[2]));
    a.sin6_addr = in6addr_loopback;
    int ok = fd >= 0 && bind(fd, (struct sockaddr*)&a, sizeof a) == 0;
    return ok ? 0 : 1;
  }
  if (strcmp(cmd, "setuid") == 0 && argc == 3) {
    /* As nginx's worker drops root: groups, gid, uid (raw syscalls: glibc's would sync every thread). */
    gid_t g = (gid_t)atoi(argv[2]);
    int ok = syscall(SYS_setgroups, 1, &g) == 0 && syscall(SYS_setgid, g) == 0 &&
             syscall(SYS_setuid, (uid_t)atoi(argv[2])) == 0;
    return ok ? 0 : 1;
  }
  if (strcmp(cmd, "setresuid") == 0 && argc == 4) {
    /* As setpriv/gosu drop root: groups, then setresgid, then setresuid (UID GID). */
    gid_t g = (gid_t)atoi(argv[3]);
    uid_t u = (uid_t)atoi(argv[2]);
    int ok = syscall(SYS_setgroups, 1, &g) == 0 && syscall(SYS_setresgid, g, g, g) == 0 &&
             syscall(SYS_setresuid, u, u, u) == 0;
    return ok ? 0 : 1;
  }
  if (strcmp(cmd, "chmod") == 0 && argc == 4) {
    return chmod(argv[2], (mode_t)strtol(argv[3], NULL, 8)) == 0 ? 0 : 1;
  }
  if (strcmp(cmd, "try-create") == 0 && argc == 3) {
    /* Creates a file; prints errno=N (0 on success). */
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    report_errno(fd);
    if (fd >= 0) {
      close(fd);
    }
    return 0;
  }
  if (strcmp(cmd, "mode") == 0 && argc == 3) {
    /* "mode M uid U gid G" of a path (not followed). */
    struct stat st;
    if (lstat(argv[2], &st) != 0) {
      printf("mode %s\n", strerror(errno));
      return 1;
    }
    printf("mode %o uid %u gid %u\n", (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid);
    return 0;
  }
  if (strcmp(cmd, "sysinfo") == 0 && argc == 2) {
    /* One call no baseline holds; prints errno=N. */
    char info[256];
    report_errno(syscall(SYS_sysinfo, info));
    return 0;
  }
  if (strcmp(cmd, "chown") == 0 && argc == 5) {
    return chown(argv[2], (uid_t)atoi(argv[3]), (gid_t)atoi(argv[4])) == 0 ? 0 : 1;
  }
  if (strcmp(cmd, "fchown") == 0 && argc == 5) {
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    return fd >= 0 && fchown(fd, (uid_t)atoi(argv[3]), (gid_t)atoi(argv[4])) == 0 ? 0 : 1;
  }
  /* Hostile apps. */
  if (strcmp(cmd, "forkbomb") == 0) {
    for (;;) {
      fork();
    }
  }
  /* An app that becomes ready late: sleeps MS, creates PATH, then runs until stopped. */
  if (strcmp(cmd, "ready-after") == 0 && argc == 4) {
    sleep_ms(atol(argv[2]));
    int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      return 1;
    }
    close(fd);
    for (;;) {
      sleep_ms(1000);
    }
  }
  if (strcmp(cmd, "spin") == 0) {
    for (;;) {
      sleep_ms(1000);
    }
  }
  if (strcmp(cmd, "ignore-term") == 0) {
    signal(SIGTERM, SIG_IGN);
    for (;;) {
      sleep_ms(1000);
    }
  }
  if (strcmp(cmd, "write") == 0 && argc == 4) {
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
      return 1;
    }
    ssize_t n = write(fd, argv[3], strlen(argv[3]));
    close(fd);
    return n == (ssize_t)strlen(argv[3]) ? 0 : 1;
  }
  if (strcmp(cmd, "ptrace") == 0) {
    /* Try to attach to pid 1 (the sandbox init) and our parent. */
    int ok = ptrace(PTRACE_ATTACH, 1, 0, 0) == 0 || ptrace(PTRACE_ATTACH, getppid(), 0, 0) == 0;
    return ok ? 0 : 1;
  }
  if (strcmp(cmd, "mount") == 0) {
    int ok = mount("tmpfs", "/tmp", "tmpfs", 0, NULL) == 0 || mount("/", "/mnt", NULL, MS_BIND, NULL) == 0;
    return ok ? 0 : 1;
  }
  /* Sandbox checks: each prints what it found, one "key value" line per fact. */
  if (strcmp(cmd, "cat") == 0 && argc == 3) {
    /* Copies a file to stdout; exit 1 (errno on stderr) when it cannot be opened. */
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      fprintf(stderr, "cat %s: %s\n", argv[2], strerror(errno));
      return 1;
    }
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
      fwrite(buf, 1, (size_t)n, stdout);
    }
    close(fd);
    return 0;
  }
  if (strcmp(cmd, "fds") == 0) {
    /* Every open descriptor and what it names. */
    for (int fd = 0; fd < 1024; ++fd) {
      char link[64], target[512];
      snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
      ssize_t n = readlink(link, target, sizeof target - 1);
      if (n >= 0) {
        target[n] = 0;
        printf("fd %d %s\n", fd, target);
      }
    }
    return 0;
  }
  if (strcmp(cmd, "tty") == 0) {
    /* Opening /dev/tty without a controlling terminal fails with ENXIO. */
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    printf("tty %s\n", fd >= 0 ? "opened" : strerror(errno));
    printf("sid %d pid %d\n", (int)getsid(0), (int)getpid());
    return fd >= 0 ? 1 : 0;
  }
  if (strcmp(cmd, "mknod") == 0 && argc == 3) {
    /* A character device for /dev/null's numbers (1, 3): must fail. */
    int rc = mknod(argv[2], S_IFCHR | 0600, makedev(1, 3));
    printf("mknod %s\n", rc == 0 ? "made" : strerror(errno));
    return rc == 0 ? 1 : 0;
  }
  if (strcmp(cmd, "filetype") == 0 && argc == 3) {
    struct stat st;
    if (lstat(argv[2], &st) != 0) {
      printf("filetype %s\n", strerror(errno));
      return 1;
    }
    printf("filetype %s size %lld mode %o\n",
           S_ISREG(st.st_mode) ? "regular" : S_ISCHR(st.st_mode) ? "char" : S_ISBLK(st.st_mode) ? "block" : "other",
           (long long)st.st_size, (unsigned)(st.st_mode & 07777));
    return 0;
  }
  if (strcmp(cmd, "keyring") == 0) {
    /* The id of the session keyring (KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING, no create). */
    long id = syscall(SYS_keyctl, 0, -3, 0);
    if (id < 0) {
      printf("keyring %s\n", strerror(errno));
      return 1;
    }
    printf("keyring %ld\n", id);
    return 0;
  }
  if (strcmp(cmd, "stderr") == 0 && argc == 3) {
    fputs(argv[2], stderr);
    return 0;
  }
  /* Calls the baseline policy refuses: prints and exits with the errno seen (0: the call worked). */
  if (strcmp(cmd, "try") == 0 && argc == 3) {
    return try_refused(argv[2]);
  }
  if (strcmp(cmd, "empty-path-stat") == 0 && argc == 3) {
    /* AT_EMPTY_PATH with a real path: a lookup like any other. */
    struct stat st;
    struct statx stx;
    int a = (int)syscall(SYS_newfstatat, AT_FDCWD, argv[2], &st, AT_EMPTY_PATH);
    int b = (int)syscall(SYS_statx, AT_FDCWD, argv[2], AT_EMPTY_PATH, STATX_BASIC_STATS, &stx);
    return a == 0 && b == 0 ? 0 : 1;
  }
  if (strcmp(cmd, "nonutf8") == 0 && argc == 3) {
    /* Creates and stats DIR/<0xff 0xfe>a\b<0xc3> (no valid UTF-8, a backslash, a cut sequence). */
    char path[4096];
    snprintf(path, sizeof path, "%s/\xff\xfe" "a\\b\xc3", argv[2]);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      return 1;
    }
    close(fd);
    struct stat st;
    return stat(path, &st) == 0 ? 0 : 1;
  }
  if (strcmp(cmd, "stat-many") == 0 && argc == 4) {
    /* N distinct paths that do not exist, below DIR. */
    long n = atol(argv[3]);
    char path[4096];
    struct stat st;
    for (long i = 0; i < n; ++i) {
      snprintf(path, sizeof path, "%s/missing-%ld", argv[2], i);
      stat(path, &st);
    }
    return 0;
  }
  if (strcmp(cmd, "long-path") == 0 && argc == 3) {
    /* chdir as deep as the kernel allows (each step under PATH_MAX), then stat there: the absolute path
     * the tracer computes passes PATH_MAX. */
    char name[256];
    memset(name, 'd', 200);
    name[200] = '\0';
    if (chdir(argv[2]) != 0) {
      return 1;
    }
    for (int i = 0; i < 30; ++i) {
      if (mkdir(name, 0755) != 0 || chdir(name) != 0) {
        return 1;
      }
    }
    struct stat st;
    stat("x", &st);
    return 0;
  }
  /* Resource caps (trace/limits): memory, tasks and disk. */
  if (strcmp(cmd, "alloc") == 0 && argc == 3) {
    /* Allocates and touches MIB mebibytes, 1 MiB at a time; 3 when an allocation is refused. */
    long mib = atol(argv[2]);
    for (long i = 0; i < mib; ++i) {
      char* p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) {
        return 3;
      }
      memset(p, 1, 1 << 20);
    }
    return 0;
  }
  if (strcmp(cmd, "forks") == 0 && argc == 3) {
    /* Forks up to N sleeping children; exits with how many forks succeeded (at most 250). */
    int n = atoi(argv[2]), made = 0;
    pid_t kids[250];
    for (int i = 0; i < n && i < 250; ++i) {
      pid_t pid = fork();
      if (pid == 0) {
        sleep_ms(10000);
        _exit(0);
      }
      if (pid < 0) {
        break;
      }
      kids[made++] = pid;
    }
    for (int i = 0; i < made; ++i) {
      kill(kids[i], SIGKILL);
      waitpid(kids[i], NULL, 0);
    }
    return made;
  }
  if (strcmp(cmd, "fill") == 0 && argc == 4) {
    /* Writes MIB mebibytes of non-zero data into PATH; 0 when all were written. */
    static char chunk[1 << 20];
    memset(chunk, 'w', sizeof chunk);
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
      return 1;
    }
    for (long i = 0; i < atol(argv[3]); ++i) {
      if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) {
        return 1;
      }
    }
    return 0;
  }
  if ((strcmp(cmd, "fallocate") == 0 || strcmp(cmd, "fallocate-keep") == 0) && argc == 4) {
    /* One fallocate of MIB mebibytes (fallocate-keep: FALLOC_FL_KEEP_SIZE, which RLIMIT_FSIZE does not
     * bound), then a pause in which the watchdog can see it. */
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int mode = strcmp(cmd, "fallocate-keep") == 0 ? FALLOC_FL_KEEP_SIZE : 0;
    int ok = fd >= 0 && fallocate(fd, mode, 0, (off_t)atol(argv[3]) << 20) == 0;
    sleep_ms(500);
    return ok ? 0 : 1;
  }
  if (strcmp(cmd, "many-files") == 0 && argc == 5) {
    /* Creates N files of KIB kibibytes each in DIR; 0 when all were written. */
    static char chunk[1 << 20];
    memset(chunk, 'f', sizeof chunk);
    long n = atol(argv[3]);
    size_t size = (size_t)atol(argv[4]) << 10;
    for (long i = 0; i < n; ++i) {
      char path[4096];
      snprintf(path, sizeof path, "%s/f%ld", argv[2], i);
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || write(fd, chunk, size) != (ssize_t)size) {
        return 1;
      }
      close(fd);
    }
    return 0;
  }
  fprintf(stderr, "tracee: unknown command %s\n", cmd);
  return 2;
}
