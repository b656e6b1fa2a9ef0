"""The nightly eu-corpus run as an Airflow 2 DAG (docs/scheduling.md).

Needs Airflow >= 2.6 (BashOperator's ``skip_on_exit_code``); Airflow is not a dependency of this project.
Copy this file into the DAGs folder of a deployment whose workers have eu-corpus installed (a virtualenv at
CORPUS_ENV["CORPUS_VENV"]) and can read the inputs and write the corpus root; adjust CORPUS_ENV.

What each exit code of ``corpus run`` does here:

* 0  published (or nothing new): success; the last stdout line, the run's JSON summary, is the task's XCom.
* 3  published, but some inputs failed (retried on the next nights) or were abandoned after
     ``[inputs] retry_failed_nights`` nights: the task is *skipped*, not failed (``skip_on_exit_code``), so
     nothing is retried; ``inputs_failed`` runs and e-mails the operators; the compliance report still runs.
* 1  the run failed, staging kept, and 130 interrupted: failed; Airflow's retries resume it (the same command).
* 2  refused (usage, configuration, a promise the run cannot keep, permission or disk full, the root locked
     by a live run): failed. A person must act. Airflow cannot tell 2 from 1, so it retries 2 as well; each
     retry is refused the same way, harmlessly, and the task fails (and e-mails) after the last one.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.utils.trigger_rule import TriggerRule

CORPUS_ENV = {
    "CORPUS_VENV": "/opt/eu-corpus/.venv",
    "INPUT": "/data/crawl/incoming",  # every night the same: the ledger skips what is already published
    "OUTPUT": "/data/corpus",  # or s3://bucket/corpus (credentials: the workers' AWS environment or profile)
    "CONFIG": "/etc/eu-corpus/corpus.toml",
}
ALERT_EMAIL = ["corpus-ops@example.eu"]  # Airflow's [smtp] or [email] settings must be configured

EXIT_INPUTS_FAILED = 3  # published, but some inputs failed or were abandoned: alert, no rerun

# The set is named after the night the data belongs to ({{ ds }}, the start of the data interval), so a cleared
# or re-run task names the same set; an unfinished set is always finished first, under its own name.
# --break-lock takes the root's lock only from a run that is gone (a dead pid on this host, or a lock older
# than [lock] stale_after_hours), never from a live one; `exec` lets Airflow's SIGTERM reach corpus itself.
CORPUS_RUN = (
    'source "$CORPUS_VENV/bin/activate" && '
    'exec corpus run --input "$INPUT" --output "$OUTPUT" --config "$CONFIG" --night "{{ ds }}" --break-lock'
)
COMPLIANCE = 'source "$CORPUS_VENV/bin/activate" && exec corpus compliance --root "$OUTPUT" --config "$CONFIG"'


def alert_inputs_failed(context) -> None:
    """Exit 3: tell the operators which night, and where to look (replace with your Slack/PagerDuty hook)."""
    from airflow.utils.email import send_email

    night, ti = context["ds"], context["task_instance"]
    logging.getLogger(__name__).warning("eu-corpus %s: some inputs failed or were abandoned", night)
    send_email(ALERT_EMAIL, f"eu-corpus {night}: published, but some inputs failed",
               f"corpus run exited 3: the set of {night} was published, but some inputs could not be read. "
               f"They are retried on the next nights, or were abandoned after [inputs] retry_failed_nights "
               f"nights: see ledger.jsonl in {CORPUS_ENV['OUTPUT']}. No rerun is needed. Log: {ti.log_url}")


with DAG(
    dag_id="eu_corpus_nightly",
    schedule="15 2 * * *",  # 02:15 every night, in the scheduler's time zone (UTC by default)
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,  # a missed night is not replayed: the next run takes every input not yet published
    max_active_runs=1,  # corpus run refuses a second writer anyway (exit 2)
    default_args={"email": ALERT_EMAIL, "email_on_failure": True, "email_on_retry": False},
    tags=["eu-corpus"],
) as dag:
    corpus_run = BashOperator(
        task_id="corpus_run",
        bash_command=CORPUS_RUN,
        env=CORPUS_ENV,
        append_env=True,  # keep the worker's environment (PATH, JAVA_HOME, AWS credentials)
        skip_on_exit_code=[EXIT_INPUTS_FAILED],
        retries=2,  # exit 1 and 130 resume where the run stopped; see the module docstring for exit 2
        retry_delay=timedelta(minutes=20),
        # below [lock] stale_after_hours: a run Airflow kills leaves its lock, which the retry (on this host)
        # or the next night may then take; pin the task to one host (queue=...) so a dead pid is recognised
        execution_timeout=timedelta(hours=20),
    )
    inputs_failed = BashOperator(
        task_id="inputs_failed",
        trigger_rule=TriggerRule.ALL_SKIPPED,  # only after exit 3
        bash_command='echo "corpus run exited 3: see ledger.jsonl in $OUTPUT for the inputs that failed"',
        env=CORPUS_ENV,
        append_env=True,
        on_success_callback=alert_inputs_failed,
    )
    compliance_report = BashOperator(
        task_id="compliance_report",
        trigger_rule=TriggerRule.NONE_FAILED,  # after exit 0 and exit 3 (skipped)
        bash_command=COMPLIANCE,
        env=CORPUS_ENV,
        append_env=True,
    )
    corpus_run >> [inputs_failed, compliance_report]

# --- On a Spark cluster: the same run through spark-submit (SparkSubmitOperator) -----------------------------
# Needs apache-airflow-providers-apache-spark and a Spark connection ("spark_eu_corpus": master, deploy mode).
# Use client deploy mode: only there does spark-submit end with the driver's own exit code; in cluster mode
# every failure is 1. SparkSubmitOperator fails the task on any non-zero code (it has no skip_on_exit_code),
# so a night that exits 3 shows as failed there. The driver and executors need eu-corpus: a packed virtualenv
# as below, or an image built from this repository's Dockerfile (README, "On an existing cluster").
# Replace corpus_run above with:
#
# from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
#
#     corpus_run = SparkSubmitOperator(
#         task_id="corpus_run",
#         conn_id="spark_eu_corpus",
#         application="/opt/eu-corpus/.venv/lib/python3.11/site-packages/corpus/cli.py",
#         application_args=["run", "--input", CORPUS_ENV["INPUT"], "--output", CORPUS_ENV["OUTPUT"],
#                           "--config", CORPUS_ENV["CONFIG"], "--night", "{{ ds }}", "--break-lock"],
#         archives="hdfs:///apps/eu-corpus/eu-corpus-venv.tar.gz#venv",
#         conf={"spark.pyspark.python": "./venv/bin/python"},
#         retries=2,
#         retry_delay=timedelta(minutes=20),
#         execution_timeout=timedelta(hours=20),
#     )
# --- end of the SparkSubmitOperator variant
