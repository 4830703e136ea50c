#!/usr/bin/env bash
# Real services for dms tests and for running `dms serve` on the production stack, without Docker.
#
#   scripts/services.sh up [SERVICE...]      install (cached) and start, wait until healthy
#   scripts/services.sh down [SERVICE...]    stop
#   scripts/services.sh status [SERVICE...]  one line per service
#   scripts/services.sh env                  DMS_* settings for the running services, for eval
#   scripts/services.sh check [SERVICE...]   end-to-end smoke test of running services
#
# SERVICE is postgres (pg), elasticsearch (es), minio, tika, dovecot (imap). Everything is installed by this script
# (apt packages, Maven Central downloads, a MinIO build from the Go module proxy) and cached under
# .cache/services/ at the repository root, so the second `up` only starts processes. See docs/services.md.
set -euo pipefail

# --------------------------------------------------------------------------------------------------
# Versions (pinned) and settings
# --------------------------------------------------------------------------------------------------
ES_VERSION="${DMS_ES_VERSION:-9.5.4}"
TIKA_VERSION="${DMS_TIKA_VERSION:-3.3.2}"
# MinIO has no semver tags on the Go module proxy, only pseudo-versions; this is the last commit of
# github.com/minio/minio's default branch (2026-02-12), built with the machine's Go (go.mod says go 1.24).
MINIO_VERSION="${DMS_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"

# SHA-256 of the pinned artifacts. Maven Central's .sha1 is checked as well when it is served (this
# mirror of Central serves none for the 9.x integ-test-zip, so the pin is what protects that one).
declare -A PINNED_SHA256=(
  ["elasticsearch-9.5.4.zip"]="d9b0c28e08e499f6510b52ad66ec4bf9cdceab97cc28b3456989b8744b896934"
  ["tika-server-standard-3.3.2.jar"]="cdbe7fde72583dec8528f9c0ed962cacb7f6624f9900b1f733df638410f77540"
)

PG_PORT="${DMS_PG_PORT:-5432}"
ES_PORT="${DMS_ES_PORT:-9200}"
MINIO_PORT="${DMS_MINIO_PORT:-9000}"
MINIO_CONSOLE_PORT="${DMS_MINIO_CONSOLE_PORT:-$((MINIO_PORT + 1))}"
TIKA_PORT="${DMS_TIKA_PORT:-9998}"
IMAP_PORT="${DMS_IMAP_PORT:-1143}"        # Debian's dovecot, plain IMAP on loopback, for `dms mail fetch` tests
IMAP_USER="${DMS_IMAP_USER:-dms}"         # the test user of its passwd-file (password: DMS_IMAP_PASSWORD)
IMAP_PASSWORD="${DMS_IMAP_PASSWORD:-dms}"
ES_HEAP="${DMS_ES_HEAP:-512m}"
TIKA_HEAP="${DMS_TIKA_HEAP:-2g}"          # heap of Tika's forked parsing JVM
HEALTH_TIMEOUT="${DMS_SERVICES_TIMEOUT:-180}"  # seconds to wait for each service to become healthy
SVC_USER="${DMS_SVC_USER:-dms-svc}"       # Elasticsearch refuses to run as root

MAVEN_REPO="${DMS_MAVEN_REPO:-https://repo1.maven.org/maven2}"
ES_URL="$MAVEN_REPO/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
TIKA_URL="$MAVEN_REPO/org/apache/tika/tika-server-standard/$TIKA_VERSION/tika-server-standard-$TIKA_VERSION.jar"

ALL_SERVICES=(postgres elasticsearch minio tika dovecot)
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd -P)"
CACHE="$ROOT/.cache/services"
DOWNLOADS="$CACHE/downloads"
TIKA_CONFIG="$SCRIPT_DIR/services/tika-config.xml"
MACHINE_CACHE="${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/dms"

START_TS=$SECONDS
BG_PIDS=()

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [[ $EUID -eq 0 ]]; }

cleanup() {
  # Background helpers (downloads, the MinIO build) that are still running when we exit early.
  local pid
  for pid in "${BG_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      pkill -TERM -P "$pid" 2>/dev/null || true
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT

canonical() {
  case "$1" in
    postgres | postgresql | pg) echo postgres ;;
    elasticsearch | es | search) echo elasticsearch ;;
    minio | s3 | blobs) echo minio ;;
    tika | extraction) echo tika ;;
    dovecot | imap | mail) echo dovecot ;;
    *) die "unknown service '$1' (expected: ${ALL_SERVICES[*]})" ;;
  esac
}
short() { case "$1" in postgres) echo pg ;; elasticsearch) echo es ;; dovecot) echo imap ;; *) echo "$1" ;; esac; }
svc_dir() { echo "$CACHE/$(short "$1")"; }
pid_file() { echo "$(svc_dir "$1")/pid"; }
log_file() { echo "$(svc_dir "$1")/log"; }
port_file() { echo "$(svc_dir "$1")/port"; }
default_port() {
  case "$1" in postgres) echo "$PG_PORT" ;; elasticsearch) echo "$ES_PORT" ;; minio) echo "$MINIO_PORT" ;; tika) echo "$TIKA_PORT" ;; dovecot) echo "$IMAP_PORT" ;; esac
}
# The port a running service listens on (it may have been started with another DMS_*_PORT).
running_port() {
  local f
  f="$(port_file "$1")"
  if is_running "$1" && [[ -s $f ]]; then cat "$f"; else default_port "$1"; fi
}

pid_of() {
  local f
  f="$(pid_file "$1")"
  [[ -s $f ]] && cat "$f"
}
is_running() {
  local pid
  pid="$(pid_of "$1" 2>/dev/null)" || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

show_log() {
  local f="$1" n="${2:-50}"
  if [[ -f $f ]]; then
    printf '[services] ---- last %s lines of %s ----\n' "$n" "$f" >&2
    tail -n "$n" "$f" >&2 || true
    printf '[services] ---- end of %s ----\n' "$f" >&2
  fi
}

# Processes that run as another user (postgres, $SVC_USER) cannot reach .cache/ when the repository
# sits under a directory they cannot traverse (e.g. /root, mode 700). Their state then lives under
# /var/tmp, keyed by the repository path, with symlinks from .cache/services/ pointing there.
RUN_BASE=""
init_run_base() {
  mkdir -p "$CACHE"
  chmod 755 "$ROOT/.cache" "$CACHE" 2>/dev/null || true
  RUN_BASE="$CACHE"
  if is_root && ! runuser -u nobody -- test -x "$CACHE" 2>/dev/null; then
    RUN_BASE="/var/tmp/dms-services-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
    mkdir -p "$RUN_BASE"
    chmod 755 "$RUN_BASE"
  fi
}
# Directory for a service's files that its own (non-root) user must reach; linked from .cache if moved.
run_dir() {
  local name="$1" d
  d="$RUN_BASE/$name"
  mkdir -p "$d"
  if [[ $RUN_BASE != "$CACHE" ]]; then
    mkdir -p "$CACHE/$name"
    ln -sfn "$d" "$CACHE/$name/state"
  fi
  echo "$d"
}

as_user() {
  local user="$1"
  shift
  # From /: the service user may not be allowed into the current directory.
  if is_root; then (cd / && runuser -u "$user" -- "$@"); else "$@"; fi
}

# --------------------------------------------------------------------------------------------------
# Installation helpers
# --------------------------------------------------------------------------------------------------
pkg_installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }

APT_UPDATED=0
apt_install() {
  local missing=() p
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  is_root || die "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})"
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [[ $APT_UPDATED -eq 0 ]]; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    APT_UPDATED=1
  fi
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Download $1 to $2 (atomically), verified against Maven's .sha1 when served and a pinned SHA-256.
fetch() {
  local url="$1" dest="$2" label="$3" name tmp want_sha1 got pinned
  name="$(basename "$dest")"
  [[ -s $dest ]] && return 0
  mkdir -p "$(dirname "$dest")"
  tmp="$dest.part.$$"
  log "$label: downloading $name"
  curl --retry 5 --retry-delay 2 --retry-connrefused -fsSL -o "$tmp" "$url" || {
    rm -f "$tmp"
    die "$label: download failed: $url"
  }
  pinned="${PINNED_SHA256[$name]:-}"
  want_sha1="$(curl --retry 3 --retry-delay 2 -fsSL "$url.sha1" 2>/dev/null | grep -oE '^[0-9a-fA-F]{40}' || true)"
  if [[ -n $want_sha1 ]]; then
    got="$(sha1sum "$tmp" | cut -d' ' -f1)"
    [[ ${got,,} == "${want_sha1,,}" ]] || {
      rm -f "$tmp"
      die "$label: SHA-1 mismatch for $name (got $got, Maven says $want_sha1)"
    }
  fi
  got="$(sha256sum "$tmp" | cut -d' ' -f1)"
  if [[ -n $pinned ]]; then
    [[ $got == "$pinned" ]] || {
      rm -f "$tmp"
      die "$label: SHA-256 mismatch for $name (got $got, pinned $pinned)"
    }
  elif [[ -z $want_sha1 ]]; then
    rm -f "$tmp"
    die "$label: no .sha1 served and no pinned SHA-256 for $name (its SHA-256 is $got; pin it in PINNED_SHA256)"
  fi
  mv -f "$tmp" "$dest"
  log "$label: verified $name"
}

ensure_svc_user() {
  is_root || return 0
  id -u "$SVC_USER" >/dev/null 2>&1 && return 0
  log "creating system user $SVC_USER (Elasticsearch refuses to run as root)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SVC_USER"
}

java_major() { "$1" -version 2>&1 | sed -nE '1s/.*version "([0-9]+).*/\1/p'; }
# First JDK home (from the arguments, then /usr/lib/jvm) whose java is at least major version $1.
find_java_home() {
  local min="$1" h v
  shift
  for h in "$@" /usr/lib/jvm/*; do
    [[ -n $h && -x $h/bin/java ]] || continue
    v="$(java_major "$h/bin/java")"
    [[ -n $v && $v -ge $min ]] && {
      echo "$h"
      return 0
    }
  done
  return 1
}

pg_bindir() {
  local d
  d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  [[ -n $d && -x $d/postgres ]] && echo "$d"
}

go_bin() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    echo /usr/local/go/bin/go
  else
    return 1
  fi
}

minio_binary() { echo "$CACHE/bin/minio-$MINIO_VERSION"; }

# Runs in the background: produce .cache/services/bin/minio-<ver> (machine cache, or go install).
build_minio() {
  local bin machine go tmp moddir
  bin="$(minio_binary)"
  machine="$MACHINE_CACHE/minio-$MINIO_VERSION"
  mkdir -p "$CACHE/bin"
  if [[ ! -x $bin && -x $machine ]]; then
    log "minio: reusing machine cache $machine"
    cp "$machine" "$bin.tmp.$$" && mv -f "$bin.tmp.$$" "$bin"
  fi
  if [[ ! -x $bin ]]; then
    go="$(go_bin)" || die "minio: no Go toolchain (expected /usr/local/go/bin/go)"
    tmp="$(mktemp -d "$CACHE/bin/build.XXXXXX")"
    log "minio: building $MINIO_VERSION with $("$go" version | cut -d' ' -f3) (several minutes on 2 cores)"
    if ! GOBIN="$tmp" CGO_ENABLED=0 "$go" install -ldflags "-s -w" "github.com/minio/minio@$MINIO_VERSION"; then
      # `go install pkg@version` refuses modules whose go.mod has replace directives: build in the module.
      log "minio: go install failed, building inside the downloaded module instead"
      moddir="$("$go" mod download -json "github.com/minio/minio@$MINIO_VERSION" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')"
      [[ -d $moddir ]] || die "minio: go mod download failed"
      (cd "$moddir" && CGO_ENABLED=0 "$go" build -ldflags "-s -w" -o "$tmp/minio" .)
    fi
    mv -f "$tmp/minio" "$bin"
    rm -rf "$tmp"
    log "minio: built $bin"
  fi
  if [[ ! -x $machine ]]; then
    mkdir -p "$MACHINE_CACHE" && cp "$bin" "$machine.tmp.$$" && mv -f "$machine.tmp.$$" "$machine" || true
  fi
  ln -sfn "minio-$MINIO_VERSION" "$CACHE/bin/minio"
}

es_home() { echo "$(run_dir es)/elasticsearch-$ES_VERSION"; }

install_es() {
  local zip home tmp
  zip="$DOWNLOADS/elasticsearch-$ES_VERSION.zip"
  home="$(es_home)"
  [[ -x $home/bin/elasticsearch ]] && return 0
  fetch "$ES_URL" "$zip" "elasticsearch"
  log "elasticsearch: unpacking $ES_VERSION"
  tmp="$(mktemp -d "$(dirname "$home")/unpack.XXXXXX")"
  unzip -q "$zip" -d "$tmp"
  chmod -R a+rX "$tmp"
  chmod 755 "$tmp"
  mv "$tmp/elasticsearch-$ES_VERSION" "$home"
  rm -rf "$tmp"
}

install_tika() {
  fetch "$TIKA_URL" "$DOWNLOADS/tika-server-standard-$TIKA_VERSION.jar" "tika"
}

TESSERACT_PKGS=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-nld tesseract-ocr-deu)

# --------------------------------------------------------------------------------------------------
# Start / health / stop
# --------------------------------------------------------------------------------------------------
# Run "$@" detached in its own session (so `down` can stop the whole process group by its id),
# stdout+stderr to the service's log, pid to its pid file.
spawn() {
  local svc="$1" port="$2"
  shift 2
  local logf
  logf="$(log_file "$svc")"
  mkdir -p "$(svc_dir "$svc")"
  if [[ -s $logf ]]; then mv -f "$logf" "$logf.prev"; fi
  # 9>&-: the service must not inherit the lock of this script (see take_lock).
  setsid nohup "$@" >>"$logf" 2>&1 </dev/null 9>&- &
  echo $! >"$(pid_file "$svc")"
  echo "$port" >"$(port_file "$svc")"
}

health_check() {
  local port
  port="$(running_port "$1")"
  case "$1" in
    postgres) PGCONNECT_TIMEOUT=3 PGPASSWORD=dms "$(pg_bindir)/psql" -h 127.0.0.1 -p "$port" -U dms -d dms -Atqc 'select 1' >/dev/null 2>&1 ;;
    elasticsearch) curl -fsS -m 10 "http://127.0.0.1:$port/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null 2>&1 ;;
    minio) curl -fsS -m 5 "http://127.0.0.1:$port/minio/health/live" >/dev/null 2>&1 ;;
    tika) curl -fsS -m 5 "http://127.0.0.1:$port/version" >/dev/null 2>&1 ;;
    dovecot) curl -fsS -m 5 --user "$IMAP_USER:$IMAP_PASSWORD" "imap://127.0.0.1:$port/" >/dev/null 2>&1 ;;
  esac
}

# Wait until "$@" succeeds; fail early if the service process died, or after the timeout.
wait_healthy() {
  local svc="$1" t0=$SECONDS
  shift
  until "$@"; do
    if ! is_running "$svc"; then
      log "$svc: process exited during startup"
      show_log "$(log_file "$svc")"
      die "$svc failed to start"
    fi
    if ((SECONDS - t0 >= HEALTH_TIMEOUT)); then
      log "$svc: not healthy after ${HEALTH_TIMEOUT}s"
      show_log "$(log_file "$svc")"
      die "$svc failed to become healthy"
    fi
    sleep 1
  done
}

# Refuse (or resolve) a port that something else already holds.
claim_port() {
  local svc="$1" port="$2" ver name cport status
  port_busy "$port" || return 0
  if [[ $svc == postgres ]] && command -v pg_lsclusters >/dev/null 2>&1; then
    while read -r ver name cport status _; do
      if [[ $cport == "$port" && $status == online* ]]; then
        log "postgres: the system cluster $ver/$name holds port $port; stopping it (pg_ctlcluster $ver $name stop)"
        pg_ctlcluster "$ver" "$name" stop || true
      fi
    done < <(pg_lsclusters -h 2>/dev/null || true)
    for _ in $(seq 1 20); do port_busy "$port" || return 0; sleep 0.5; done
  fi
  die "$svc: port 127.0.0.1:$port is already in use by another program; stop it or choose another port (DMS_$(short "$svc" | tr '[:lower:]' '[:upper:]')_PORT)"
}

pg_socket_dir() {
  local d="$RUN_BASE/pg/run"
  # Unix socket paths are limited to 107 bytes.
  if ((${#d} > 80)); then d="/tmp/dms-pg-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"; fi
  echo "$d"
}

start_postgres() {
  local bin dir data sock tmp
  bin="$(pg_bindir)" || die "postgres: no server binaries under /usr/lib/postgresql"
  dir="$(run_dir pg)"
  data="$dir/data"
  sock="$(pg_socket_dir)"
  mkdir -p "$sock"
  if is_root; then chown postgres:postgres "$dir" "$sock"; fi
  chmod 755 "$dir"
  if [[ ! -s $data/PG_VERSION ]]; then
    log "postgres: initdb $data"
    rm -rf "$dir/data.init"
    as_user postgres "$bin/initdb" -D "$dir/data.init" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >"$(log_file postgres).initdb" 2>&1 || {
      show_log "$(log_file postgres).initdb"
      die "postgres: initdb failed"
    }
    mv "$dir/data.init" "$data"
  fi
  claim_port postgres "$PG_PORT"
  log "postgres: starting on 127.0.0.1:$PG_PORT"
  local -a asu=()
  if is_root; then asu=(runuser -u postgres --); fi
  # shellcheck disable=SC2086 # DMS_PG_OPTS: extra "-c name=value" words
  (cd "$dir" && spawn postgres "$PG_PORT" "${asu[@]}" "$bin/postgres" -D "$data" \
    -c listen_addresses=127.0.0.1 -c port="$PG_PORT" -c unix_socket_directories="$sock" \
    -c max_connections=200 ${DMS_PG_OPTS:-})
}

finish_postgres() {
  local bin sock psql_admin
  bin="$(pg_bindir)"
  sock="$(pg_socket_dir)"
  wait_healthy postgres as_user postgres "$bin/pg_isready" -q -h "$sock" -p "$PG_PORT"
  psql_admin=(as_user postgres "$bin/psql" -h "$sock" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atq)
  "${psql_admin[@]}" -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dms') THEN
        CREATE ROLE dms LOGIN CREATEDB PASSWORD 'dms';
      END IF; END \$\$;" >/dev/null
  local db
  for db in dms dms_test; do
    if [[ -z "$("${psql_admin[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]]; then
      "${psql_admin[@]}" -c "CREATE DATABASE $db OWNER dms" >/dev/null
    fi
  done
  wait_healthy postgres health_check postgres
}

start_elasticsearch() {
  local dir home java_home
  dir="$(run_dir es)"
  home="$(es_home)"
  java_home="$(find_java_home 21 "${ES_JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64)" ||
    die "elasticsearch: needs a JDK 21 or newer (none under /usr/lib/jvm; set ES_JAVA_HOME)"
  mkdir -p "$dir/config" "$dir/data" "$dir/logs" "$dir/tmp"
  if [[ ! -f $dir/config/jvm.options ]]; then cp -R "$home/config/." "$dir/config/"; fi
  local security=""
  if [[ -d $home/modules/x-pack-security ]]; then security="xpack.security.enabled: false"; fi
  cat >"$dir/config/elasticsearch.yml" <<EOF
# Written by scripts/services.sh: a single loopback node for tests, no security, no disk watermarks.
cluster.name: dms-test
node.name: dms-test-1
path.data: $dir/data
path.logs: $dir/logs
network.host: 127.0.0.1
http.port: $ES_PORT
discovery.type: single-node
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
$security
EOF
  if is_root; then chown -R "$SVC_USER:$SVC_USER" "$dir/config" "$dir/data" "$dir/logs" "$dir/tmp"; fi
  claim_port elasticsearch "$ES_PORT"
  log "elasticsearch: starting $ES_VERSION on 127.0.0.1:$ES_PORT (JDK $(java_major "$java_home/bin/java"), heap $ES_HEAP)"
  # cwd = logs dir: this distribution's jvm.options writes gc.log relative to the working directory.
  local -a asu=()
  if is_root; then asu=(runuser -u "$SVC_USER" --); fi
  (cd "$dir/logs" && spawn elasticsearch "$ES_PORT" "${asu[@]}" env \
    ES_JAVA_HOME="$java_home" ES_PATH_CONF="$dir/config" ES_TMPDIR="$dir/tmp" \
    ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP ${DMS_ES_JAVA_OPTS:-}" "$home/bin/elasticsearch")
}

start_minio() {
  local dir
  dir="$(svc_dir minio)"
  mkdir -p "$dir/data"
  claim_port minio "$MINIO_PORT"
  log "minio: starting on 127.0.0.1:$MINIO_PORT (console 127.0.0.1:$MINIO_CONSOLE_PORT)"
  (cd "$dir" && spawn minio "$MINIO_PORT" env MINIO_ROOT_USER=minioadmin MINIO_ROOT_PASSWORD=minioadmin \
    MINIO_UPDATE=off MINIO_CI_CD=on "$CACHE/bin/minio" server "$dir/data" \
    --address "127.0.0.1:$MINIO_PORT" --console-address "127.0.0.1:$MINIO_CONSOLE_PORT")
}

start_tika() {
  local dir java_home
  dir="$(svc_dir tika)"
  mkdir -p "$dir/tmp"
  java_home="$(find_java_home 11 "${DMS_TIKA_JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64)" ||
    die "tika: needs Java 11 or newer (none under /usr/lib/jvm)"
  command -v tesseract >/dev/null || die "tika: tesseract is not installed"
  # Tika's forked parsing JVM: heap from DMS_TIKA_HEAP (the config file holds the rest).
  sed -e "s|<arg>-Xmx[^<]*</arg>|<arg>-Xmx$TIKA_HEAP</arg>|" "$TIKA_CONFIG" >"$dir/tika-config.xml"
  claim_port tika "$TIKA_PORT"
  log "tika: starting $TIKA_VERSION on 127.0.0.1:$TIKA_PORT (Java $(java_major "$java_home/bin/java"), $(tesseract --version 2>&1 | head -n1))"
  # PATH first: Tika forks its parsing JVM with the `java` found on PATH.
  (cd "$dir" && spawn tika "$TIKA_PORT" env PATH="$java_home/bin:$PATH" java -Xmx512m -Djava.io.tmpdir="$dir/tmp" \
    -jar "$DOWNLOADS/tika-server-standard-$TIKA_VERSION.jar" \
    -h 127.0.0.1 -p "$TIKA_PORT" -c "$dir/tika-config.xml")
}

# Debian's dovecot as a private IMAP server: own config, state and maildirs under .cache/services/imap (or
# RUN_BASE), one passwd-file user, plain IMAP on 127.0.0.1 only. Plaintext login is allowed because dovecot
# counts a connection whose client and server address are the same (loopback) as secured; TLS is off.
start_dovecot() {
  local dir uid gid internal login chroot=""
  command -v dovecot >/dev/null || die "dovecot: not installed (apt-get install dovecot-imapd)"
  dir="$(run_dir imap)"
  mkdir -p "$dir/run" "$dir/state" "$dir/mail"
  if is_root; then
    uid="$(id -u dovecot)" gid="$(id -g dovecot)" internal=dovecot login=dovenull
    chown dovecot:dovecot "$dir/mail"
  else
    uid="$(id -u)" gid="$(id -g)" internal="$(id -un)" login="$(id -un)" chroot="chroot ="
  fi
  printf '%s:{PLAIN}%s::::::\n' "$IMAP_USER" "$IMAP_PASSWORD" >"$dir/users"
  chmod 640 "$dir/users"
  if is_root; then chgrp dovecot "$dir/users"; fi
  cat >"$dir/dovecot.conf" <<EOF
# Written by scripts/services.sh: IMAP on loopback for dms tests (see docs/services.md).
instance_name = dms-imap
base_dir = $dir/run
state_dir = $dir/state
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_internal_user = $internal
default_login_user = $login
first_valid_uid = $uid
last_valid_uid = $uid
mail_location = maildir:$dir/mail/%n
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $dir/users
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dir/mail/%n
}
service imap-login {
  $chroot
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
  claim_port dovecot "$IMAP_PORT"
  log "dovecot: starting $(dovecot --version | cut -d' ' -f1) on 127.0.0.1:$IMAP_PORT (user $IMAP_USER)"
  (cd "$dir" && spawn dovecot "$IMAP_PORT" dovecot -F -c "$dir/dovecot.conf")
}

stop_service() {
  local svc="$1" pid
  if ! is_running "$svc"; then
    rm -f "$(pid_file "$svc")"
    echo "[services] $svc: not running" >&2
    return 0
  fi
  pid="$(pid_of "$svc")"
  log "$svc: stopping (pid $pid)"
  if [[ $svc == postgres ]]; then
    as_user postgres "$(pg_bindir)/pg_ctl" stop -D "$RUN_BASE/pg/data" -m fast -w -t 60 >/dev/null 2>&1 || true
  fi
  # The service runs in its own session: signal its whole process group (runuser, JVM children...).
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$svc: still running after 30s, killing"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  # Let children of the group (e.g. Tika's forked JVM) go too.
  for _ in $(seq 1 20); do
    pgrep -g "$pid" >/dev/null 2>&1 || break
    sleep 0.5
  done
  rm -f "$(pid_file "$svc")"
}

# --------------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------------
selected_services() {
  local s
  if [[ $# -eq 0 ]]; then
    printf '%s\n' "${ALL_SERVICES[@]}"
  else
    for s in "$@"; do canonical "$s"; done | awk '!seen[$0]++'
  fi
}

# One `up` or `down` at a time per checkout (two test runs starting together would race otherwise).
# Services are spawned with fd 9 closed, so only a running `up`/`down` holds it; the wait is
# bounded all the same, in case some process does keep it.
take_lock() {
  exec 9>"$CACHE/.lock"
  if ! flock -n 9; then
    log "waiting for another scripts/services.sh up/down in this checkout"
    flock -w 900 9 || log "lock still held after 900s; going on without it"
  fi
}

cmd_up() {
  local -a svcs todo=()
  local s
  mapfile -t svcs < <(selected_services "$@")
  init_run_base
  take_lock
  mkdir -p "$DOWNLOADS"
  for s in "${svcs[@]}"; do
    if is_running "$s"; then
      log "$s: already running (pid $(pid_of "$s"), port $(running_port "$s"))"
    else
      todo+=("$s")
    fi
  done
  local want_pg=0 want_es=0 want_minio=0 want_tika=0 want_imap=0
  for s in "${todo[@]}"; do
    case "$s" in postgres) want_pg=1 ;; elasticsearch) want_es=1 ;; minio) want_minio=1 ;; tika) want_tika=1 ;; dovecot) want_imap=1 ;; esac
  done

  # 1. Long installs in the background: the MinIO build (slowest), the Maven downloads.
  local minio_job="" es_job="" tika_job=""
  if ((want_minio)) && [[ ! -x $(minio_binary) ]]; then
    build_minio >"$CACHE/minio-build.log" 2>&1 9>&- &
    minio_job=$!
    BG_PIDS+=("$minio_job")
    log "minio: build started in the background (log: .cache/services/minio-build.log)"
  fi
  if ((want_es)); then
    mkdir -p "$RUN_BASE/es"
    install_es 9>&- &
    es_job=$!
    BG_PIDS+=("$es_job")
  fi
  if ((want_tika)); then
    install_tika 9>&- &
    tika_job=$!
    BG_PIDS+=("$tika_job")
  fi

  # 2. Debian packages and the service user, meanwhile.
  local pkgs=()
  ((want_pg)) && [[ -z "$(pg_bindir || true)" ]] && pkgs+=(postgresql)
  ((want_tika)) && pkgs+=("${TESSERACT_PKGS[@]}")
  ((want_es)) && ! command -v unzip >/dev/null && pkgs+=(unzip)
  ((want_imap)) && pkgs+=(dovecot-imapd)
  ((${#pkgs[@]})) && apt_install "${pkgs[@]}"
  ((want_es)) && ensure_svc_user

  # 3. Start each service as soon as what it needs is there; PostgreSQL first (no download).
  ((want_pg)) && start_postgres
  ((want_imap)) && start_dovecot
  if [[ -n $es_job ]]; then
    wait "$es_job" || die "elasticsearch: installation failed"
    start_elasticsearch
  fi
  if [[ -n $tika_job ]]; then
    wait "$tika_job" || die "tika: download failed"
    start_tika
  fi
  ((want_pg)) && finish_postgres && log "postgres: ready on 127.0.0.1:$(running_port postgres) (role dms/dms, databases dms, dms_test)"
  if ((want_minio)); then
    if [[ -n $minio_job ]]; then
      if ! wait "$minio_job"; then
        show_log "$CACHE/minio-build.log"
        die "minio: build failed"
      fi
      tail -n 3 "$CACHE/minio-build.log" | sed 's/^/  /' >&2 || true
    fi
    start_minio
  fi
  BG_PIDS=()

  # 4. Wait for health.
  ((want_tika)) && wait_healthy tika health_check tika && log "tika: ready on 127.0.0.1:$(running_port tika)"
  ((want_imap)) && wait_healthy dovecot health_check dovecot && log "dovecot: ready on 127.0.0.1:$(running_port dovecot)"
  ((want_minio)) && wait_healthy minio health_check minio && log "minio: ready on 127.0.0.1:$(running_port minio)"
  ((want_es)) && wait_healthy elasticsearch health_check elasticsearch &&
    log "elasticsearch: ready on 127.0.0.1:$(running_port elasticsearch)"
  for s in "${svcs[@]}"; do
    is_running "$s" && [[ " ${todo[*]} " != *" $s "* ]] && { health_check "$s" || wait_healthy "$s" health_check "$s"; }
  done
  log "up: ${svcs[*]} ready in $((SECONDS - START_TS))s"
}

cmd_down() {
  local -a svcs
  local s
  mapfile -t svcs < <(selected_services "$@")
  init_run_base
  take_lock
  for s in "${svcs[@]}"; do stop_service "$s"; done
}

cmd_status() {
  local -a svcs
  local s state
  mapfile -t svcs < <(selected_services "$@")
  for s in "${svcs[@]}"; do
    if is_running "$s"; then
      if health_check "$s"; then state=up; else state=starting; fi
      printf '%-14s %-9s 127.0.0.1:%-6s pid %s\n' "$s" "$state" "$(running_port "$s")" "$(pid_of "$s")"
    else
      printf '%-14s %-9s 127.0.0.1:%-6s\n' "$s" down "$(running_port "$s")"
    fi
  done
}

cmd_env() {
  printf 'export DMS_DATABASE_URL=postgresql+psycopg://dms:dms@127.0.0.1:%s/dms\n' "$(running_port postgres)"
  printf 'export DMS_BLOB_URL=s3://minioadmin:minioadmin@127.0.0.1:%s/dms?secure=false\n' "$(running_port minio)"
  printf 'export DMS_SEARCH_URL=http://127.0.0.1:%s\n' "$(running_port elasticsearch)"
  printf 'export DMS_TIKA_URL=http://127.0.0.1:%s\n' "$(running_port tika)"
  printf 'export DMS_TEST_IMAP_URL=imap://%s:%s@127.0.0.1:%s/INBOX\n' "$IMAP_USER" "$IMAP_PASSWORD" "$(running_port dovecot)"
}

# End-to-end checks that the services do what the tests need (see docs/services.md).
cmd_check() {
  local -a svcs
  local s port tmp failed=0
  mapfile -t svcs < <(selected_services "$@")
  tmp="$(mktemp -d)"
  for s in "${svcs[@]}"; do
    port="$(running_port "$s")"
    case "$s" in
      postgres)
        if out="$(PGPASSWORD=dms "$(pg_bindir)/psql" -h 127.0.0.1 -p "$port" -U dms -d dms_test -Atc \
          "select current_user || ' ' || current_database() || ' ' || current_setting('server_version')")"; then
          log "check postgres: ok ($out)"
        else
          log "check postgres: FAILED"
          failed=1
        fi
        ;;
      elasticsearch)
        # integ-test-zip has no "GET /" (405): the version comes from the nodes API. Then a round trip
        # through an index analysed by the core whitespace analyzer, as the dms search adapter does.
        local es="http://127.0.0.1:$port" idx="dms-selfcheck-$$" js=(-H 'Content-Type: application/json')
        if out="$(curl -fsS -m 30 "$es/_cluster/health?wait_for_status=yellow&timeout=20s")" &&
          ver="$(curl -fsS -m 10 "$es/_nodes/_local?filter_path=nodes.*.version" | grep -oE '[0-9]+\.[0-9]+\.[0-9]+')" &&
          curl -fsS -m 30 -X PUT "$es/$idx" "${js[@]}" -d '{"settings":{"number_of_replicas":0},
            "mappings":{"properties":{"body":{"type":"text","analyzer":"whitespace"}}}}' >/dev/null &&
          curl -fsS -m 30 -X PUT "$es/$idx/_doc/1?refresh=true" "${js[@]}" -d '{"body":"permis urbanisme namur"}' >/dev/null &&
          hits="$(curl -fsS -m 30 "$es/$idx/_search?q=body:urbanisme&filter_path=hits.total.value")" &&
          [[ $hits == *'"value":1'* ]]; then
          log "check elasticsearch: ok (version $ver, $(grep -oE '"status":"[a-z]+"' <<<"$out"), whitespace-analysed index round trip)"
        else
          log "check elasticsearch: FAILED (${out:-no answer})"
          failed=1
        fi
        curl -fsS -m 30 -X DELETE "$es/$idx" >/dev/null 2>&1 || true
        ;;
      minio)
        # S3 CreateBucket with object lock (SigV4 signed by curl), then read the lock configuration back.
        local b="dms-selfcheck-$$" s3=(curl -fsS -m 20 --aws-sigv4 "aws:amz:us-east-1:s3" --user minioadmin:minioadmin)
        if "${s3[@]}" -X PUT -H "x-amz-bucket-object-lock-enabled: true" "http://127.0.0.1:$port/$b" >/dev/null &&
          out="$("${s3[@]}" "http://127.0.0.1:$port/$b?object-lock=")" && [[ $out == *"<ObjectLockEnabled>Enabled</ObjectLockEnabled>"* ]]; then
          log "check minio: ok (bucket with object lock created and removed)"
        else
          log "check minio: FAILED (${out:-no answer})"
          failed=1
        fi
        "${s3[@]}" -X DELETE "http://127.0.0.1:$port/$b" >/dev/null 2>&1 || true
        ;;
      tika)
        local java_home jar="$DOWNLOADS/tika-server-standard-$TIKA_VERSION.jar"
        java_home="$(find_java_home 11 /usr/lib/jvm/java-17-openjdk-amd64)"
        # A scanned letter: text rendered to pixels, saved as PNG and as an image-only PDF (PDFBox from the jar).
        "$java_home/bin/java" -Djava.awt.headless=true -cp "$jar" "$SCRIPT_DIR/services/MakeScan.java" \
          "$tmp/scan.png" "$tmp/scan.pdf" "Administration communale" "Demande de permis d'urbanisme" "Objet : réclamation" >/dev/null
        local png pdf
        png="$(curl -fsS -m 120 -T "$tmp/scan.png" -H 'Accept: text/plain' -H 'Content-Type: image/png' -H 'X-Tika-OCRLanguage: fra' "http://127.0.0.1:$port/tika" || true)"
        pdf="$(curl -fsS -m 180 -T "$tmp/scan.pdf" -H 'Accept: text/plain' "http://127.0.0.1:$port/tika" || true)"
        if grep -qi "urbanisme" <<<"$png" && grep -qi "urbanisme" <<<"$pdf" && grep -qi "réclamation" <<<"$pdf"; then
          log "check tika: ok (OCR of a PNG and of an image-only PDF: $(tr -s '[:space:]' ' ' <<<"$pdf" | cut -c1-80))"
        else
          log "check tika: FAILED (png: $(tr -s '[:space:]' ' ' <<<"$png" | cut -c1-80) | pdf: $(tr -s '[:space:]' ' ' <<<"$pdf" | cut -c1-80))"
          failed=1
        fi
        ;;
      dovecot)
        # IMAP APPEND of a message into a fresh folder, then read it back (what `dms mail fetch` does).
        local box="dms-selfcheck-$$" url="imap://127.0.0.1:$port" auth=(--user "$IMAP_USER:$IMAP_PASSWORD")
        printf 'From: check@example.be\r\nSubject: selfcheck %s\r\n\r\nbonjour\r\n' "$$" >"$tmp/msg.eml"
        if curl -fsS -m 10 "${auth[@]}" "$url/" -X "CREATE $box" >/dev/null &&
          curl -fsS -m 10 "${auth[@]}" -T "$tmp/msg.eml" "$url/$box" &&
          out="$(curl -fsS -m 10 "${auth[@]}" "$url/$box;UID=1")" && [[ $out == *"selfcheck $$"* ]]; then
          log "check dovecot: ok (APPEND and FETCH in a new folder as $IMAP_USER)"
        else
          log "check dovecot: FAILED (${out:-no answer})"
          failed=1
        fi
        curl -fsS -m 10 "${auth[@]}" "$url/" -X "DELETE $box" >/dev/null 2>&1 || true
        ;;
    esac
  done
  rm -rf "$tmp"
  ((failed == 0)) || die "check failed"
}

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    down | stop) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    env) cmd_env ;;
    check) cmd_check "$@" ;;
    -h | --help | help | "") usage ;;
    *) die "unknown command '$cmd' (up|down|status|env|check)" ;;
  esac
}

main "$@"
