/* The attacker of the sandbox tests (tests/hostile/test_attacks.cpp): the /bin/app of hostile images.
 * Each subcommand tries one attack on the sandbox from inside it and prints one line per attempt:
 *
 *   ATTACK <name> result=blocked errno=<ENAME>      the kernel (or the tracer) refused it
 *   ATTACK <name> result=blocked detail=<why>       it ran, but reached nothing of the host
 *   ATTACK <name> result=SUCCEEDED detail=<what>    it reached the host (or was not refused as required)
 *   INFO <key> <value>                              facts the test asserts on itself (mounts, maps)
 *
 * Every attempt is harmless to the host even where the sandbox does not hold: knobs are opened for
 * writing but never written, block devices are only read, refused syscalls get arguments that make them
 * fail with EINVAL/EFAULT/ENOENT once past the permission check, and the TIOCSTI payload is a comment. */
#include "attacker.h"

const char*
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

void
blocked(const char* name, int e)
{
  printf("ATTACK %s result=blocked errno=%s\n", name, ename(e));
  fflush(stdout);
}

void
blocked_because(const char* name, const char* why)
{
  printf("ATTACK %s result=blocked detail=%s\n", name, why);
  fflush(stdout);
}

void
succeeded(const char* name, const char* what)
{
  printf("ATTACK %s result=SUCCEEDED detail=%s\n", name, what);
  fflush(stdout);
}

/* Bytes as printable text: \xHH for anything outside graphic ASCII, so results stay one line. */
void
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

void
hex(const unsigned char* in, size_t n, char* out)
{
  for (size_t i = 0; i < n; ++i) {
    sprintf(out + 2 * i, "%02x", in[i]);
  }
  out[2 * n] = '\0';
}

void
sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
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
