#!/usr/bin/env bash
# The nightly eu-corpus run, for cron (docs/cron/eu-corpus.cron; docs/scheduling.md explains every choice).
#
# Runs `corpus run` once, keeps its logs, turns its exit code into one line in $LOG_DIR/nightly.log, and
# refreshes the root's compliance report (`corpus compliance`) after a night that published a set.
# Silent when all is well: only warnings and errors are written to stderr, which cron mails to MAILTO; set
# ALERT_CMD to page someone as well. Exits with corpus run's own exit code:
#   0 published (or nothing new)        1 failed, staging kept: the next run resumes it
#   2 refused: a person must act         3 published, but some inputs failed or were abandoned
#   130 interrupted: the next run resumes it
#
# Settings (environment; the crontab sets them):
#   CORPUS_HOME  the checkout or install directory             (default /opt/eu-corpus)
#   VENV         its virtual environment                       (default $CORPUS_HOME/.venv)
#   INPUT        WARC files: a directory, glob, URL or listing (the ledger skips what is published)
#   OUTPUT       the corpus root (a directory or s3:// prefix)
#   CONFIG       the TOML configuration
#   LOG_DIR      where logs go                                 (default /var/log/eu-corpus)
#   KEEP_DAYS    days of per-run logs to keep                  (default 90)
#   ALERT_CMD    optional: a command given each warning/error on stdin, e.g. 'mail -s eu-corpus ops@example.eu'
set -euo pipefail

CORPUS_HOME=${CORPUS_HOME:-/opt/eu-corpus}
VENV=${VENV:-$CORPUS_HOME/.venv}
INPUT=${INPUT:-}
OUTPUT=${OUTPUT:-}
CONFIG=${CONFIG:-}
LOG_DIR=${LOG_DIR:-/var/log/eu-corpus}
KEEP_DAYS=${KEEP_DAYS:-90}
ALERT_CMD=${ALERT_CMD:-}

mkdir -p "$LOG_DIR"
stamp=$(date -u +%Y-%m-%dT%H-%M-%SZ)
log="$LOG_DIR/run-$stamp.log"   # corpus run's stderr: progress, the Spark UI address, warnings, errors
out="$LOG_DIR/run-$stamp.out"   # its stdout: the last line is the JSON summary

note() {  # one line in nightly.log
    printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$LOG_DIR/nightly.log"
}
alert() {  # nightly.log, stderr (cron mails it) and ALERT_CMD
    note "$*"
    printf 'eu-corpus nightly: %s\n' "$*" >&2
    if [[ -n $ALERT_CMD ]]; then
        printf 'eu-corpus nightly on %s: %s\n\nrun log: %s\n' "$HOSTNAME" "$*" "$log" \
            | bash -c "$ALERT_CMD" || note "warning: ALERT_CMD failed"
    fi
}

for name in INPUT OUTPUT CONFIG; do
    if [[ -z ${!name} ]]; then
        alert "error (exit 2): $name is not set (see the top of $0)"
        exit 2
    fi
done
if [[ ! -f $VENV/bin/activate ]]; then
    alert "error (exit 2): no virtual environment at $VENV (set CORPUS_HOME or VENV)"
    exit 2
fi

# One wrapper at a time on this host. corpus run has its own lock in the root (a second writer is refused
# with exit 2); this one also makes --break-lock below safe: no other nightly run of this host is alive.
exec 9>>"$LOG_DIR/nightly.lock"
if ! flock --nonblock 9; then
    alert "error (exit 2): the previous nightly run is still going (flock $LOG_DIR/nightly.lock); this one did not start"
    exit 2
fi

# shellcheck source=/dev/null
source "$VENV/bin/activate"

note "start: corpus run --input $INPUT --output $OUTPUT --config $CONFIG (log $log)"
rc=0
# --break-lock takes the root's lock only from a run that is gone (a dead pid on this host, or a lock older
# than [lock] stale_after_hours): a run killed outright (OOM killer, reboot) is resumed by the next night
# instead of blocking every night until someone acts. A live run's lock is never taken.
corpus run --input "$INPUT" --output "$OUTPUT" --config "$CONFIG" --break-lock \
    >"$out" 2>"$log" || rc=$?

summary=$(tail -n 1 "$out" 2>/dev/null || true)
case $rc in
    0)
        note "ok: $summary"
        printf '%s\n' "$summary" >>"$LOG_DIR/summary.jsonl"
        ;;
    3)
        printf '%s\n' "$summary" >>"$LOG_DIR/summary.jsonl"
        alert "warning (exit 3): published, but some inputs failed (retried on the next nights) or were abandoned" \
              "after [inputs] retry_failed_nights nights; no rerun needed. See ledger.jsonl in $OUTPUT. $summary"
        ;;
    1)
        alert "error (exit 1): the run failed; its staging is kept and the next run resumes it (or run this" \
              "script again now). Last lines of $log: $(tail -n 3 "$log" | tr '\n' ' ')"
        ;;
    2)
        alert "error (exit 2): refused; a person must act, rerunning will not help." \
              "Last lines of $log: $(tail -n 3 "$log" | tr '\n' ' ')"
        ;;
    130)
        alert "error (exit 130): interrupted; what was staged is kept and the next run resumes it"
        ;;
    *)
        alert "error (exit $rc): corpus run did not end by itself (137: killed, e.g. out of memory; 143:" \
              "SIGTERM; 127: corpus not found in $VENV); what was staged is kept and the next run resumes it." \
              "See $log"
        ;;
esac

# the compliance report across every set of the root, after a night that published one
if [[ ($rc == 0 || $rc == 3) && $summary != *'"set": null'* ]]; then
    corpus compliance --root "$OUTPUT" --config "$CONFIG" \
        >/dev/null 2>>"$log" || alert "warning: corpus compliance failed (see $log); the night's exit code stands"
fi

# per-run logs older than KEEP_DAYS go; nightly.log and summary.jsonl are kept
find "$LOG_DIR" -maxdepth 1 -name 'run-*' -type f -mtime "+$KEEP_DAYS" -delete 2>/dev/null || true
exit "$rc"
