/* A static helper tracee for the tracer tests (crun's tests/init.c): each subcommand makes one pattern of
 * file access or process creation, so a test can assert the exact profile it produces. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
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
