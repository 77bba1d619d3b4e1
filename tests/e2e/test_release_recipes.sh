#!/bin/sh
# e2e: the two ways users run whittle, as documented in the README (docs/recipes/):
#   1. a Makefile `release` target (docs/recipes/Makefile.release): podman build -> podman save ->
#      whittle slim -> podman load;
#   2. a post-step after a multi-stage build (docs/recipes/slim-after-build.sh), same chain.
# Both run on a two-stage Containerfile (a builder stage generates the app's data file) over the e2e python3
# image. The loaded slim image must run as non-root with the fat image's output, and the artifacts exist.
set -eu
. "$(dirname "$0")/lib.sh"

e2e_require podman skopeo make python3
e2e_require_root
e2e_require_whittle slim
e2e_workdir
W=$E2E_WORK
recipes=$WHITTLE_SRC/docs/recipes
e2e_check "the README points at the recipes (docs/recipes)" grep -q "docs/recipes" "$WHITTLE_SRC/README.md"
e2e_check "docs/recipes/README.md shows both recipes" sh -c \
  'grep -q "Makefile.release" "$1/README.md" && grep -q "slim-after-build.sh" "$1/README.md"' - "$recipes"

e2e_python_image
# The builder stage of the multi-stage build leaves an unnamed image; remove the ones this suite made.
dangling_before=$(podman images -q --filter dangling=true | sort)
remove_new_dangling() {
  for d in $(podman images -q --filter dangling=true | sort); do
    printf '%s\n' "$dangling_before" | grep -qx "$d" || podman rmi -f "$d" >/dev/null 2>&1 || true
  done
}
proj=$W/project
mkdir -p "$proj"
cat >"$proj/Containerfile" <<EOF
FROM $E2E_IMG_NAME AS build
RUN mkdir /out && python3 -c "import json; d = json.load(open('/app/data.json')); d['title'] = 'release build'; json.dump(d, open('/out/data.json', 'w'), indent=1)"

FROM $E2E_IMG_NAME
COPY --from=build /out/data.json /app/data.json
EOF

# check_release NAME IMAGE ARTIFACTS: the loaded slim IMAGE behaves like IMAGE-fat, as non-root.
check_release() {
  what=$1 img=$2 art=$3
  e2e_remove_at_exit "$img" "$img-fat"
  e2e_run "$img-fat" >"$W/fat.out"
  e2e_check "$what: the fat build runs (release build data)" grep -q 'app: release build' "$W/fat.out"
  if ! podman image exists "$img"; then
    e2e_check "$what: slim image $img loaded into podman" false
    return 0
  fi
  e2e_run "$img" >"$W/slim.out" 2>"$W/slim.err" || true
  e2e_check "$what: slim image gives the fat image's output" cmp -s "$W/slim.out" "$W/fat.out"
  user=$(e2e_image_user "$img")
  e2e_check "$what: slim image runs as non-root ($user)" sh -c 'case $1 in ""|0|0:*|root|root:*) exit 1 ;; esac' - "$user"
  fat_size=$(podman image inspect --format '{{.Size}}' "$img-fat")
  slim_size=$(podman image inspect --format '{{.Size}}' "$img")
  echo "$what: podman image size $fat_size -> $slim_size bytes"
  e2e_check "$what: slim image at least 8x smaller" test $((slim_size * 8)) -le "$fat_size"
  for f in report.json run-flags.txt securitycontext.yaml; do
    e2e_check "$what: artifact $f" test -s "$art/$f"
  done
}

# 1. The Makefile target.
e2e_log "make -f docs/recipes/Makefile.release release"
rc=0
make -f "$recipes/Makefile.release" release IMAGE=localhost/whittle-e2e-release-make TAG=1 CONTEXT="$proj" \
  OUT="$W/out-make" WHITTLE="$WHITTLE" >"$W/make.log" 2>&1 || rc=$?
tail -n 20 "$W/make.log"
e2e_check "make release exits 0 (got $rc)" test "$rc" = 0
check_release "Makefile target" localhost/whittle-e2e-release-make:1 "$W/out-make/whittle"

# 2. The post-step script after a multi-stage build.
e2e_log "docs/recipes/slim-after-build.sh"
rc=0
(cd "$W" && WHITTLE=$WHITTLE ARTIFACTS=$W/out-sh "$recipes/slim-after-build.sh" localhost/whittle-e2e-release-sh:2 \
  -f "$proj/Containerfile" "$proj") >"$W/sh.log" 2>&1 || rc=$?
tail -n 20 "$W/sh.log"
e2e_check "slim-after-build.sh exits 0 (got $rc)" test "$rc" = 0
check_release "post-step script" localhost/whittle-e2e-release-sh:2 "$W/out-sh"
remove_new_dangling

e2e_finish
